"""Verify one feed's entries on several processes: ``canopy log verify`` on every core.

Signature checking is nearly all of the work, and an entry's check needs only its own bytes,
the hash of the entry before it and that entry's claimed time, all of which can be read from
the bundle before anything is verified. So the feed is cut into chunks; each chunk starts
from the leaf hash and claimed time of the entry before it, and a worker process runs
exactly the single-process check (:func:`hub.log.verify.check_entry`) over it, stopping at
its first bad entry. The chain is still checked end to end: entry ``i``'s signature covers
the hash of entry ``i - 1``, whichever chunk that sits in.

The parent takes chunk results in feed order, folds their leaf hashes into the Merkle root
and raises the first chunk's error, so the error named is the first bad entry of the feed,
word for word what one process would say. If a worker dies (killed for memory on a small
board, say), the feed is verified again in this process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crypto.entrysig import ZERO_HASH, FeedVerifier, split_entry
from crypto.errors import CryptoError
from crypto.keys import PublicKey
from crypto.merkle import CompactRange, leaf_hash
from hub.errors import EntryError, VerifyError
from hub.log.entry import decode_body
from hub.log.verify import VerifiedFeed, check_entry, verify_entries

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

# Fewer entries than this per worker are verified faster in one process than the workers
# take to start.
MIN_PER_JOB = 512
MIN_CHUNK = 256
MAX_CHUNK = 4096


def default_jobs() -> int:
    """The cores this process may run on (its CPU affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def worth_parallel(n: int, jobs: int) -> bool:
    return jobs > 1 and n >= 2 * MIN_PER_JOB


@dataclass(frozen=True, slots=True)
class _Chunk:
    feed: bytes
    start: int
    prev: bytes  # leaf hash of entry start - 1 (zeros for entry 0)
    last_time: int  # claimed time of entry start - 1 (0 if none or unreadable)
    entries: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class _Result:
    leaves: bytes  # the leaf hashes of the entries that verified, concatenated
    last_time: int
    error: str | None  # the first bad entry's VerifyError text


def _check_chunk(chunk: _Chunk) -> _Result:
    """Worker side: the single-process check over one chunk, up to its first error."""
    verifier = FeedVerifier(PublicKey(chunk.feed))
    prev, last_time = chunk.prev, chunk.last_time
    leaves: list[bytes] = []
    for i, entry in enumerate(chunk.entries, chunk.start):
        try:
            prev, last_time = check_entry(verifier, i, prev, last_time, entry)
        except VerifyError as e:
            return _Result(b"".join(leaves), last_time, str(e))
        leaves.append(prev)
    return _Result(b"".join(leaves), last_time, None)


def _claimed_time(entry: bytes) -> int:
    """The claimed time in ``entry``'s body, unverified; 0 if it has none (then that entry
    fails its own check, which is reported before anything after it)."""
    try:
        return decode_body(split_entry(entry)[0]).time
    except (CryptoError, EntryError):
        return 0


def _chunks(feed: PublicKey, entries: Sequence[bytes], jobs: int) -> list[_Chunk]:
    size = max(MIN_CHUNK, min(MAX_CHUNK, len(entries) // (jobs * 8) or 1))
    out = []
    for start in range(0, len(entries), size):
        before = entries[start - 1] if start else None
        out.append(
            _Chunk(
                feed.raw,
                start,
                leaf_hash(before) if before is not None else ZERO_HASH,
                _claimed_time(before) if before is not None else 0,
                tuple(entries[start : start + size]),
            )
        )
    return out


def _context() -> BaseContext:
    import multiprocessing  # here, not at import: `canopy note` loads this module's package

    # fork: workers inherit the loaded modules and start in milliseconds, which matters on a
    # Pi; the parent is a short-lived command with no threads.
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def verify_parallel(
    feed: PublicKey,
    entries: Sequence[bytes],
    jobs: int,
    progress: Callable[[int], None] | None = None,
) -> VerifiedFeed:
    """Same checks, result and first error as ``verify_entries(feed, entries)``, on ``jobs``
    worker processes."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    compact = CompactRange()
    last_time = 0
    done = 0
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_context())
    try:
        for result in pool.map(_check_chunk, _chunks(feed, entries, jobs)):
            leaves = result.leaves
            for pos in range(0, len(leaves), 32):
                compact.append(leaves[pos : pos + 32])
            last_time = result.last_time
            if result.error is not None:
                raise VerifyError(result.error)
            done += len(leaves) // 32
            if progress is not None:
                progress(len(leaves) // 32)
    except BrokenProcessPool:
        pool.shutdown(wait=True, cancel_futures=True)
        return verify_entries(feed, entries, _skip(progress, done))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return VerifiedFeed(feed, compact.size, compact.root(), last_time)


def _skip(progress: Callable[[int], None] | None, n: int) -> Callable[[int], None] | None:
    """A progress callback that ignores the first ``n`` steps (already shown)."""
    if progress is None:
        return None
    left = [n]

    def step(k: int) -> None:
        if left[0] >= k:
            left[0] -= k
        else:
            progress(k - left[0])
            left[0] = 0

    return step
