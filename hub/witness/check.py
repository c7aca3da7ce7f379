"""Reading witnessing from files, for the CLI and the portal (no daemon needed), and checking
an exported bundle's cosignatures or a saved (poster) checkpoint, as an outsider would.

An export holds, beside ``<hex>.entries``/``.checkpoint``/``.vkey`` (docs/log-format.md),
``<hex>.cosigned`` when the hub holds cosignatures: the hub's newest cosigned checkpoint
(its size at most the export's), with every cosignature line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crypto.cosignature import Cosigner, verify_cosignatures
from crypto.errors import CryptoError
from crypto.merkle import leaf_hash, root_from_leaf_hashes
from crypto.note import Checkpoint, Verifier, open_note, parse_note
from hub.errors import VerifyError
from hub.local import DataDir
from hub.log import split_sequence
from hub.witness.store import WitnessFiles, with_lines


def witnessed(datadir: DataDir, feed: str) -> list[dict[str, Any]]:
    """Who cosigned ``feed``'s checkpoints, newest cosignature per witness: witness feed,
    name, size, time."""
    recs = WitnessFiles(datadir).records(feed)
    out = [
        {"witness": w, "name": str(r.get("name", "")), "size": r.get("size"), "time": r.get("time")}
        for w, r in recs.items()
        if w != feed
    ]
    return sorted(out, key=lambda r: (-int(r["time"] or 0), r["witness"]))


def cosigned_note(datadir: DataDir, feed: str, note: str) -> str:
    """``note`` (a checkpoint of ``feed``) with every cosignature line held for it."""
    return with_lines(note, list(WitnessFiles(datadir).records(feed).values()))


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise VerifyError(f"cannot read {path.name}: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise VerifyError(f"{path.name} is not UTF-8 text") from e


def _leaves(bundle: Path, feed: str) -> list[bytes]:
    try:
        data = (bundle / f"{feed}.entries").read_bytes()
    except OSError as e:
        raise VerifyError(f"{feed}.entries: {e.strerror or e}") from e
    return [leaf_hash(x) for x in split_sequence(data)]


def _vkey(bundle: Path, feed: str) -> Verifier:
    try:
        return Verifier.parse(_read_text(bundle / f"{feed}.vkey"))
    except CryptoError as e:
        raise VerifyError(f"{feed}.vkey: {e}") from e


def _held(note: str, verifier: Verifier, leaves: list[bytes], what: str) -> Checkpoint:
    """The checkpoint of ``note``, signed by the hub and in the bundle's history."""
    try:
        cp = Checkpoint.parse(open_note(note, [verifier]).text)
    except CryptoError as e:
        raise VerifyError(f"{what}: {e}") from e
    if cp.origin != verifier.name:
        raise VerifyError(f"{what}: origin {cp.origin!r} is not {verifier.name!r}")
    if cp.size > len(leaves):
        raise VerifyError(
            f"ROLLBACK: {what} is for {cp.size} entries, the log holds only {len(leaves)}: "
            "the hub cut its log back, or this export is older than it"
        )
    if cp.size and root_from_leaf_hashes(leaves[: cp.size]) != cp.root:
        raise VerifyError(
            f"SPLIT VIEW: {what} (size {cp.size}) was signed by the hub but is not in this "
            "log's history: the hub showed two different histories"
        )
    return cp


def verify_witnessed(
    bundle: Path, witnesses: list[Cosigner], minimum: int, saved: str | None = None
) -> list[str]:
    """Check cosignatures (at least ``minimum`` distinct given witnesses over a checkpoint
    in the bundle's history) and a saved checkpoint note; one line per check.

    Raises :class:`VerifyError` naming the problem."""
    out: list[str] = []
    for path in sorted(bundle.glob("*.entries")):
        feed = path.stem
        verifier = _vkey(bundle, feed)
        leaves = _leaves(bundle, feed)
        if saved is not None:
            cp = _held(saved, verifier, leaves, "the saved checkpoint")
            out.append(
                f"OK the saved checkpoint (size {cp.size}) is in the history of {feed[:16]}…"
            )
        if minimum <= 0 and not witnesses:
            continue
        seen: dict[bytes, tuple[str, int]] = {}
        for name in (f"{feed}.checkpoint", f"{feed}.cosigned"):
            if not (bundle / name).exists():
                continue
            note = _read_text(bundle / name)
            cp = _held(note, verifier, leaves, name)
            try:
                for c in verify_cosignatures(note, witnesses):
                    seen[c.cosigner.public.raw] = (c.cosigner.name, cp.size)
            except CryptoError as e:
                raise VerifyError(f"{name}: a cosignature does not verify: {e}") from e
            parse_note(note)
        if len(seen) < minimum:
            raise VerifyError(
                f"{feed[:16]}…: {len(seen)} valid cosignature(s) from the given witnesses, "
                f"{minimum} required"
            )
        names = ", ".join(f"{n} (size {s})" for n, s in sorted(seen.values()))
        out.append(f"OK {len(seen)} witness(es) cosigned {feed[:16]}…: {names or 'none'}")
    return out
