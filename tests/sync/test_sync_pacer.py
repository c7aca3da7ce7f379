"""Pacing across relays: one frame at a time, the relays' rebroadcast let through, and
quiet while another hub's frames arrive. With a hop limit of 0 frames go at once."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

from synckit import Clock, federate, make_hub

from hub.sync import LogStore, Send, SyncEngine, SyncPolicy
from hub.sync import frames as fr
from hub.sync.pacer import MARGIN, Pacer
from radio.outqueue import airtime_seconds


def air(n: int) -> float:
    return airtime_seconds(n, "LONG_FAST")


FULL = air(fr.MAX_FRAME)


def test_without_relays_every_frame_goes_at_once() -> None:
    p = Pacer(air, hop_limit=0)
    sends = [Send(b"\x03" * 200) for _ in range(5)]
    assert p.put(list(sends), 0.0) == sends and p.wake() is None
    p.heard(0.0)
    assert p.put([Send(b"\x02")], 0.1) == [Send(b"\x02")]


def test_across_relays_frames_leave_one_at_a_time() -> None:
    p = Pacer(air, hop_limit=1)
    sends = [Send(bytes([3, i]) * 100) for i in range(3)]
    assert p.put(list(sends), 0.0) == sends[:1]
    gap = 2 * air(200) + MARGIN
    assert p.wake() == gap and len(p) == 2
    assert p.release(gap - 0.01) == []  # the relays are still rebroadcasting it
    assert p.release(gap) == sends[1:2]
    assert p.release(2 * gap) == sends[2:] and p.wake() is None


def test_a_hub_stays_quiet_while_another_hubs_frames_arrive() -> None:
    p = Pacer(air, hop_limit=1)
    p.heard(10.0)
    hold = 10.0 + 2 * FULL + MARGIN
    assert p.put([Send(b"\x02abc")], 10.5) == [] and p.wake() == hold
    p.heard(12.0)  # the stream goes on: so does the wait
    assert p.release(hold) == [] and p.wake() == 12.0 + 2 * FULL + MARGIN
    assert p.release(12.0 + 2 * FULL + MARGIN) == [Send(b"\x02abc")]


def test_an_engine_across_relays_paces_its_answer(tmp_path: Path) -> None:
    clock = Clock()
    a, b = (make_hub(tmp_path, n, 0x100 + i, clock, seed=i) for i, n in enumerate("AB"))
    federate([a, b])
    for i in range(12):
        a.core.log.append("note", {"text": f"round {i} past the canal path, all quiet"})
    store = LogStore(a.core)
    policy = SyncPolicy(imin=600.0, imax=600.0, slot=1.0, hop_limit=1)
    eng = SyncEngine(store.own, store, air, policy, random.Random(1), name="A")
    eng.start(clock())
    aid = bytes.fromhex(a.feed)[:4]
    eng.on_frame(fr.encode(fr.Request(aid, 0, 12)), b.node, clock())
    sent: list[tuple[float, bytes]] = []
    start = clock.t
    while clock.t < start + 120:
        clock.t = max(clock.t + 0.05, min(eng.next_wake(), start + 120))
        sent += [(clock.t, s.payload) for s in eng.tick(clock()) if isinstance(s, Send)]
    frames = [(t, p) for t, p in sent if p[0] == fr.ENTRIES]
    assert len(frames) >= 3  # the whole answer, one frame at a time
    for (t0, p0), (t1, _) in itertools.pairwise(frames):
        assert t1 - t0 >= 2 * air(len(p0)) + MARGIN - 1e-9
