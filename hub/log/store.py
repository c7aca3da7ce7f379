"""One append-only file per feed, with length-prefixed, checksummed records.

Record layout: ``length (u32 big-endian) || crc32(entry) (u32 big-endian) || entry``.
Invariants:

- an append returns only after ``fsync``; if the write fails part-way (full disk, I/O
  error) the file is cut back to its previous length before the error is raised;
- at start-up a *torn tail* — a last record that runs past the end of the file or whose
  checksum fails with nothing valid after it — is cut off and saved beside the feed as
  ``<feed>.log.torn-<n>`` so nothing is silently discarded;
- damage before the last record is never "repaired": opening fails with
  :class:`StoreCorrupt` naming the position;
- append cost is O(1): nothing is re-read or re-written as the log grows.

Readers (the portal, other processes) use :class:`FeedReader`, which only ever reads
complete records and picks up new ones on :meth:`FeedReader.refresh`.
"""

from __future__ import annotations

import errno
import os
import struct
import zlib
from pathlib import Path

from crypto.merkle import CompactRange, leaf_hash
from hub.errors import StoreCorrupt, StoreError, StoreFull
from hub.local import atomic_write, fsync_dir

HEADER = struct.Struct(">II")
MAX_RECORD = 70_000


def _scan(data: bytes) -> tuple[list[int], int, str | None]:
    """Return (record offsets, end of the last good record, reason the scan stopped)."""
    offsets: list[int] = []
    pos, n = 0, len(data)
    while pos < n:
        if pos + HEADER.size > n:
            return offsets, pos, "incomplete record header"
        length, crc = HEADER.unpack_from(data, pos)
        if length == 0 or length > MAX_RECORD:
            return offsets, pos, f"impossible record length {length}"
        end = pos + HEADER.size + length
        if end > n:
            return offsets, pos, "record runs past the end of the file"
        if zlib.crc32(data[pos + HEADER.size : end]) != crc:
            return offsets, pos, "record checksum mismatch"
        offsets.append(pos)
        pos = end
    return offsets, pos, None


def _has_valid_record_after(data: bytes, start: int) -> bool:
    """Is there any checksum-valid record starting after ``start``? (damage vs. torn tail)"""
    for pos in range(start + 1, len(data) - HEADER.size):
        length, crc = HEADER.unpack_from(data, pos)
        if 0 < length <= MAX_RECORD and pos + HEADER.size + length <= len(data):
            chunk = data[pos + HEADER.size : pos + HEADER.size + length]
            if chunk[:1] == b"\x82" and zlib.crc32(chunk) == crc:
                return True
    return False


class FeedReader:
    """Read-only view of a feed file; safe while a writer appends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offsets: list[int] = []
        self._lengths: list[int] = []
        self.leaves: list[bytes] = []
        self._end = 0

    def refresh(self) -> int:
        """Read records appended since the last call; return how many are new."""
        try:
            with open(self.path, "rb") as f:
                f.seek(self._end)
                data = f.read()
        except FileNotFoundError:
            return 0
        except OSError as e:
            raise StoreError(f"cannot read {self.path}: {e.strerror}") from e
        offsets, good_end, _ = _scan(data)
        for off in offsets:
            length = HEADER.unpack_from(data, off)[0]
            entry = data[off + HEADER.size : off + HEADER.size + length]
            self._offsets.append(self._end + off + HEADER.size)
            self._lengths.append(length)
            self.leaves.append(leaf_hash(entry))
        self._end += good_end
        return len(offsets)

    def __len__(self) -> int:
        return len(self._offsets)

    def read(self, index: int) -> bytes:
        if not 0 <= index < len(self._offsets):
            raise IndexError(f"no entry {index} in a feed of {len(self._offsets)}")
        with open(self.path, "rb") as f:
            f.seek(self._offsets[index])
            return f.read(self._lengths[index])

    def read_range(self, start: int, stop: int) -> list[bytes]:
        stop = min(stop, len(self._offsets))
        if start >= stop:
            return []
        # Records are contiguous: one read, then slices (a seek and read each is 3x slower).
        base = self._offsets[start]
        with open(self.path, "rb") as f:
            f.seek(base)
            block = f.read(self._offsets[stop - 1] + self._lengths[stop - 1] - base)
        offs, lens = self._offsets, self._lengths
        return [block[offs[i] - base : offs[i] - base + lens[i]] for i in range(start, stop)]


class FeedFile(FeedReader):
    """The single writer's handle on a feed file."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._fd: int | None = None
        self.compact = CompactRange()
        self.torn: Path | None = None  # where a cut tail was saved, if any

    def open(self) -> None:
        """Scan the file, cut a torn tail, and open for appending."""
        try:
            data = self.path.read_bytes() if self.path.exists() else b""
        except OSError as e:
            raise StoreError(f"cannot read {self.path}: {e.strerror}") from e
        offsets, good_end, reason = _scan(data)
        if reason is not None:
            if _has_valid_record_after(data, good_end):
                raise StoreCorrupt(
                    f"{self.path}: record {len(offsets)} at byte {good_end} is damaged "
                    f"({reason}) and valid records follow it; refusing to cut"
                )
            self._save_torn(data[good_end:])
            with open(self.path, "r+b") as f:
                f.truncate(good_end)
                os.fsync(f.fileno())
        for off in offsets:
            length = HEADER.unpack_from(data, off)[0]
            entry = data[off + HEADER.size : off + HEADER.size + length]
            self._offsets.append(off + HEADER.size)
            self._lengths.append(length)
            leaf = leaf_hash(entry)
            self.leaves.append(leaf)
            self.compact.append(leaf)
        self._end = good_end
        new = not self.path.exists()
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as e:
            raise StoreError(f"cannot open {self.path} for appending: {e.strerror}") from e
        if new:
            fsync_dir(self.path.parent)

    def _save_torn(self, tail: bytes) -> None:
        n = 0
        while True:
            candidate = self.path.with_name(f"{self.path.name}.torn-{n}")
            if not candidate.exists():
                break
            n += 1
        atomic_write(candidate, tail)  # durable before the feed is cut
        self.torn = candidate

    def refresh(self) -> int:  # the writer already knows everything it wrote
        return 0

    def append(self, entry: bytes, *, sync: bool = True) -> int:
        """Append one entry durably; return its index. Rolls back a partial write."""
        if self._fd is None:
            raise StoreError("feed is not open")
        if not 0 < len(entry) <= MAX_RECORD:
            raise StoreError(f"entry of {len(entry)} bytes cannot be stored")
        record = HEADER.pack(len(entry), zlib.crc32(entry)) + entry
        try:
            written = os.write(self._fd, record)
            if written != len(record):
                raise OSError(errno.ENOSPC, "short write")
            if sync:
                os.fsync(self._fd)
        except OSError as e:
            self._rollback()
            if e.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StoreFull(f"disk full: entry not stored in {self.path.name}") from e
            raise StoreError(f"cannot append to {self.path}: {e.strerror}") from e
        self._offsets.append(self._end + HEADER.size)
        self._lengths.append(len(entry))
        self._end += len(record)
        leaf = leaf_hash(entry)
        self.leaves.append(leaf)
        self.compact.append(leaf)
        return len(self._offsets) - 1

    def sync(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)

    def _rollback(self) -> None:
        assert self._fd is not None
        try:
            os.ftruncate(self._fd, self._end)
            os.fsync(self._fd)
        except OSError:
            pass  # the torn record is cut at the next start-up

    @property
    def last_leaf(self) -> bytes:
        return self.leaves[-1] if self.leaves else bytes(32)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
