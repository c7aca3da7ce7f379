"""One-time web check-in codes, kept only in memory and hashed.

``start`` makes a 6-digit code for a handle (at most :data:`STARTS` per :data:`TTL`);
``check`` accepts it once. A code lives :data:`TTL` seconds and dies after :data:`TRIES`
wrong guesses. A restart forgets every code, which only means asking for a new one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from hub.errors import InputError

TTL = 600
TRIES = 5
STARTS = 3  # per handle per TTL


@dataclass(slots=True)
class WebCode:
    digest: bytes
    expires: float
    tries: int = 0


def _digest(handle: str, code: str) -> bytes:
    return hashlib.sha256(f"{handle}:{code}".encode()).digest()


@dataclass(slots=True)
class WebCodes:
    codes: dict[str, WebCode] = field(default_factory=dict)
    starts: dict[str, list[float]] = field(default_factory=dict)

    def start(self, handle: str, now: float) -> str:
        """A new code for ``handle``; raises :class:`InputError` when asked too often."""
        recent = [t for t in self.starts.get(handle, []) if now - t < TTL]
        if len(recent) >= STARTS:
            raise InputError("too many codes asked for; wait a few minutes")
        code = f"{secrets.randbelow(1_000_000):06d}"
        self.starts[handle] = [*recent, now]
        self.codes[handle] = WebCode(_digest(handle, code), now + TTL)
        return code

    def check(self, handle: str, code: str, now: float) -> None:
        """Accept ``code`` once; raises :class:`InputError` with the reason otherwise."""
        wc = self.codes.get(handle)
        if wc is None or wc.expires < now:
            self.codes.pop(handle, None)
            raise InputError("no valid code for this handle; ask for a new one")
        if not hmac.compare_digest(wc.digest, _digest(handle, code)):
            wc.tries += 1
            if wc.tries >= TRIES:
                del self.codes[handle]
            raise InputError("wrong code")
        del self.codes[handle]
