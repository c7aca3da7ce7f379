"""Repairs: a lost frame costs that frame's bytes, not the entries it touched.

The receiver keeps the head and the tail of an entry split across a lost frame; its
request names the bytes it holds at both ends (``skip``, ``upto``), and the answer is
exactly the missing bytes. Also: an answer planned for a hub that has since asked from
further on is dropped (it holds what it asked for before)."""

from __future__ import annotations

from pathlib import Path

import pytest
from synckit import Air, Clock, Hub, federate, make_hub

from hub.sync import frames as fr
from hub.sync.stream import pack, take

A4 = bytes.fromhex("3d4017c3")


def test_a_repair_request_round_trips_and_plain_requests_are_unchanged() -> None:
    r = fr.Request(A4, 40, 3, skip=96, upto=30)
    assert fr.encode(r) == bytes.fromhex("023d4017c3280360" + "1e")
    assert fr.decode(fr.encode(r)) == r
    assert fr.encode(fr.Request(A4, 40, 3, skip=96)) == bytes.fromhex("023d4017c3280360")
    assert fr.encode(fr.Request(A4, 40, 3, upto=30)) == bytes.fromhex("023d4017c32803001e")
    assert fr.encode(fr.Request(A4, 40, 32)) == bytes.fromhex("023d4017c32820")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("023d4017c3280300", "malformed"),  # a skip of 0 sent for nothing
        ("023d4017c328036000", "malformed"),  # an upto of 0 sent
        ("023d4017c328016060", "absurd"),  # one entry: it ends before it begins
        ("023d4017c32801601e", "absurd"),
        ("023d4017c32803ffff07", "absurd"),  # past the largest entry
        ("023d4017c328036080", "truncated"),
        ("023d4017c32803601e00", "malformed"),  # bytes after
    ],
)
def test_hostile_repair_ranges_are_refused_with_a_reason(data: str, reason: str) -> None:
    with pytest.raises(fr.FrameError) as e:
        fr.decode(bytes.fromhex(data))
    assert e.value.reason == reason
    with pytest.raises(ValueError):
        fr.encode(fr.Request(A4, 40, 1, skip=96, upto=96))


def _hubs(tmp_path: Path) -> tuple[Hub, Hub, Clock]:
    clock = Clock()
    a, b = (make_hub(tmp_path, n, 0x100 + i, clock, seed=i) for i, n in enumerate("AB"))
    federate([a, b])
    Air([a, b], clock).run(120)  # both know each other's feeds
    return a, b, clock


def test_a_lost_frame_is_repaired_with_exactly_its_bytes(tmp_path: Path) -> None:
    a, b, clock = _hubs(tmp_path)
    own = a.core.log.own
    assert own is not None
    held = b.held(a)
    for i in range(12):
        a.core.log.append("note", {"text": f"round {i} past the canal path, all quiet"})
    raws, aid = own.read_range(held, len(own)), bytes.fromhex(a.feed)[:4]
    frames, n = pack(aid, held, raws, 100)
    assert n == len(raws) and len(frames) >= 4
    lost = frames[2]
    assert lost.offset and frames[3].offset  # it begins and ends inside entries
    root = a.engine.store.root(bytes.fromhex(a.feed))[:4]
    summary = fr.Summary(aid, (fr.Frontier(aid, len(own), root),))
    for f in [fr.encode(summary), *(fr.encode(f) for f in frames if f is not lost)]:
        assert b.engine.on_frame(f, a.node, clock()) == []
    assert b.held(a) == lost.index  # everything before the lost frame
    asks = []
    for _ in range(200):
        clock.t += 0.5
        asks += [fr.decode(s.payload) for s in b.engine.tick(clock()) if s.payload[0] == 2]  # type: ignore[union-attr]
        if asks:
            break
    ask = asks[0]
    assert isinstance(ask, fr.Request)
    assert (ask.start, ask.skip, ask.upto) == (lost.index, lost.offset, frames[3].offset)
    assert ask.start + ask.count == frames[3].index + 1
    a.engine.on_frame(fr.encode(ask), b.node, clock())
    answer = []
    for _ in range(200):
        clock.t += 0.5
        answer += [s.payload for s in a.engine.tick(clock()) if s.payload[0] == fr.ENTRIES]  # type: ignore[union-attr]
        if answer:
            break
    assert answer == [fr.encode(lost)]  # the lost bytes, nothing the asker held
    for payload in answer:
        b.engine.on_frame(payload, a.node, clock())
    assert b.held(a) == len(own)  # head, repair, tail and the entries kept early: verified


def test_a_head_and_a_tail_that_do_not_meet_are_not_joined() -> None:
    raws = [bytes([0x82, 0x43, 1, 2, 3, 0x58, 0x40]) + bytes([i]) * 64 for i in range(4)]
    frames, _ = pack(A4, 0, raws, 100)
    mid = next(f for f in frames if f.offset)
    h = take(fr.Entries(A4, mid.index, mid.offset, mid.length, mid.data), None)
    assert h.orphan is not None and h.orphan.offset == mid.offset and not h.broken
    inside = fr.Entries(A4, mid.index, 1, mid.length, mid.data[: mid.length - 2])
    assert take(inside, None).broken == 1  # a piece that ends inside its entry: not kept


def test_an_answer_for_a_hub_that_asked_from_further_on_is_dropped(tmp_path: Path) -> None:
    a, b, clock = _hubs(tmp_path)
    for i in range(8):
        a.core.log.append("note", {"text": f"note {i}"})
    aid = bytes.fromhex(a.feed)[:4]
    c_node = 0x777
    a.engine.on_frame(fr.encode(fr.Request(aid, 2, 3)), c_node, clock())
    assert (aid, 2) in a.engine.out.answers
    a.engine.on_frame(fr.encode(fr.Request(aid, 6, 2)), c_node, clock())
    assert (aid, 2) not in a.engine.out.answers and (aid, 6) in a.engine.out.answers
    assert a.engine.counts["obsolete-answer"] == 1
    b_asks = fr.Request(aid, 6, 2)  # another hub asking the same keeps that answer
    a.engine.on_frame(fr.encode(b_asks), b.node, clock())
    a.engine.on_frame(fr.encode(fr.Request(aid, 8, 1)), c_node, clock())
    assert (aid, 6) in a.engine.out.answers


def test_a_repair_range_no_entry_has_is_answered_whole(tmp_path: Path) -> None:
    a, b, clock = _hubs(tmp_path)
    own = a.core.log.own
    assert own is not None
    start = len(own)
    a.core.log.append("note", {"text": "short"})
    aid = bytes.fromhex(a.feed)[:4]
    a.engine.on_frame(fr.encode(fr.Request(aid, start, 1, skip=5000)), b.node, clock())
    sent: list[bytes] = []
    for _ in range(200):
        clock.t += 0.5
        sent += [s.payload for s in a.engine.tick(clock()) if s.payload[0] == fr.ENTRIES]  # type: ignore[union-attr]
    e = fr.decode(sent[-1])
    assert isinstance(e, fr.Entries) and (e.index, e.offset) == (start, 0)
    assert fr.pieces(e).entries and b.engine.on_frame(sent[-1], a.node, clock()) == []
    assert b.held(a) == start + 1
