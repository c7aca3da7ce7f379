"""The witness's files in the data directory.

- ``DIR/witness.key``: the witness key (Ed25519 seed, hex, mode 0600), distinct from the
  log key ``DIR/hub.key``; created on first use.
- ``DIR/witness/cosigned.json``: per feed, the size and root this hub last cosigned.
- ``DIR/witness/sigs/<feed>.json``: per feed, the newest accepted cosignature of each
  witness (this hub's own cosignatures of its peers included).
- ``DIR/witness/checkpoint.note``: this hub's newest checkpoint that holds cosignatures,
  with every cosignature line held for it.
- ``DIR/witness/heads.json``: per feed, the largest signed head heard (this hub's own:
  the largest it signed), :mod:`hub.witness.heads`.
- ``DIR/witness/rollback.json``: present while this hub knows its own log is shorter than
  one it signed before (restored from an old copy); what it knows and how.
- ``DIR/witness/evidence/``: conflicting statements, one text file each, never deleted.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

from crypto.errors import CryptoError, KeyFileError
from crypto.keys import SigningKey, load_key_file, write_key_file
from crypto.note import Checkpoint, parse_note
from hub.errors import DataDirError
from hub.local import DataDir, Identity, atomic_write
from hub.witness.core import Conflict, Heard


def witness_name(ident: Identity) -> str:
    """The cosigner name: the hub's checkpoint origin with ``/witness``."""
    return f"{ident.origin}/witness"


def witness_key(datadir: DataDir) -> SigningKey:
    """Load the witness key, creating it (mode 0600) when the hub has none yet."""
    path = datadir.root / "witness.key"
    if not path.exists():
        with contextlib.suppress(KeyFileError):  # if another process made it first, load that
            write_key_file(path, SigningKey.generate())
    try:
        return load_key_file(path)
    except KeyFileError as e:
        raise DataDirError(str(e)) from e


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def with_lines(note: str, records: list[dict[str, Any]]) -> str:
    """``note`` plus the cosignature lines of ``records`` made for exactly its checkpoint."""
    try:
        cp = Checkpoint.parse(parse_note(note).text)
    except CryptoError:
        return note
    lines = [
        str(r["line"])
        for r in records
        if r.get("size") == cp.size and r.get("root") == cp.root.hex() and "line" in r
    ]
    return note + "".join(sorted(lines))


class WitnessFiles:
    def __init__(self, datadir: DataDir) -> None:
        self.datadir = datadir
        self.dir = datadir.root / "witness"

    def _ensure(self, *parts: str) -> Path:
        d = self.dir.joinpath(*parts)
        d.mkdir(mode=0o750, parents=True, exist_ok=True)
        return d

    # -- what this hub cosigned ---------------------------------------------------------
    def cosigned(self) -> dict[str, tuple[int, bytes, float]]:
        out: dict[str, tuple[int, bytes, float]] = {}
        for feed, v in _load(self.dir / "cosigned.json").items():
            try:
                out[feed] = (int(v["size"]), bytes.fromhex(v["root"]), float(v.get("at", 0)))
            except (KeyError, TypeError, ValueError):
                continue
        return out

    def set_cosigned(self, feed: str, size: int, root: bytes, at: float) -> None:
        data = _load(self.dir / "cosigned.json")
        data[feed] = {"size": size, "root": root.hex(), "at": at}
        self._ensure()
        atomic_write(self.dir / "cosigned.json", json.dumps(data, indent=1).encode())

    # -- cosignatures heard (and made) ----------------------------------------------------
    def records(self, feed: str) -> dict[str, dict[str, Any]]:
        """The newest cosignature of each witness for ``feed``, by witness feed."""
        return {
            k: v
            for k, v in _load(self.dir / "sigs" / f"{feed}.json").items()
            if isinstance(v, dict)
        }

    def keep(self, h: Heard) -> None:
        data = self.records(h.feed)
        old = data.get(h.witness.feed)
        if old is not None and int(old.get("time", 0)) >= h.timestamp:
            return
        data[h.witness.feed] = {
            "name": h.witness.cosigner.name,
            "key": h.witness.cosigner.to_string(),
            "size": h.size,
            "root": h.root.hex(),
            "time": h.timestamp,
            "sig": h.signature.hex(),
            "line": h.line(),
        }
        atomic_write(self._ensure("sigs") / f"{h.feed}.json", json.dumps(data, indent=1).encode())

    def feeds(self) -> list[str]:
        d = self.dir / "sigs"
        return sorted(p.stem for p in d.glob("*.json")) if d.is_dir() else []

    # -- the own cosigned checkpoint ------------------------------------------------------
    @property
    def note_path(self) -> Path:
        return self.dir / "checkpoint.note"

    def own_note(self) -> str | None:
        try:
            return self.note_path.read_text(encoding="utf-8")
        except OSError:
            return None

    def set_own_note(self, note: str) -> None:
        self._ensure()
        atomic_write(self.note_path, note.encode("utf-8"))

    # -- signed heads and the own rollback ------------------------------------------------
    def heads(self) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in _load(self.dir / "heads.json").items() if isinstance(v, dict)}

    def set_head(self, feed: str, record: dict[str, Any]) -> None:
        data = self.heads()
        data[feed] = record
        self._ensure()
        atomic_write(self.dir / "heads.json", json.dumps(data, indent=1).encode())

    def rollback(self) -> dict[str, Any] | None:
        """What this hub knows of its own rollback, or ``None``."""
        data = _load(self.dir / "rollback.json")
        return data or None

    def set_rollback(self, data: dict[str, Any] | None) -> None:
        path = self.dir / "rollback.json"
        if data is None:
            path.unlink(missing_ok=True)
            return
        self._ensure()
        atomic_write(path, json.dumps(data, indent=1).encode())

    # -- evidence ----------------------------------------------------------------------------
    def keep_evidence(self, c: Conflict) -> Path:
        d = self._ensure("evidence")
        text = (
            f"kind: {c.kind}\nfeed: {c.feed}\nwitness: {c.witness or '-'}\n"
            f"kept: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n\n"
            f"--- held here ---\n{c.a}\n--- heard ---\n{c.b}"
        )
        n = len(list(d.glob("*.txt")))
        path = d / f"{n:04d}-{c.kind}-{c.feed[:16]}.txt"
        atomic_write(path, text.encode("utf-8"))
        return path

    def evidence(self) -> list[Path]:
        d = self.dir / "evidence"
        return sorted(d.glob("*.txt")) if d.is_dir() else []
