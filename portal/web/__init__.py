"""The portal's web plumbing: security headers and tokens, forms, per-client state, languages,
the page cache and the fast path.

Names are loaded from their modules on first use (:mod:`hub.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from portal.web.clients import ClientStore as ClientStore
    from portal.web.clients import ClientStoreFull as ClientStoreFull
    from portal.web.clients import arp_mac as arp_mac
    from portal.web.fastpath import FastPath as FastPath
    from portal.web.forms import client_ip as client_ip
    from portal.web.forms import client_mac as client_mac
    from portal.web.forms import get_clients as get_clients
    from portal.web.forms import guard_post as guard_post
    from portal.web.headers import CSP as CSP
    from portal.web.headers import FRONT_CACHE as FRONT_CACHE
    from portal.web.headers import FRONT_CACHE_SECONDS as FRONT_CACHE_SECONDS
    from portal.web.headers import FRONT_PER_CLIENT as FRONT_PER_CLIENT
    from portal.web.headers import HEADERS as HEADERS
    from portal.web.i18n import url as url
    from portal.web.pagecache import PageCache as PageCache
    from portal.web.pagecache import cached_page as cached_page
    from portal.web.pagecache import form_token as form_token
    from portal.web.security import add_headers as add_headers
    from portal.web.security import check_token as check_token
    from portal.web.security import make_token as make_token
    from portal.web.security import parse_int as parse_int

__all__ = [
    "CSP",
    "FRONT_CACHE",
    "FRONT_CACHE_SECONDS",
    "FRONT_PER_CLIENT",
    "HEADERS",
    "ClientStore",
    "ClientStoreFull",
    "FastPath",
    "PageCache",
    "add_headers",
    "arp_mac",
    "cached_page",
    "check_token",
    "client_ip",
    "client_mac",
    "form_token",
    "get_clients",
    "guard_post",
    "make_token",
    "parse_int",
    "url",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ClientStore": "portal.web.clients",
        "ClientStoreFull": "portal.web.clients",
        "arp_mac": "portal.web.clients",
        "FastPath": "portal.web.fastpath",
        "client_ip": "portal.web.forms",
        "client_mac": "portal.web.forms",
        "get_clients": "portal.web.forms",
        "guard_post": "portal.web.forms",
        "url": "portal.web.i18n",
        "PageCache": "portal.web.pagecache",
        "cached_page": "portal.web.pagecache",
        "form_token": "portal.web.pagecache",
        "CSP": "portal.web.headers",
        "FRONT_CACHE": "portal.web.headers",
        "FRONT_CACHE_SECONDS": "portal.web.headers",
        "FRONT_PER_CLIENT": "portal.web.headers",
        "HEADERS": "portal.web.headers",
        "add_headers": "portal.web.security",
        "check_token": "portal.web.security",
        "make_token": "portal.web.security",
        "parse_int": "portal.web.security",
    },
)
