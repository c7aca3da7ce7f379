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
import secrets
import time
from pathlib import Path

from flask import Response

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


def load_secret(portal_dir: Path) -> bytes:
    """Read the portal secret, creating it (race-free across workers) on first use."""
    portal_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
    path = portal_dir / "secret"
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_hex(32).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    for _ in range(50):  # another worker may be between O_EXCL and write
        text = path.read_text(encoding="ascii").strip()
        if len(text) == 64:
            return bytes.fromhex(text)
        time.sleep(0.01)
    raise RuntimeError(f"{path} does not hold a 32-byte hex secret")


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
