"""The op that holds a saved checkpoint against this hub's copy of that hub's log.

A checkpoint a passer-by photographed on a shop's poster, or one that came with an export,
is a signed statement of that hub's history. ``witness_check`` verifies it against the
hubs this hub knows (its own key and its federated peers') and compares it with the copy
it holds. A peer's checkpoint is kept with the ones heard on the mesh, so the witness
service holds it against the replica as it grows; one that contradicts the replica is a
split view, kept as evidence and logged as a signed ``split-view`` entry (docs/witness.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crypto.errors import CryptoError
from crypto.keys import PublicKey
from crypto.merkle import root_from_leaf_hashes
from crypto.note import Checkpoint, Verifier, open_note, parse_note
from hub.daemon.core import HubCore
from hub.daemon.ops.base import Op, registrar
from hub.errors import HubError, InputError
from hub.log import split_sequence

OPS: dict[str, Op] = {}
op = registrar(OPS)

MAX_NOTE = 8 * 1024  # a checkpoint note with every cosignature line is well under this


def _known(core: HubCore) -> dict[str, str]:
    """Feed hex -> checkpoint origin of every hub whose checkpoints this hub can verify."""
    known = {feed: p.origin for feed, p in core.state.peers.items() if p.origin}
    ident = core.log.identity
    if ident is not None:
        known[ident.feed.hex()] = ident.origin
    return known


@op("witness_check")
def witness_check(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    note = args.get("note")
    if not isinstance(note, str) or not note or len(note.encode("utf-8")) > MAX_NOTE:
        raise InputError(f"give the checkpoint note as text, at most {MAX_NOTE} bytes")
    try:
        cp = Checkpoint.parse(parse_note(note).text)
    except (CryptoError, ValueError) as e:
        raise InputError(f"not a checkpoint note: {e}") from e
    feed, sig = None, b""
    for hex_, origin in _known(core).items():
        verifier = Verifier(origin, PublicKey(bytes.fromhex(hex_)))
        if origin != cp.origin:
            continue
        try:
            signed = open_note(note, [verifier])
        except CryptoError:
            continue
        feed = hex_
        sig = next(s for name, kid, s in signed.signatures if kid == verifier.key_id)
        break
    if feed is None:
        raise InputError(
            f"the checkpoint of {cp.origin[:64]!r} is not signed by this hub or a hub it "
            "federates with (canopy peer list)"
        )
    own = core.log.identity is not None and feed == core.log.identity.feed.hex()
    if own:
        held = core.log.own.leaves if core.log.own is not None else []
    else:
        held = core.log.replicas.file(feed).leaves
    out: dict[str, Any] = {"ok": True, "feed": feed, "origin": cp.origin}
    out.update(size=cp.size, held=len(held))
    if cp.size > len(held):
        out["verdict"] = "ahead"
    elif root_from_leaf_hashes(held[: cp.size]) == cp.root:
        out["verdict"] = "consistent"
    else:
        out["verdict"] = "split-view"
    if not own:  # kept beside the mesh's: the witness service holds it against the replica
        core.log.checkpoints.take(feed, cp.origin, cp.size, cp.root, sig)
    return out


MAX_BUNDLE = 64 * 1024 * 1024  # an export of a whole feed; the file is read once


@op("log_recover")
def log_recover(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    """Entries of the own feed lost to a restored old copy, back from an export of another
    copy (``<feed>.entries`` of a peer's ``canopy log export --feed``)."""
    path = args.get("path")
    if not isinstance(path, str) or not path:
        raise InputError("give the export directory")
    ident = core.log.identity
    assert ident is not None
    file = Path(path) / f"{ident.feed.hex()}.entries"
    try:
        if file.stat().st_size > MAX_BUNDLE:
            raise InputError(f"{file.name} is over {MAX_BUNDLE} bytes")
        raws = split_sequence(file.read_bytes())
    except OSError as e:
        raise InputError(f"no entries of this hub's own feed in {path}: {e.strerror}") from e
    except (ValueError, HubError) as e:
        raise InputError(f"{file.name} is not an export's entries: {e}") from e
    before = len(core.log.own) if core.log.own is not None else 0
    try:
        new = core.log.recover_own(raws)
    except HubError as e:
        raise InputError(f"not recovered: {e}") from e
    return {"ok": True, "recovered": len(new), "before": before, "size": before + len(new)}
