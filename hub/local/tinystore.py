"""A crash-safe TinyDB storage: write a temp file, fsync, ``os.replace``, fsync the directory.

TinyDB's stock JSONStorage rewrites its file in place, so a power cut mid-write leaves
half a document. Here a reader sees either the old file or the new one, never a mix.
It is for small mutable state only (settings, cursors, roster); the log never goes here.
One process writes a data directory (see :mod:`hub.local.datadir`), so no locking is done here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage

from hub.errors import StoreError
from hub.local.atomic import atomic_write


class AtomicJSONStorage(Storage):
    """TinyDB storage that never leaves a half-written file behind."""

    def __init__(self, path: str | Path, **_: Any) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as e:
            raise StoreError(f"cannot read {self.path}: {e.strerror}") from e
        if not text.strip():
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise StoreError(f"{self.path} is not valid JSON ({e}); restore it from backup") from e
        if not isinstance(data, dict):
            raise StoreError(f"{self.path} does not hold a TinyDB document")
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        payload = json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")
        try:
            atomic_write(self.path, payload, 0o600)
        except OSError as e:
            raise StoreError(f"cannot write {self.path}: {e.strerror}") from e

    def close(self) -> None:
        pass


def open_db(path: Path) -> TinyDB:
    return TinyDB(path, storage=AtomicJSONStorage)
