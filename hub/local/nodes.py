"""The node list: Meshtastic nodes the hub has heard, over its radio or over MQTT.

It is hub-local bookkeeping, not history: it lives in one TinyDB document (table
``nodes``) and may be lost without lying about anything. Names are what the node claims
(unauthenticated, whatever the path), but a name heard over the hub's own radio is not
replaced by one heard over MQTT: anyone on a bridged broker can claim any node number, so
``name_via`` says where the names came from and only the radio may overwrite a radio's
name. Writes are batched: :meth:`NodeList.seen` only
updates memory and writes the whole list in one atomic TinyDB write at most every
``flush_every`` seconds; whoever stops last calls :meth:`NodeList.flush` (the MQTT service
does, and ticks every few seconds so a quiet spell does not leave changes unwritten).

The daemon's loop thread is the only writer; readers (``canopy nodes``) read the state
file directly with :func:`read_nodes`.
"""

from __future__ import annotations

import dataclasses
import time as _time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from tinydb import TinyDB
from tinydb.table import Document

from hub.errors import InputError
from hub.local.datadir import DataDir
from hub.local.tinystore import AtomicJSONStorage
from hub.mesh import BROADCAST

TABLE = "nodes"
MAX_NODES = 2000
VIA = ("radio", "mqtt")


@dataclass(frozen=True, slots=True)
class NodeRecord:
    num: int
    long_name: str
    short_name: str
    last_heard: int
    via: str
    name_via: str = ""  # where long_name/short_name were heard ("radio", "mqtt", "")

    @property
    def node_id(self) -> str:
        return f"!{self.num:08x}"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.node_id, **asdict(self)}


def _clean(name: str | None, limit: int) -> str:
    if not name:
        return ""
    return "".join(ch for ch in name if ch.isprintable())[:limit]


def _from_doc(doc: Any) -> list[NodeRecord]:
    out: list[NodeRecord] = []
    if not isinstance(doc, dict):
        return out
    for rec in (doc.get("nodes") or {}).values():
        try:
            out.append(
                NodeRecord(
                    int(rec["num"]),
                    str(rec.get("long_name", "")),
                    str(rec.get("short_name", "")),
                    int(rec.get("last_heard", 0)),
                    str(rec.get("via", "radio")),
                    str(rec.get("name_via", rec.get("via", "radio"))),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return out


class NodeList:
    """Nodes by number, cached in memory and flushed in batches to TinyDB."""

    def __init__(
        self,
        db: TinyDB,
        clock: Callable[[], float] = _time.time,
        *,
        max_nodes: int = MAX_NODES,
        flush_every: float = 10.0,
    ) -> None:
        self._db = db
        self._clock = clock
        self._max = max_nodes
        self._flush_every = flush_every
        self._dirty = False
        self._last_flush = 0.0
        self.nodes: dict[int, NodeRecord] = {}
        doc = db.table(TABLE).get(doc_id=1)
        for rec in _from_doc(dict(doc) if isinstance(doc, dict) else None):
            self.nodes[rec.num] = rec

    def seen(
        self,
        num: int,
        *,
        via: str,
        long_name: str | None = None,
        short_name: str | None = None,
        when: float | None = None,
    ) -> NodeRecord:
        """Record that ``num`` was heard; raises :class:`InputError` for a bad number."""
        if isinstance(num, bool) or not 0 < num < BROADCAST:
            raise InputError(f"node number {num!r} out of range")
        if via not in VIA:
            raise InputError(f"via must be one of {VIA}")
        old = self.nodes.get(num)
        long, short = _clean(long_name, 40), _clean(short_name, 8)
        name_via = via if (long or short) else (old.name_via if old else "")
        if old is not None and old.name_via == "radio" and via != "radio":
            long, short, name_via = "", "", "radio"  # MQTT never renames a radio's node
        rec = NodeRecord(
            num,
            long or (old.long_name if old else ""),
            short or (old.short_name if old else ""),
            int(self._clock() if when is None else when),
            via,
            name_via,
        )
        if old is not None and old.last_heard > rec.last_heard:  # an older report
            rec = dataclasses.replace(rec, last_heard=old.last_heard, via=old.via)
        self.nodes[num] = rec
        if len(self.nodes) > self._max:  # a flood of forged numbers: forget the stalest
            stalest = min(self.nodes.values(), key=lambda r: r.last_heard)
            del self.nodes[stalest.num]
        self._dirty = True
        self.tick()
        return rec

    def tick(self) -> None:
        """Flush if dirty and the last flush is ``flush_every`` seconds old (loop thread)."""
        if self._dirty and self._clock() - self._last_flush >= self._flush_every:
            self.flush()

    def flush(self) -> None:
        if not self._dirty:
            return
        doc = {"nodes": {str(n): asdict(r) for n, r in self.nodes.items()}}
        self._db.table(TABLE).upsert(Document(doc, doc_id=1))
        self._dirty = False
        self._last_flush = self._clock()

    def all(self) -> list[NodeRecord]:
        """Nodes, most recently heard first."""
        return sorted(self.nodes.values(), key=lambda r: (-r.last_heard, r.num))


def read_nodes(datadir: DataDir) -> list[NodeRecord]:
    """Read the node list from the state file without the writer lock."""
    tables = AtomicJSONStorage(datadir.state).read() or {}
    table = tables.get(TABLE) or {}
    recs = _from_doc(table.get("1"))
    return sorted(recs, key=lambda r: (-r.last_heard, r.num))
