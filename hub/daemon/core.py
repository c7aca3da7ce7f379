"""Named write operations on a hub, run by the daemon or, offline, under the writer lock.

Each op takes the open :class:`HubCore` and the request's arguments (untrusted JSON) and
returns a JSON-able dict. Ops validate their arguments and raise
:class:`hub.errors.InputError` with a reason; ops that need a running radio raise
:class:`hub.errors.DaemonError` when run offline.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from typing import Any

from tinydb import TinyDB

from hub.errors import DaemonError, InputError
from hub.local.datadir import DataDir
from hub.local.tinystore import open_db
from hub.log.entry import FieldValue
from hub.log.own import HubLog

Op = Callable[["HubCore", dict[str, Any]], dict[str, Any]]
OPS: dict[str, Op] = {}


def op(name: str) -> Callable[[Op], Op]:
    def register(fn: Op) -> Op:
        OPS[name] = fn
        return fn

    return register


class HubCore:
    """The hub's state for one writer: the log, the small-state DB and optional services."""

    def __init__(self, datadir: DataDir, clock: Callable[[], float] = _time.time) -> None:
        self.datadir = datadir
        self.clock = clock
        self.log = HubLog(datadir, clock)
        self._db: TinyDB | None = None
        self.services: dict[str, Any] = {}
        self.online = False  # True inside the running daemon

    def open(self) -> None:
        self.log.open()
        self._db = open_db(self.datadir.state)

    def close(self) -> None:
        self.log.close()
        if self._db is not None:
            self._db.close()

    @property
    def db(self) -> TinyDB:
        if self._db is None:
            raise DaemonError("hub state is not open")
        return self._db

    def run(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        fn = OPS.get(name)
        if fn is None:
            raise InputError(f"unknown operation {name!r}")
        return fn(self, args)


def _fields(args: dict[str, Any]) -> dict[str, FieldValue]:
    fields = args.get("fields", {})
    if not isinstance(fields, dict):
        raise InputError("fields must be an object")
    out: dict[str, FieldValue] = {}
    for k, v in fields.items():
        if not isinstance(v, int | str | type(None)):
            raise InputError(f"field {k!r} must be text, an integer or null")
        out[str(k)] = v
    return out


@op("ping")
def _ping(hub: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "online": hub.online}


@op("append")
def _append(hub: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    kind = args.get("kind")
    author = args.get("author", "")
    if not isinstance(kind, str) or not isinstance(author, str):
        raise InputError("append needs a kind and a text author")
    done = hub.log.append(kind, _fields(args), author=author)
    return {"ok": True, "feed": done.feed, "index": done.index, "kind": kind}


@op("checkpoint")
def _checkpoint(hub: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "checkpoint": hub.log.checkpoint()}


@op("status")
def _status(hub: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    daemon = hub.services.get("daemon")
    if daemon is None:
        return {"ok": True, "online": False, "entries": len(hub.log.own or [])}
    result: dict[str, Any] = daemon.status()
    return result


# Ops of the other areas register themselves on import; they need `op` and `HubCore` above.
import hub.daemon.ops.portal  # noqa: E402
import hub.daemon.ops.stewards  # noqa: E402, F401
