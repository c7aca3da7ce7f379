"""The keys of sealed details, kept outside the append-only log so retention can destroy them.

One small file per sealed detail in ``DATA/sealed-keys/`` (mode 0700), named
``<time, 11 digits>-<sid, 32 hex>.key`` and holding the entry key sealed to the review key
(80 bytes): the hub itself cannot read it, only a reviewer with the review private key.

Each file is written atomically and durably (temp file, fsync, rename, fsync of the
directory) *before* the entry that needs it is appended, so an entry never outlives its
key by accident; a key whose entry never got written is destroyed by retention like any
other. Destroying is one ``unlink`` per key and an fsync of the directory at the end: a
pass cut short by power loss leaves some old keys, and the next pass destroys them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from crypto.seal import SEALED_KEY_BYTES, SID_BYTES
from hub.local import DataDir, atomic_write, fsync_dir

KEYS_DIR = "sealed-keys"


class KeyStore:
    """Sealed entry keys by sealed-detail id; see the module docstring."""

    def __init__(self, datadir: DataDir | Path) -> None:
        root = datadir.root if isinstance(datadir, DataDir) else datadir
        self.dir = root / KEYS_DIR

    def put(self, sid: bytes, time: int, sealed_key: bytes) -> None:
        if len(sid) != SID_BYTES or len(sealed_key) != SEALED_KEY_BYTES or time < 0:
            raise ValueError("a sealed key is 80 bytes for a 16-byte id at a time >= 0")
        self.dir.mkdir(mode=0o700, exist_ok=True)
        atomic_write(self.dir / f"{time:011d}-{sid.hex()}.key", sealed_key, mode=0o600)

    def _files(self) -> Iterator[tuple[int, str, Path]]:
        try:
            entries = list(os.scandir(self.dir))
        except FileNotFoundError:
            return
        for d in entries:
            stem, dot, ext = d.name.partition(".")
            t, dash, sid = stem.partition("-")
            if dot and ext == "key" and dash and t.isdigit() and len(sid) == 2 * SID_BYTES:
                yield int(t), sid, Path(d.path)

    def index(self) -> dict[str, Path]:
        """Every kept key's file by sid (hex): read once for a review of many entries."""
        return {sid: path for _, sid, path in self._files()}

    def get(self, sid: bytes, index: dict[str, Path] | None = None) -> bytes | None:
        """The sealed key of ``sid``, or None when there is none (destroyed, or another
        hub's entry: keys stay with the hub that sealed them)."""
        path = (index if index is not None else self.index()).get(sid.hex())
        if path is None:
            return None
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def __len__(self) -> int:
        return sum(1 for _ in self._files())

    def shred(self, before: int) -> int:
        """Destroy every key of an entry older than ``before``; the number destroyed.

        Left-over temp files of a write cut short are removed too."""
        erased = 0
        for t, _, path in self._files():
            if t < before:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    erased += 1
        with contextlib.suppress(FileNotFoundError):
            for d in os.scandir(self.dir):
                if d.name.startswith("."):  # a temp file of a write cut short
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(d.path)
            fsync_dir(self.dir)
        return erased
