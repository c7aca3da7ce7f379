"""Verify one feed's entries on several processes: ``canopy log verify`` on every core.

Signature checking is nearly all of the work, and an entry's check needs only its own bytes,
the hash of the entry before it and that entry's claimed time, all of which can be read from
the bundle before anything is verified. So the feed is cut into chunks; each chunk starts
from the leaf hash and claimed time of the entry before it, and a worker process runs
exactly the single-process check (:func:`hub.log.verify.check_entry`) over it, stopping at
its first bad entry. The chain is still checked end to end: entry ``i``'s signature covers
the hash of entry ``i - 1``, whichever chunk that sits in.

Chunks are aligned powers of two, so each is a whole subtree of the Merkle tree: a worker
returns its chunk's subtree hash, and the parent folds those (RFC 9162's tree over the
chunk hashes is the tree over the entries). Workers are forked after the entries are read
and take them from their inherited memory, so only positions and hashes cross processes.

The parent takes chunk results in feed order and raises the first chunk's error, so the
error named is the first bad entry of the feed, word for word what one process would say.
If a worker dies (killed for memory on a small board, say), the feed is verified again in
this process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crypto.entrysig import ZERO_HASH, FeedVerifier, split_entry
from crypto.errors import CryptoError
from crypto.keys import PublicKey
from crypto.merkle import leaf_hash, root_from_leaf_hashes
from hub.errors import EntryError, VerifyError
from hub.log.entry import body_time
from hub.log.verify import VerifiedFeed, check_entry, verify_entries

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

# Fewer entries than this per worker are verified faster in one process than the workers
# take to start.
MIN_PER_JOB = 512
# Chunks are powers of two, so each one is a whole subtree of the feed's Merkle tree and its
# worker returns that subtree's hash: the parent folds one hash per chunk, not one per entry.
MIN_CHUNK = 256
MAX_CHUNK = 8192

# The entries being verified, set in the parent just before the workers fork: a worker reads
# its chunk's bytes from its inherited copy, so a task and its answer are a few integers and
# hashes instead of pickled entries (which cost the parent as much as the checks saved).
_SHARED: Sequence[bytes] = ()


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
    stop: int
    prev: bytes  # leaf hash of entry start - 1 (zeros for entry 0)
    last_time: int  # claimed time of entry start - 1 (0 if none or unreadable)
    entries: tuple[bytes, ...] | None  # None: read them from the inherited _SHARED


@dataclass(frozen=True, slots=True)
class _Result:
    verified: int  # how many entries from the chunk's start verified
    root: bytes  # the Merkle subtree hash over those entries (all of the chunk, if no error)
    last_time: int
    error: str | None  # the first bad entry's VerifyError text


def _check_chunk(chunk: _Chunk) -> _Result:
    """Worker side: the single-process check over one chunk, up to its first error."""
    entries = chunk.entries if chunk.entries is not None else _SHARED[chunk.start : chunk.stop]
    verifier = FeedVerifier(PublicKey(chunk.feed))
    prev, last_time = chunk.prev, chunk.last_time
    leaves: list[bytes] = []
    error = None
    for i, entry in enumerate(entries, chunk.start):
        try:
            prev, last_time = check_entry(verifier, i, prev, last_time, entry)
        except VerifyError as e:
            error = str(e)
            break
        leaves.append(prev)
    return _Result(len(leaves), root_from_leaf_hashes(leaves), last_time, error)


def _claimed_time(entry: bytes) -> int:
    """The claimed time in ``entry``'s body, unverified; 0 if it has none (then that entry
    fails its own check, which is reported before anything after it)."""
    try:
        return body_time(split_entry(entry)[0])
    except (CryptoError, EntryError):
        return 0


def chunk_size(n: int, jobs: int) -> int:
    """A power of two giving each worker about eight chunks (so a core slowed by other work
    takes fewer), within [MIN_CHUNK, MAX_CHUNK]."""
    want = max(1, n // (jobs * 8))
    return max(MIN_CHUNK, min(MAX_CHUNK, 1 << (want.bit_length() - 1)))


def _chunks(feed: PublicKey, entries: Sequence[bytes], jobs: int, inherit: bool) -> list[_Chunk]:
    size = chunk_size(len(entries), jobs)
    out = []
    for start in range(0, len(entries), size):
        stop = min(start + size, len(entries))
        before = entries[start - 1] if start else None
        out.append(
            _Chunk(
                feed.raw,
                start,
                stop,
                leaf_hash(before) if before is not None else ZERO_HASH,
                _claimed_time(before) if before is not None else 0,
                None if inherit else tuple(entries[start:stop]),
            )
        )
    return out


def _context() -> BaseContext:
    import multiprocessing  # here, not at import: `canopy note` loads this module's package

    # fork: workers inherit the loaded modules and the entries, and start in milliseconds,
    # which matters on a Pi; the parent is a short-lived command with no threads of its own.
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
    global _SHARED
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    context = _context()
    inherit = context.get_start_method() == "fork"
    roots: list[bytes] = []
    last_time = 0
    done = 0
    chunks = _chunks(feed, entries, jobs, inherit)
    _SHARED = entries if inherit else ()
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(chunks)), mp_context=context)
    try:
        for result in pool.map(_check_chunk, chunks):
            if result.verified:
                # every chunk but the last that verified whole is a full power-of-two
                # subtree, aligned: folding their hashes level by level gives the root
                roots.append(result.root)
                last_time = result.last_time
            done += result.verified
            if progress is not None:
                progress(result.verified)
            if result.error is not None:
                raise VerifyError(result.error)
    except BrokenProcessPool:
        pool.shutdown(wait=True, cancel_futures=True)
        return verify_entries(feed, entries, _skip(progress, done))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _SHARED = ()
    return VerifiedFeed(feed, done, root_from_leaf_hashes(roots), last_time)


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
