"""Other hubs' signed checkpoints, as heard on the mesh, checked and kept.

A checkpoint arrives in binary (size, root, signature); with the origin the hub's ``peer``
entry names, the C2SP note text is rebuilt and the signature checked against the feed key
before anything is kept: ``DIR/checkpoints/<feed hex>/<size>.note``, the newest
:data:`KEEP` per feed. A replica's export carries the newest one the replica matches.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

from crypto.errors import CryptoError
from crypto.keys import PublicKey
from crypto.merkle import root_from_leaf_hashes
from crypto.note import SIG_PREFIX, Checkpoint, Verifier, key_id, open_note, parse_note
from hub.errors import InputError
from hub.local import DataDir, atomic_write

KEEP = 32


class Checkpoints:
    def __init__(self, datadir: DataDir) -> None:
        self.dir: Path = datadir.root / "checkpoints"
        # told (feed, kept note, new note) when a validly signed checkpoint has the size of
        # a kept one but another root: the hub signed two histories (the witness keeps it)
        self.on_conflict: list[Callable[[str, str, str], None]] = []

    def sizes(self, feed: str) -> list[int]:
        d = self.dir / feed
        if not d.is_dir():
            return []
        return sorted(int(p.stem) for p in d.glob("*.note") if p.stem.isdigit())

    def note(self, feed: str, size: int) -> str:
        return (self.dir / feed / f"{size}.note").read_text(encoding="utf-8")

    def matching(self, feed: str, leaves: list[bytes]) -> tuple[Checkpoint, str] | None:
        """The newest kept checkpoint the replica's ``leaves`` agree with, and its note."""
        for size in reversed(self.sizes(feed)):
            if size > len(leaves):
                continue
            try:
                note = self.note(feed, size)
                cp = Checkpoint.parse(parse_note(note).text)
            except (OSError, CryptoError):
                continue
            if cp.root == root_from_leaf_hashes(leaves[:size]):
                return cp, note
        return None

    def take(self, feed: str, origin: str, size: int, root: bytes, sig: bytes) -> bool:
        """Check and keep a checkpoint; False when it is already kept.

        :raises InputError: the signature does not verify for this feed and origin.
        """
        key = PublicKey(bytes.fromhex(feed))
        cp = Checkpoint(origin, size, root)
        blob = base64.b64encode(key_id(origin, key) + sig).decode()
        note = f"{cp.body()}\n{SIG_PREFIX}{origin} {blob}\n"
        try:
            open_note(note, [Verifier(origin, key)])
        except CryptoError as e:
            raise InputError(f"checkpoint of {feed[:16]}… does not verify: {e}") from e
        d = self.dir / feed
        path = d / f"{size}.note"
        if path.exists():
            try:
                kept = path.read_text(encoding="utf-8")
            except OSError:
                return False
            if kept != note:
                for tell in list(self.on_conflict):
                    tell(feed, kept, note)
            return False
        d.mkdir(mode=0o755, parents=True, exist_ok=True)
        atomic_write(path, note.encode("utf-8"))
        for old in self.sizes(feed)[:-KEEP]:
            (d / f"{old}.note").unlink(missing_ok=True)
        return True


def binary_signature(note: str) -> bytes:
    """The Ed25519 signature of a note signed by one key (the hub's own checkpoint)."""
    return parse_note(note).signatures[0][2]
