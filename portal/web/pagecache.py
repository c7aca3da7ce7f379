"""A per-worker cache of rendered pages, keyed on the log's size and the roles ended.

A public page is a pure function of the request (path, query, language), the state's
version (the feed size, since the log only grows and a size names one exact log, and the
number of roles that have ended, since a role's end takes its holder off duty without a
new entry) and, for the home page, whether this client has tapped Enter. So its HTML can be
kept and served again until either changes.
The one per-client part, the CSRF token, is rendered as a placeholder and filled in on
every response. Bounded LRU; each worker keeps its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any
from urllib.parse import parse_qs

from flask import Response, current_app, g, request
from flask_babel import get_locale

from portal.data import get_hub
from portal.web.forms import csrf_token
from portal.web.headers import FRONT_CACHE, front_cacheable

# Entry texts cannot hold control characters (hub.log.entry rejects them), so this
# placeholder can only come from the template.
PLACEHOLDER = "\x00csrf\x00"
MAX_PAGES = 256

View = Callable[..., Any]


class PageCache:
    def __init__(self, max_pages: int = MAX_PAGES) -> None:
        self.max_pages = max_pages
        self._pages: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> str | None:
        with self._lock:
            html = self._pages.get(key)
            if html is not None:
                self._pages.move_to_end(key)
            return html

    def put(self, key: Hashable, html: str) -> None:
        with self._lock:
            self._pages[key] = html
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)


def get_cache() -> PageCache:
    cache: PageCache = current_app.extensions["canopy_pages"]
    return cache


def form_token() -> str:
    """The CSRF token for a form on this page (a placeholder while caching)."""
    return PLACEHOLDER if g.get("caching_page") else csrf_token()


# The query arguments cached pages read (the log's filters, the language, the welcome flag).
# Anything else cannot change a page, so it must not make a new cache entry: 3,000 distinct
# `?n=i` used to cost 3,000 renders and grew a worker by 10 MB.
PAGE_ARGS = ("day", "feed", "hub", "kind", "lang", "page", "signed", "size", "welcome")


def page_query(query: bytes) -> tuple[tuple[str, str], ...]:
    """The part of a query string a cached page depends on: known arguments, first value
    each (as ``request.args.get`` reads them), in a fixed order."""
    if not query:
        return ()
    args = parse_qs(query.decode("latin-1"), keep_blank_values=True)
    return tuple((name, args[name][0]) for name in PAGE_ARGS if name in args)


def page_key(
    endpoint: str | None,
    query: bytes,
    kwargs: dict[str, Any],
    locale: str,
    version: Hashable,
    extra: Callable[[], Hashable] | None,
) -> Hashable:
    """What a cached page depends on (shared with :mod:`portal.web.fastpath`)."""
    return (
        endpoint,
        page_query(query),
        tuple(sorted(kwargs.items())),
        locale,
        version,
        extra() if extra else None,
    )


def cached_page(extra: Callable[[], Hashable] | None = None) -> Callable[[View], View]:
    """Serve the view's HTML from the cache while the log has not grown."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_app.config.get("PAGE_CACHE") is False:
                return view(*args, **kwargs)
            key = page_key(
                request.endpoint,
                request.query_string,
                kwargs,
                str(get_locale()),
                get_hub().state().version(),
                extra,
            )
            cache = get_cache()
            html = cache.get(key)
            if html is None:
                g.caching_page = True
                try:
                    result = view(*args, **kwargs)
                finally:
                    g.caching_page = False
                if not isinstance(result, str):
                    return result
                html = result
                cache.put(key, html)
            shared = front_cacheable(request.path, extra is not None or PLACEHOLDER in html)
            if PLACEHOLDER in html:
                html = html.replace(PLACEHOLDER, csrf_token())
            resp = Response(html, content_type="text/html; charset=utf-8")
            if shared:  # the front may repeat it briefly (portal.web.headers.FRONT_CACHE)
                resp.headers[FRONT_CACHE[0]] = FRONT_CACHE[1]
            return resp

        return wrapper

    return decorate
