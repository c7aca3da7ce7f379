"""The daemon's sync service: the engine on the daemon's loop, frames over the hub's radio.

Frames heard on the sync port reach :meth:`SyncService.on_frame` through the radio service
(on the loop thread); what the engine sends goes out with ``core.radio.send_data`` at bulk
priority, so alerts and replies to stewards always leave first. A timer wakes the engine
when it has something due. A fork is kept as evidence, written as a signed ``fork`` entry
of the own feed (so every portal and every peer learns of it) and told to the coordinators
on their radios.
"""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING, Any

from hub.errors import HubError
from hub.log import FieldValue, LoggedEntry
from hub.sync.engine import SyncEngine
from hub.sync.frames import PORT
from hub.sync.records import ForkDetected, Send, SyncPolicy
from hub.sync.store import LogStore

if TYPE_CHECKING:
    from hub.daemon import Daemon

log = logging.getLogger("canopy.sync")
TICK_MAX = 1.0  # the loop looks at the engine at least this often
MQTT_FRAME_S = 0.05  # what a frame "costs" when there is no radio: a broker round trip


class SyncService:
    """Implements the daemon's Service protocol and the core's SyncPort."""

    name = "sync"

    def __init__(self, policy: SyncPolicy | None = None, seed: int | None = None) -> None:
        self.policy = policy or SyncPolicy()
        self.rng = random.Random(seed)
        self.daemon: Daemon | None = None
        self.engine: SyncEngine | None = None
        self.unsent = 0
        self._stopped = False

    def start(self, daemon: Daemon) -> None:
        self.daemon = daemon
        core = daemon.core
        store = LogStore(core)
        ident = core.log.identity
        self.engine = SyncEngine(
            store.own,
            store,
            self._airtime,
            self.policy,
            self.rng,
            name=ident.name if ident is not None else "",
        )
        core.sync = self
        core.log.listeners.append(self._on_append)
        self.engine.start(daemon.clock())
        daemon.call_soon(self._tick)

    def stop(self) -> None:
        self._stopped = True
        if self.daemon is not None:
            self.daemon.core.sync = None
            if self._on_append in self.daemon.core.log.listeners:
                self.daemon.core.log.listeners.remove(self._on_append)

    def _airtime(self, payload_len: int) -> float:
        """The radio's airtime; without a radio frames go over MQTT only, and a slot is
        network latency, not airtime."""
        radio = self.daemon.core.radio if self.daemon is not None else None
        return radio.airtime(payload_len) if radio is not None else MQTT_FRAME_S

    # -- loop side -----------------------------------------------------------------------
    def on_frame(self, payload: bytes, sender: int, relayed: bool = False) -> None:
        if self.engine is None or self.daemon is None or self._stopped:
            return
        self._perform(self.engine.on_frame(payload, sender, self.daemon.clock(), relayed))

    def take_entries(self, feed: str, start: int, raws: list[bytes]) -> None:
        if self.engine is None or self.daemon is None or self._stopped:
            return
        now = self.daemon.clock()
        self._perform(self.engine.take_entries(bytes.fromhex(feed), start, raws, now))

    def _on_append(self, e: LoggedEntry) -> None:
        if self.engine is None or self.daemon is None:
            return
        if e.feed == self.engine.own.hex():
            if e.body.kind_name in ("peer", "unpeer"):
                self.engine.refresh()
            self.engine.appended(self.daemon.clock())

    def _tick(self) -> None:
        if self._stopped or self.engine is None or self.daemon is None:
            return
        now = self.daemon.clock()
        try:
            self._perform(self.engine.tick(now))
        finally:
            delay = min(TICK_MAX, max(0.05, self.engine.next_wake() - now))
            self.daemon.call_later(delay, self._tick)

    def _perform(self, actions: list[Any]) -> None:
        assert self.daemon is not None
        core = self.daemon.core
        for action in actions:
            if isinstance(action, Send):
                if core.mqtt is not None:
                    core.mqtt.publish_sync(action.payload)
                if core.radio is None:
                    self.unsent += core.mqtt is None
                    continue
                try:
                    core.radio.send_data(
                        action.payload, PORT, action.dest, hop_limit=self.policy.hop_limit
                    )
                except Exception as e:  # a full queue or a lost link: sync will ask again
                    self.unsent += 1
                    log.info("sync: radio did not take a frame: %s", e)
            elif isinstance(action, ForkDetected):
                self._fork(action)

    def _fork(self, f: ForkDetected) -> None:
        assert self.daemon is not None
        core = self.daemon.core
        log.warning("sync: feed %s signed two entries at %d", f.feed.hex()[:16], f.index)
        try:
            fields: dict[str, FieldValue] = {
                "feed": f.feed,
                "index": f.index,
                "a": f.ours,
                "b": f.theirs,
                "prev": f.prev,
            }
            core.log.append("fork", fields)
        except HubError as e:
            log.error("sync: fork evidence not logged: %s", e)
        if self.engine is not None:
            self.engine.refresh()  # a forked feed takes no more
        name = core.state.hub_name(f.feed.hex())
        text = f"FORK: hub {name} signed two histories (entry {f.index}). Sync with it stopped."
        core.tell_coordinators(text, "sync")

    def status(self) -> dict[str, Any]:
        if self.engine is None or self.daemon is None:
            return {}
        now = self.daemon.clock()
        core = self.daemon.core
        eng = self.engine
        st = {
            "airtime_s_this_hour": round(eng.airtime_spent(now), 2),
            "airtime_budget_s": round(eng.budget, 1),
            "trickle_interval_s": round(eng.trickle.interval, 1),
            "pending_answers": len(eng.out.answers),
            "counts": dict(sorted(eng.counts.items())),
        }
        feeds = []
        for fs in eng.feeds.values():
            key = fs.feed.hex()
            held = eng.store.size(fs.feed)
            heard = max(fs.heard_size, held)
            feeds.append(
                {
                    "feed": key,
                    "name": core.state.hub_name(key),
                    "own": key == core.log.feed_hex,
                    "held": held,
                    "heard_size": heard,
                    "lag": heard - held,
                    "last_heard": fs.heard_at,
                    "diverged": fs.diverged,
                    "forked": key in core.log.replicas.forked,
                }
            )
        heard_hubs = [
            {"feed": h.feed.hex(), "name": h.name, "node": h.node, "at": h.at}
            for h in self.engine.hubs.values()
        ]
        return {**st, "feeds": feeds, "hubs_heard": heard_hubs, "unsent": self.unsent}
