"""The security headers on every answer, the portal's own and nginx's (:mod:`portal.front`).

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

__all__ = ["CSP", "HEADERS"]
