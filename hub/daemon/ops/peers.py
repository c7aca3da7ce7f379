"""Ops for the federation and sync: adding and removing peer hubs, listing them, sync status.

A hub's federation is what its own log says: ``peer_add`` writes a signed ``peer`` entry,
``peer_remove`` an ``unpeer`` entry, so anyone reading the log sees whom it trusts and since
when. A removed hub stops counting from the removal on; what it wrote stays verifiable.
"""

from __future__ import annotations

from typing import Any

from crypto.errors import CryptoError
from crypto.keys import PublicKey
from crypto.note import Verifier
from hub.daemon.core import HubCore
from hub.daemon.ops.base import Op, registrar, text_arg
from hub.errors import InputError
from hub.local import origin_for

OPS: dict[str, Op] = {}
op = registrar(OPS)


def _feed_of(args: dict[str, Any]) -> tuple[str, str]:
    """``(feed hex, origin)`` from a ``vkey`` (C2SP verifier key) or a 64-hex ``feed``."""
    vkey, feed = args.get("vkey"), args.get("feed")
    if isinstance(vkey, str) and vkey:
        try:
            v = Verifier.parse(vkey)
        except CryptoError as e:
            raise InputError(f"not a hub's verifier key (canopy id --json prints it): {e}") from e
        return v.public.raw.hex(), v.name
    if isinstance(feed, str) and len(feed) == 64 and all(c in "0123456789abcdef" for c in feed):
        return feed, ""
    raise InputError("give the hub's verifier key (vkey), as `canopy id --json` prints it there")


def _name_from(origin: str) -> str:
    parts = origin.split("/")
    return parts[1] if len(parts) == 3 and parts[0] == "canopy" and parts[1] else origin[:64]


@op("peer_add")
def peer_add(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    feed, origin = _feed_of(args)
    if feed == core.log.feed_hex:
        raise InputError("that is this hub's own key")
    state = core.state
    current = state.peers.get(feed)
    if current is not None and current.until is None:
        if feed in state.pins_shared:
            raise InputError(
                f"already federated with {current.name} (since entry #{current.entry})"
            )
        # federated before hubs shared pin secrets: share them now, so it recognises
        # the radios of the stewards this hub enrols
        done = core.log.append("pin-share", {"feed": bytes.fromhex(feed), "box": _box(core, feed)})
        return {"ok": True, "feed": feed, "name": current.name, "index": done.index, "pins": True}
    name = text_arg(args, "name", False, 64) or _name_from(origin) or feed[:8]
    box = _box(core, feed)  # before any entry: a key it cannot seal to writes nothing
    fields: dict[str, Any] = {"feed": bytes.fromhex(feed), "name": name}
    if origin:
        fields["origin"] = origin
    done = core.log.append("peer", fields)
    core.log.append("pin-share", {"feed": fields["feed"], "box": box})
    return {"ok": True, "feed": feed, "name": name, "index": done.index, "pins": False}


def _box(core: HubCore, feed: str) -> bytes:
    """This hub's pin secrets sealed to the peer, for a ``pin-share`` entry
    (docs/privacy.md): it then recognises the radios of the stewards this hub enrols."""
    try:
        return core.pins.share(bytes.fromhex(feed))
    except CryptoError as e:  # a feed key that is no Ed25519 point
        raise InputError(f"cannot seal this hub's pin secrets to that key: {e}") from e


@op("peer_remove")
def peer_remove(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    feed, _ = _feed_of(args)
    peer = core.state.peers.get(feed)
    if peer is None or peer.until is not None:
        raise InputError(f"not federated with {feed[:16]}…")
    fields: dict[str, Any] = {"feed": bytes.fromhex(feed)}
    text = text_arg(args, "text", False, 200)
    if text:
        fields["text"] = text
    done = core.log.append("unpeer", fields)
    return {"ok": True, "feed": feed, "name": peer.name, "index": done.index}


@op("peer_list")
def peer_list(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    state = core.state
    peers = []
    for p in sorted(state.peers.values(), key=lambda p: p.entry):
        size = core.log.replicas.size(p.feed) if core.datadir.feed_path(p.feed).exists() else 0
        peers.append(
            {
                "feed": p.feed,
                "name": p.name,
                "since": p.since,
                "until": p.until,
                "federated": p.until is None,
                "entries": size,
                "forked": p.feed in core.log.replicas.forked,
            }
        )
    heard = []
    sync_status = core.sync.status() if core.sync is not None else {}
    for h in sync_status.get("hubs_heard", []):
        if h["feed"] in state.peers and state.peers[h["feed"]].until is None:
            continue
        if h["feed"] == core.log.feed_hex:
            continue

        vkey = Verifier(
            origin_for(h["name"], PublicKey(bytes.fromhex(h["feed"]))),
            PublicKey(bytes.fromhex(h["feed"])),
        )
        heard.append({**h, "vkey": vkey.to_string()})
    return {"ok": True, "peers": peers, "heard": heard}


@op("sync_status")
def sync_status(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    if core.sync is None:
        raise InputError("sync runs inside `canopy run`; start the hub daemon first")
    return {"ok": True, **core.sync.status()}


@op("witness_status")
def witness_status(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    if core.witness is None:
        raise InputError("witnessing runs inside `canopy run`; start the hub daemon first")
    return {"ok": True, **core.witness.status()}
