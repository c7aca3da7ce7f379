"""The security headers on every answer, the portal's own and nginx's (:mod:`portal.front`),
and the mark that lets nginx repeat a cached public page briefly.

Plain constants with no imports, so the `canopy portal` process that only starts and watches
nginx and gunicorn does not load Flask for them.
"""

from __future__ import annotations

CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

# How long the front (nginx) may answer repeats of a cached public page itself; the portal
# sends it as X-Accel-Expires on those pages only, and nginx never passes that header on.
FRONT_CACHE_SECONDS = 1
FRONT_CACHE = ("X-Accel-Expires", str(FRONT_CACHE_SECONDS))
# Paths whose cached page differs per client (the home page: Enter state, form token). The
# front keys these on the client's address; every other page it keeps once for everyone,
# so a per-client page elsewhere must not be marked (:func:`front_cacheable`).
FRONT_PER_CLIENT = frozenset({"/"})


def front_cacheable(path: str, per_client: bool) -> bool:
    """Whether the front may repeat this cached page (see :data:`FRONT_CACHE`)."""
    return not per_client or path in FRONT_PER_CLIENT


__all__ = [
    "CSP",
    "FRONT_CACHE",
    "FRONT_CACHE_SECONDS",
    "FRONT_PER_CLIENT",
    "HEADERS",
    "front_cacheable",
]
