"""A WSGI fast path for the pages phones load most: cached HTML and the stylesheet.

On a Pi Zero 2 W most of a request's cost is the framework, not the page: routing,
request and response objects, context locals. For a GET of a cacheable public page whose
HTML :mod:`portal.web.pagecache` already holds for this state version, language and client state,
this middleware answers directly, with the same headers Flask would add. Anything else
(a miss, a form, a probe, an error) goes to Flask unchanged, and a miss there fills the
cache. The key is built by the same function on both paths, so they cannot disagree.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from portal.web import i18n
from portal.web.clients import arp_mac
from portal.web.forms import peer_address
from portal.web.headers import FRONT_CACHE, HEADERS, front_cacheable
from portal.web.pagecache import PLACEHOLDER, page_key
from portal.web.security import make_token

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

log = logging.getLogger("canopy.portal")
STATIC_CSS = Path(__file__).parents[1] / "static" / "canopy.css"
ENTRY_RE = re.compile(r"^/log/([0-9]{1,12})$")

# path -> (endpoint, whether the page depends on the client having tapped Enter)
PAGES: dict[str, tuple[str, bool]] = {
    "/": ("public.home", True),
    "/log": ("log.index", False),
    "/alerts": ("public.alerts", False),
    "/charter": ("public.charter", False),
    "/protocols": ("public.protocols", False),
    "/partners": ("public.partners", False),
}


class FastPath:
    def __init__(self, app: Flask, wsgi: WSGIApplication) -> None:
        self.app = app
        self.wsgi = wsgi
        self.css = STATIC_CSS.read_bytes()
        self.css_headers = [
            ("Content-Type", "text/css; charset=utf-8"),
            ("Content-Length", str(len(self.css))),
            ("Cache-Control", f"public, max-age={app.config['SEND_FILE_MAX_AGE_DEFAULT']}"),
            *HEADERS.items(),
        ]

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET":
            path = environ.get("PATH_INFO", "")
            if path == "/static/canopy.css":
                start_response("200 OK", self.css_headers)
                return [self.css]
            try:
                hit = self._cached(environ, path)
            except Exception:  # a cache problem must never cost the page: Flask serves it
                log.exception("fast path failed for %s", path)
                hit = None
            if hit is not None:
                body, shared = hit
                headers = [
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                    *HEADERS.items(),
                ]
                if shared:  # before Cache-Control, which nginx 1.22 reads in order
                    headers.append(FRONT_CACHE)
                headers.append(("Cache-Control", "no-store"))
                start_response("200 OK", headers)
                return [body]
        return self.wsgi(environ, start_response)

    def _cached(self, environ: WSGIEnvironment, path: str) -> tuple[bytes, bool] | None:
        """The cached page, and whether the front may repeat it; ``None`` on a miss."""
        kwargs: dict[str, Any] = {}
        page = PAGES.get(path)
        if page is None:
            m = ENTRY_RE.match(path)
            if m is None:
                return None
            page, kwargs = ("log.entry", False), {"index": int(m.group(1))}
        endpoint, per_client = page
        ext = self.app.extensions
        query = environ.get("QUERY_STRING", "")
        ip = peer_address(environ)
        extra: Callable[[], Hashable] | None = None
        if per_client:

            def extra() -> Hashable:
                mac = arp_mac(ip, self.app.config["ARP_PATH"])
                online: bool = ext["canopy_clients"].is_accepted(ip, mac)
                return online

        key = page_key(
            endpoint,
            query.encode("latin-1"),
            kwargs,
            _locale(query, environ.get("HTTP_ACCEPT_LANGUAGE", "")),
            ext["canopy_hub"].state().version(),
            extra,
        )
        html: str | None = ext["canopy_pages"].get(key)
        if html is None:
            return None
        shared = front_cacheable(path, per_client or PLACEHOLDER in html)
        if PLACEHOLDER in html:
            html = html.replace(PLACEHOLDER, make_token(ext["canopy_secret"], ip))
        return html.encode("utf-8"), shared


def _locale(query: str, accept_language: str) -> str:
    """The same choice as :func:`portal.web.i18n.select_locale`, from the raw environ."""
    lang = parse_qs(query).get("lang", [""])[0] if "lang=" in query else ""
    if lang in i18n.NAMES_AVAILABLE:
        return lang
    accept = parse_accept_header(accept_language, LanguageAccept)
    return str(accept.best_match(i18n.NAMES_AVAILABLE, default=i18n.DEFAULT))
