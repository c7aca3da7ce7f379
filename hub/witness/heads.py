"""Signed heads: a hub says, with its own log key and a timestamp, "my log is this now".

A checkpoint note has no time: an old one is still true of an old prefix, so a hub that
announces a smaller checkpoint than before proves nothing (anyone can replay an old one).
A **head** adds the time. Its text, signed as a C2SP signed note by the hub's log key under
the hub's checkpoint origin, is::

    canopy-head/v1
    time <unix seconds>
    <origin>
    <size>
    <base64 root>

Two heads of one hub, ``(t1, n)`` and ``(t2, m)`` with ``t2 > t1`` and ``m < n``, prove
that the hub presented a smaller log as current after having signed a larger one: a
**rollback** (its data restored from an old copy, or its key used to lie). A legitimate
hub never signs such a pair: its log never shrinks, and it dates its heads no earlier than
the last one it signed. A replayed old head is never later than the held one, so it is
counted as ``head-old`` and proves nothing; a head not signed by the feed's key is
``head-bad-signature``. Sans-IO: bytes, keys and time in; verdicts out. The text and the proof
anyone can check are in :mod:`crypto.head`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from crypto.head import head_text
from crypto.keys import PublicKey, SigningKey
from crypto.note import SIG_PREFIX, key_id
from hub.witness.frames import FEED_ID, HeadFrame

__all__ = ["Head", "head_text", "judge", "open_head", "sign_head"]


@dataclass(frozen=True, slots=True)
class Head:
    """One signed head of ``feed`` (hex), verified."""

    feed: str
    origin: str
    size: int
    root: bytes
    timestamp: int
    signature: bytes

    def text(self) -> str:
        return head_text(self.origin, self.size, self.root, self.timestamp)

    def note(self) -> str:
        """The signed note anyone can check with the hub's verifier key."""
        kid = key_id(self.origin, PublicKey(bytes.fromhex(self.feed)))
        blob = base64.b64encode(kid + self.signature).decode()
        return f"{self.text()}\n{SIG_PREFIX}{self.origin} {blob}\n"

    def frame(self) -> HeadFrame:
        fid = bytes.fromhex(self.feed)[:FEED_ID]
        return HeadFrame(fid, self.size, self.root, self.timestamp, self.signature)

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "size": self.size,
            "root": self.root.hex(),
            "time": self.timestamp,
            "sig": self.signature.hex(),
        }

    @classmethod
    def from_json(cls, feed: str, d: dict[str, Any]) -> Head:
        """Raises KeyError, TypeError or ValueError on a broken record."""
        return cls(
            feed,
            str(d["origin"]),
            int(d["size"]),
            bytes.fromhex(str(d["root"])),
            int(d["time"]),
            bytes.fromhex(str(d["sig"])),
        )


def sign_head(key: SigningKey, origin: str, size: int, root: bytes, timestamp: int) -> Head:
    sig = key.sign(head_text(origin, size, root, timestamp).encode())
    return Head(key.public.hex(), origin, size, root, timestamp, sig)


def open_head(f: HeadFrame, feed: str, origin: str) -> Head:
    """The head of ``feed`` in the frame, checked against the feed's key (its hex is the
    public key); raises :class:`crypto.errors.CryptoError` when it was not signed by it."""
    h = Head(feed, origin, f.size, f.root, f.timestamp, f.signature)
    PublicKey(bytes.fromhex(feed)).verify(h.text().encode(), f.signature)
    return h


def judge(held: Head | None, new: Head) -> str:
    """What a verified head means beside the held one (the largest heard, the earliest
    at that size): ``keep`` (it replaces it), ``known``, ``old`` (a smaller one, not
    later: a replay or a late frame), ``rollback`` (smaller and later) or ``split-view``
    (another root at the held size)."""
    if held is None or new.size > held.size:
        return "keep"
    if new.size == held.size:
        if new.root != held.root:
            return "split-view"
        return "keep" if new.timestamp < held.timestamp else "known"
    return "rollback" if new.timestamp > held.timestamp else "old"
