"""Ops on the log itself: ping, append, checkpoint and status."""

from __future__ import annotations

from typing import Any

from hub.daemon.core import HubCore
from hub.daemon.ops.base import Op, fields_arg, registrar
from hub.errors import InputError

OPS: dict[str, Op] = {}
op = registrar(OPS)


@op("ping")
def ping(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "online": core.online}


@op("append")
def append(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    kind = args.get("kind")
    author = args.get("author", "")
    if not isinstance(kind, str) or not isinstance(author, str):
        raise InputError("append needs a kind and a text author")
    done = core.log.append(kind, fields_arg(args), author=author)
    return {"ok": True, "feed": done.feed, "index": done.index, "kind": kind}


@op("checkpoint")
def checkpoint(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    """The signed checkpoint; with ``public``, of the entries every public surface may
    show now (hub.privacy: an entry whose text is still held back ends the prefix)."""
    size = None
    if args.get("public"):
        from hub.privacy import public_prefix

        size = public_prefix(core.datadir, core.clock())
    return {"ok": True, "checkpoint": core.log.checkpoint(size)}


@op("status")
def status(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    if core.daemon is None:
        return {"ok": True, "online": False, "entries": len(core.log.own or [])}
    return core.daemon.status()


@op("retention")
def retention(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    """Destroy the keys of sealed details past the retention period (hub.privacy)."""
    from hub.privacy import run_retention

    def append(kind: str, fields: dict[str, Any]) -> object:
        return core.log.append(kind, fields)

    return {"ok": True, **run_retention(core.datadir, core.clock(), append).to_json()}
