"""Verify a feed's entries and checkpoint from bytes alone, as an outside auditor would.

Everything here takes bytes and returns verified results or raises
:class:`hub.errors.VerifyError` naming the first bad entry and why. It needs nothing of
the hub but the feed key (from the verifier key), so it is what ``canopy log verify``
runs on an exported bundle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from crypto.entrysig import ZERO_HASH, FeedVerifier, entry_length
from crypto.errors import CryptoError
from crypto.keys import PublicKey
from crypto.merkle import CompactRange, leaf_hash
from crypto.note import Checkpoint, Verifier, open_note
from hub.errors import EntryError, VerifyError
from hub.log.entry import body_time


@dataclass(frozen=True, slots=True)
class VerifiedFeed:
    feed: PublicKey
    size: int
    root: bytes
    last_time: int


def split_sequence(data: bytes) -> list[bytes]:
    """Split an RFC 8742 CBOR sequence of entries; raises :class:`VerifyError`."""
    out: list[bytes] = []
    pos = 0
    while pos < len(data):
        try:
            n = entry_length(data, pos)
        except CryptoError as e:
            raise VerifyError(f"entry {len(out)}: {e}") from e
        out.append(data[pos : pos + n])
        pos += n
    return out


def verify_entries(
    feed: PublicKey,
    entries: Sequence[bytes],
    progress: Callable[[int], None] | None = None,
) -> VerifiedFeed:
    """Check every signature, the hash chain, body encoding and non-decreasing time.

    (:func:`hub.log.parallel.verify_parallel` does the same on several processes.)
    """
    verifier = FeedVerifier(feed)
    prev = ZERO_HASH
    compact = CompactRange()
    last_time = 0
    for i, entry in enumerate(entries):
        prev, last_time = check_entry(verifier, i, prev, last_time, entry)
        compact.append(prev)
        if progress is not None:
            progress(1)
    return VerifiedFeed(feed, compact.size, compact.root(), last_time)


def check_entry(
    verifier: FeedVerifier, i: int, prev: bytes, last_time: int, entry: bytes
) -> tuple[bytes, int]:
    """Check entry ``i`` after an entry hashing to ``prev`` claimed at ``last_time``; return
    its leaf hash and claimed time, or raise :class:`VerifyError` naming it and why."""
    try:
        time = body_time(verifier.verify(i, prev, entry))
    except CryptoError as e:
        raise VerifyError(f"entry {i}: {e}") from e
    except EntryError as e:
        raise VerifyError(f"entry {i}: signed, but {e}") from e
    if time < last_time:
        raise VerifyError(f"entry {i}: claimed time goes backwards")
    return leaf_hash(entry), time


def verify_checkpoint(note: str, verifier: Verifier, verified: VerifiedFeed) -> Checkpoint:
    """Check that ``note`` is a checkpoint signed by ``verifier`` for exactly this tree."""
    try:
        opened = open_note(note, [verifier])
        cp = Checkpoint.parse(opened.text)
    except CryptoError as e:
        raise VerifyError(f"checkpoint: {e}") from e
    if cp.origin != verifier.name:
        raise VerifyError(f"checkpoint origin {cp.origin!r} is not {verifier.name!r}")
    if cp.size != verified.size:
        raise VerifyError(
            f"checkpoint is for a tree of {cp.size} entries, the log has {verified.size}"
        )
    if cp.root != verified.root:
        raise VerifyError("checkpoint root does not match the entries: a different tree")
    return cp
