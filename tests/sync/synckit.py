"""In-process hubs for sync tests: real data directories, real signed logs and replicas,
each with a SyncEngine, and an `Air` that carries frames between them in simulated time."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hub.daemon import HubCore
from hub.daemon.ops import run_op
from hub.local import DataDir, create_identity
from hub.sync import ForkDetected, LogStore, Send, SyncEngine, SyncPolicy
from radio.outqueue import airtime_seconds

POLICY = SyncPolicy(imin=5.0, imax=60.0, slot=1.0, hop_limit=0)  # every hub hears every other


class Clock:
    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@dataclass
class Hub:
    name: str
    core: HubCore
    engine: SyncEngine
    node: int
    forks: list[ForkDetected] = field(default_factory=list)

    @property
    def feed(self) -> str:
        return self.core.log.feed_hex

    def vkey(self) -> str:
        ident = self.core.log.identity
        assert ident is not None
        return ident.verifier.to_string()

    def note(self, text: str) -> int:
        index = self.core.log.append("note", {"text": text}).index
        self.engine.appended(self.core.clock())
        return index

    def held(self, other: Hub) -> int:
        return self.engine.store.size(bytes.fromhex(other.feed))


def make_hub(
    root: Path, name: str, node: int, clock: Clock, seed: int = 0, policy: SyncPolicy = POLICY
) -> Hub:
    dd = DataDir(root / name.lower())
    if not dd.identity.exists():
        create_identity(dd, name)
    core = HubCore(dd, clock)
    core.open()
    store = LogStore(core)
    engine = SyncEngine(store.own, store, airtime_seconds, policy, random.Random(seed), name=name)
    engine.start(clock())
    return Hub(name, core, engine, node)


def federate(hubs: Iterable[Hub]) -> None:
    """Every hub peers with every other (signed `peer` entries)."""
    hubs = list(hubs)
    for a in hubs:
        for b in hubs:
            if a is not b:
                run_op(a.core, "peer_add", {"vkey": b.vkey(), "name": b.name})
        a.engine.refresh()


class Air:
    """Every frame one hub sends is heard by all the others (a small, clear mesh)."""

    def __init__(self, hubs: list[Hub], clock: Clock) -> None:
        self.hubs = hubs
        self.clock = clock
        self.frames: list[tuple[str, bytes]] = []

    def deliver(self, sender: Hub, actions: list[object]) -> None:
        for a in actions:
            if isinstance(a, Send):
                self.frames.append((sender.name, a.payload))
                for h in self.hubs:
                    if h is not sender:
                        self.deliver(h, h.engine.on_frame(a.payload, sender.node, self.clock()))
            elif isinstance(a, ForkDetected):
                sender.forks.append(a)

    def run(self, seconds: float, step: float = 0.25) -> None:
        end = self.clock.t + seconds
        while self.clock.t < end:
            self.clock.t += step
            for h in self.hubs:
                self.deliver(h, h.engine.tick(self.clock()))
