"""Reading sealed details with the review private key, on a copy of a hub's data or an export.

The review key pair is made away from any hub (``canopy review keygen``); hubs get only the
public half. ``canopy review show --key review.key --data DIR`` reads every feed ``DIR``
holds (a data directory, or an export bundle: ``*.entries`` files) and opens each sealed
detail whose key is still in ``DIR/sealed-keys/`` (a bundle has one only if the operator
copied it there: exports never carry keys).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from crypto.entrysig import split_entry
from crypto.errors import CryptoError
from crypto.seal import KEY_BYTES, UnsealError, review_keypair, unseal
from hub.errors import EntryError
from hub.local import DataDir, atomic_write
from hub.log import LoggedEntry, LogView, decode_body, iso_time, split_sequence
from hub.privacy.keystore import KeyStore
from hub.privacy.policy import PrivacyError

PUBLIC_FILE = "review.pub"
PRIVATE_FILE = "review.key"


def keygen(out: Path) -> tuple[Path, Path]:
    """Write a fresh review key pair into ``out`` (the private half 0600); never overwrites."""
    out.mkdir(parents=True, exist_ok=True)
    pub_path, key_path = out / PUBLIC_FILE, out / PRIVATE_FILE
    for p in (pub_path, key_path):
        if p.exists():
            raise PrivacyError(f"{p} exists: a review key is never overwritten")
    public, private = review_keypair()
    atomic_write(key_path, (private.hex() + "\n").encode(), mode=0o600)
    atomic_write(pub_path, (public.hex() + "\n").encode(), mode=0o644)
    return pub_path, key_path


def _read_hex_key(path: Path, what: str) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError as e:
        raise PrivacyError(f"no {what} at {path}") from e
    except (OSError, UnicodeDecodeError) as e:
        raise PrivacyError(f"cannot read the {what} {path}: {e}") from e
    try:
        raw = bytes.fromhex(text)
    except ValueError as e:
        raise PrivacyError(f"{path} is not a {what} (64 hex digits)") from e
    if len(raw) != KEY_BYTES:
        raise PrivacyError(f"{path} is not a {what} (64 hex digits)")
    return raw


def read_public(path: Path) -> bytes:
    return _read_hex_key(path, "review public key")


def read_private(path: Path) -> bytes:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError as e:
        raise PrivacyError(f"no review private key at {path}") from e
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PrivacyError(f"{path} is readable by others: chmod 600 it first")
    return _read_hex_key(path, "review private key")


@dataclass(frozen=True)
class Reviewed:
    entry: LoggedEntry
    details: str | None  # the opened text, or None with ``problem`` saying why
    problem: str | None = None

    def line(self) -> str:
        f = self.entry.body.named_fields()
        head = f"{self.entry.feed[:8]}#{self.entry.index} {iso_time(self.entry.body.time)}"
        head += f" {self.entry.body.author or 'hub'} {self.entry.body.kind_name}"
        category, place = f.get("category"), f.get("place")
        if isinstance(category, str):
            head += f" [{category}{' @ ' + place if isinstance(place, str) else ''}]"
        if self.details is not None:
            return f"{head}: {self.details}"
        return f"{head}: ({self.problem})"


def _feeds(root: Path) -> Iterator[LoggedEntry]:
    bundles = sorted(root.glob("*.entries"))
    if bundles:
        for path in bundles:
            for i, raw in enumerate(split_sequence(path.read_bytes())):
                try:
                    yield LoggedEntry(path.stem, i, raw, decode_body(split_entry(raw)[0]))
                except (CryptoError, EntryError):
                    continue
        return
    view = LogView(DataDir(root))
    for feed in view.feeds():
        yield from view.entries(feed)


def review_sealed(root: Path, private: bytes) -> Iterator[Reviewed]:
    """Every sealed entry under ``root`` with its details opened, or why they are not."""
    if not root.is_dir():
        raise PrivacyError(f"{root} is not a directory")
    if not (root / "feeds").is_dir() and not any(root.glob("*.entries")):
        raise PrivacyError(f"{root} is neither a hub data directory nor an export bundle")
    keys = KeyStore(root)
    index = keys.index()
    for e in _feeds(root):
        if e.body.kind_name not in ("report", "sealed-note"):
            continue
        f = e.body.named_fields()
        sid, box = f.get("sid"), f.get("box")
        if not isinstance(sid, bytes) or not isinstance(box, bytes):
            yield Reviewed(e, None, "no details were given")
            continue
        sealed_key = keys.get(sid, index)
        if sealed_key is None:
            yield Reviewed(e, None, "erased: its key was destroyed (or is held by another hub)")
            continue
        try:
            text = unseal(private, sid, box, sealed_key).decode("utf-8", errors="replace")
        except UnsealError as ex:
            yield Reviewed(e, None, f"does not open: {ex}")
            continue
        yield Reviewed(e, text)
