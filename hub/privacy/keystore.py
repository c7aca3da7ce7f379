"""The keys of sealed details, kept outside the append-only log so retention can destroy them.

``DATA/sealed-keys/`` (mode 0700) holds one file per UTC day of entry time,
``<day number>.keys`` (0600): fixed 96-byte records, each a sealed-detail id (16 bytes)
and the entry key sealed to the review key (80 bytes), so the hub itself cannot read it.

- A key is appended to its day's file and fsync'd (and the directory too when the file is
  new) *before* the entry that needs it is appended to the log, so an entry never outlives
  its key by accident. A record torn by power loss is cut off at the next append or read;
  a key whose entry never got written is destroyed by retention like any other.
- Retention destroys whole days: one ``unlink`` per day whose every second is older than
  the cut-off, and one fsync of the directory. A key may so outlive the retention period by
  up to a day, never less. A pass cut short by power loss leaves some old days; the next
  pass destroys them. Day files make a pass over 100,000 keys a few dozen unlinks.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from crypto.seal import SEALED_KEY_BYTES, SID_BYTES
from hub.local import DataDir, fsync_dir

KEYS_DIR = "sealed-keys"
DAY = 86400
RECORD = SID_BYTES + SEALED_KEY_BYTES  # 96


class KeyStore:
    """Sealed entry keys by sealed-detail id; see the module docstring."""

    def __init__(self, datadir: DataDir | Path) -> None:
        root = datadir.root if isinstance(datadir, DataDir) else datadir
        self.dir = root / KEYS_DIR

    def put(self, sid: bytes, time: int, sealed_key: bytes, *, sync: bool = True) -> None:
        if len(sid) != SID_BYTES or len(sealed_key) != SEALED_KEY_BYTES or time < 0:
            raise ValueError("a sealed key is 80 bytes for a 16-byte id at a time >= 0")
        self.dir.mkdir(mode=0o700, exist_ok=True)
        path = self.dir / f"{time // DAY:06d}.keys"
        new = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            size = os.fstat(fd).st_size
            if size % RECORD:  # a record torn by power loss: cut it off
                size -= size % RECORD
                os.ftruncate(fd, size)
            os.pwrite(fd, sid + sealed_key, size)
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        if new and sync:
            fsync_dir(self.dir)

    def _days(self) -> Iterator[tuple[int, Path]]:
        try:
            entries = list(os.scandir(self.dir))
        except FileNotFoundError:
            return
        for d in entries:
            stem, dot, ext = d.name.partition(".")
            if dot and ext == "keys" and stem.isdigit():
                yield int(stem), Path(d.path)

    def index(self) -> dict[str, bytes]:
        """Every kept sealed key by sid (hex): read once for a review of many entries."""
        out: dict[str, bytes] = {}
        for _, path in sorted(self._days()):
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            for i in range(0, len(data) - len(data) % RECORD, RECORD):
                out[data[i : i + SID_BYTES].hex()] = data[i + SID_BYTES : i + RECORD]
        return out

    def get(self, sid: bytes, index: dict[str, bytes] | None = None) -> bytes | None:
        """The sealed key of ``sid``, or None when there is none (destroyed, or another
        hub's entry: keys stay with the hub that sealed them)."""
        return (index if index is not None else self.index()).get(sid.hex())

    def __len__(self) -> int:
        return len(self.index())

    def shred(self, before: int) -> int:
        """Destroy every day of keys wholly older than ``before``; the number of keys
        destroyed. Left-over temp files are removed too."""
        erased = 0
        for day, path in self._days():
            if (day + 1) * DAY <= before:
                with contextlib.suppress(FileNotFoundError):
                    erased += path.stat().st_size // RECORD
                    path.unlink()
        with contextlib.suppress(FileNotFoundError):
            for d in os.scandir(self.dir):
                if d.name.startswith("."):  # a temp file of a write cut short
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(d.path)
            fsync_dir(self.dir)
        return erased
