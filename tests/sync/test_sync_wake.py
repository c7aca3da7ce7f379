"""The daemon ticks the sync engine at least every second, whatever ``next_wake`` says; the
benchmark's simulated hubs tick only when it says. The two must not differ: a tick before
the engine's next wake changes nothing, or the benchmark measures another protocol than
the one the hubs run."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from synckit import POLICY, Air, Clock, Hub, federate, make_hub

from hub.sync import Send, SyncPolicy
from hub.sync import frames as fr

START = 1_800_000_000.0


def _hubs(root: Path, clock: Clock, policy: SyncPolicy) -> list[Hub]:
    return [make_hub(root, n, 0x100 + i, clock, i, policy) for i, n in enumerate("ABC")]


def _drive(
    hubs: list[Hub], clock: Clock, seconds: float, early: bool
) -> list[tuple[float, str, bytes]]:
    """Run the hubs in simulated time, every frame heard by the others except one delivery
    in five (a lossy mesh, the same losses each run). ``early``: also tick every hub every
    half second, as the daemon's loop does."""
    sent: list[tuple[float, str, bytes]] = []
    ticked = {h.name: -1e18 for h in hubs}
    delivered = 0

    def wake(h: Hub) -> float:
        w = h.engine.next_wake()
        w = w if w > ticked[h.name] else ticked[h.name] + 1.0  # nothing to do yet: look in 1 s
        return min(w, ticked[h.name] + 0.5) if early else w

    def deliver(sender: Hub, actions: Sequence[object]) -> None:
        nonlocal delivered
        for a in actions:
            if not isinstance(a, Send):
                continue
            sent.append((round(clock(), 6), sender.name, a.payload))
            for h in hubs:
                if h is not sender:
                    delivered += 1
                    if delivered % 5 != 3:
                        deliver(h, h.engine.on_frame(a.payload, sender.node, clock()))

    end = clock() + seconds
    while (t := max(clock(), min(wake(h) for h in hubs))) <= end:
        clock.t = t
        for h in hubs:
            if wake(h) <= clock():
                ticked[h.name] = clock()
                deliver(h, h.engine.tick(clock()))
    return sent


@pytest.mark.parametrize(
    "policy", [POLICY, SyncPolicy(hop_limit=1)], ids=["in earshot", "across relays, paced"]
)
def test_ticking_the_engine_before_its_next_wake_changes_nothing(
    tmp_path: Path, policy: SyncPolicy
) -> None:
    clock = Clock(START)
    a, b, c = _hubs(tmp_path / "setup", clock, policy)
    federate([a, b, c])
    air = Air([a, b, c], clock)
    air.run(120)
    air.hubs = [a, b]  # C is away while A and B write
    for i in range(30):
        a.note(f"round {i} on the north loop")
    for i in range(8):
        b.note(f"round {i} on the canal path")
    air.run(300)
    assert c.held(a) < a.held(a)
    runs = []
    for early in (False, True):
        root = tmp_path / f"early-{early}"
        shutil.copytree(tmp_path / "setup", root)
        clock = Clock(START + 1000)
        hubs = _hubs(root, clock, policy)
        runs.append(_drive(hubs, clock, 900, early))
        assert hubs[2].held(hubs[0]) == hubs[0].held(hubs[0])  # C caught up in both
    kinds = [p[0] for _, _, p in runs[0]]
    assert kinds.count(fr.REQUEST) >= 3 and kinds.count(fr.ENTRIES) >= 10  # losses were repaired
    assert runs[1] == runs[0]
