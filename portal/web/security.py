"""Stateless CSRF tokens, the portal secret and the security headers on every response.

Captive mini-browsers drop cookies, so a form token cannot live in a session. A token is
``<issued, hex>.<HMAC-SHA256(secret, issued|client address)>``: it is valid for
:data:`TOKEN_TTL` seconds, only from the client address it was issued to, and forging one
needs the secret kept in ``DIR/portal/secret`` (created once, mode 0600, shared by all
workers).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import tempfile
import time
from pathlib import Path

from flask import Response

from hub.local import fsync_dir

TOKEN_TTL = 2 * 3600
CLOCK_SLACK = 120

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


def load_secret(portal_dir: Path) -> bytes:
    """Read the portal secret, creating it on first use.

    The file appears complete or not at all (written to a temp file, fsynced, then
    hard-linked into place, which fails if another worker won the race), so a power cut
    can never leave an empty secret that stops the portal from starting.
    """
    portal_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
    path = portal_dir / "secret"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(prefix=".secret.", dir=portal_dir)
        try:
            os.write(fd, secrets.token_hex(32).encode())
            os.fsync(fd)
            os.close(fd)
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
        fsync_dir(portal_dir)
    text = path.read_text(encoding="ascii").strip()
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise RuntimeError(f"{path} does not hold a 32-byte hex secret; delete it to renew")
    return bytes.fromhex(text)


def _mac(secret: bytes, issued: int, client: str) -> str:
    msg = f"{issued:x}|{client}".encode()
    return hmac.new(secret, msg, hashlib.sha256).hexdigest()[:32]


def make_token(secret: bytes, client: str, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    return f"{issued:x}.{_mac(secret, issued, client)}"


def check_token(secret: bytes, client: str, token: str, now: float | None = None) -> bool:
    """True when ``token`` was issued by us to ``client`` within :data:`TOKEN_TTL`."""
    if not isinstance(token, str) or len(token) > 64 or token.count(".") != 1:
        return False
    issued_hex, mac = token.split(".")
    if not issued_hex or len(issued_hex) > 12:
        return False
    try:
        issued = int(issued_hex, 16)
    except ValueError:
        return False
    t = time.time() if now is None else now
    if not t - TOKEN_TTL <= issued <= t + CLOCK_SLACK:
        return False
    return hmac.compare_digest(mac, _mac(secret, issued, client))


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


_INT_RE = re.compile(r"-?[0-9]{1,12}")


def parse_int(raw: str, lo: int, hi: int) -> int | None:
    """An ASCII decimal integer in ``[lo, hi]``, or None (``"²"``, ``"--5"``, ``"1e3"`` are not)."""
    if not _INT_RE.fullmatch(raw):
        return None
    value = int(raw)
    return value if lo <= value <= hi else None
