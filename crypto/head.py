"""Signed heads: a log's checkpoint with the time its signer said it was current.

A head is a C2SP signed note by the log's own key, under its checkpoint origin, whose text
is ``canopy-head/v1``, ``time <unix seconds>``, then the checkpoint body (origin, size,
base64 root). Two heads of one key where the later one is smaller prove a rollback: the
signer presented a smaller log as current after having signed a larger one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crypto.errors import CryptoError, MalformedData
from crypto.keys import PublicKey
from crypto.note import Checkpoint, Verifier, open_note, parse_note

PREFIX = "canopy-head/v1"


def head_text(origin: str, size: int, root: bytes, timestamp: int) -> str:
    return f"{PREFIX}\ntime {timestamp}\n{Checkpoint(origin, size, root).body()}"


@dataclass(frozen=True, slots=True)
class HeadNote:
    origin: str
    size: int
    root: bytes
    timestamp: int


def open_head_note(note: str, key: PublicKey) -> HeadNote:
    """The head in ``note``, signed by ``key`` under the origin it names; raises
    :class:`crypto.errors.CryptoError` otherwise."""
    parsed = parse_note(note)
    lines = parsed.text.split("\n", 2)
    if len(lines) != 3 or lines[0] != PREFIX:
        raise MalformedData("not a canopy-head/v1 note")
    m = re.fullmatch(r"time (0|[1-9][0-9]{0,18})", lines[1])
    if m is None:
        raise MalformedData("head time line malformed")
    cp = Checkpoint.parse(lines[2])
    if cp.extensions:
        raise MalformedData("head has extension lines")
    open_note(note, [Verifier(cp.origin, key)])
    return HeadNote(cp.origin, cp.size, cp.root, int(m.group(1)))


def proves_rollback(key: PublicKey, earlier: str, later: str) -> bool:
    """Do two head notes of ``key`` prove a rollback: the same origin, ``later`` signed
    after ``earlier`` and smaller? False for anything that does not verify."""
    try:
        a, b = open_head_note(earlier, key), open_head_note(later, key)
    except (CryptoError, ValueError):
        return False
    return a.origin == b.origin and b.timestamp > a.timestamp and b.size < a.size
