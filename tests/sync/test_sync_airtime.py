"""What keeps sync cheap on the air: new entries pushed on write, checkpoints rate-limited,
a split entry put back together only from frames that fit, answers not doubled by a hub
that was transmitting, and no summaries from a hub that is being served, nor to a hub
that has asked already."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from synckit import Air, Clock, Hub, federate, make_hub

from hub.sync import SyncPolicy
from hub.sync import frames as fr
from hub.sync.pacer import spacing
from hub.sync.records import rank
from hub.sync.stream import pack

Three = tuple[list[Hub], Air, Clock]


@pytest.fixture
def three(tmp_path: Path) -> Three:
    clock = Clock()
    hubs = [make_hub(tmp_path, n, 0x100 + i, clock, seed=i) for i, n in enumerate("ABC")]
    federate(hubs)
    air = Air(hubs, clock)
    air.run(120)  # federation settles: everyone holds everyone's peer entries
    return hubs, air, clock


def _kinds(air: Air, since: int, sender: str | None = None) -> list[int]:
    return [p[0] for s, p in air.frames[since:] if sender is None or s == sender]


def test_a_new_entry_is_pushed_without_a_summary_or_a_request(three: Three) -> None:
    (a, b, c), air, _ = three
    before = len(air.frames)
    a.note("Dog loose at the canal path")
    air.run(1.0)  # a quarter slot: the push, nothing else yet
    assert b.held(a) == c.held(a) == a.engine.store.size(a.engine.own)
    assert _kinds(air, before) == [fr.ENTRIES]


def test_writes_close_together_share_one_push(three: Three) -> None:
    (a, b, _), air, _ = three
    before = len(air.frames)
    a.note("one")
    a.note("two")
    air.run(1.0)
    assert _kinds(air, before) == [fr.ENTRIES] and b.held(a) == a.engine.store.size(a.engine.own)


def test_checkpoints_only_the_newest_at_most_one_per_interval(three: Three) -> None:
    (a, b, _), air, _ = three
    every = a.engine.policy.checkpoint_every
    before = len(air.frames)
    for i in range(20):  # a busy stretch: a note every 30 s for 10 minutes
        a.note(f"round {i}")
        air.run(30)
    air.run(120)  # then quiet
    sent = [fr.decode(p) for s, p in air.frames[before:] if s == "A" and p[0] == fr.CHECKPOINT]
    assert 1 <= len(sent) <= 600 / every + 1
    sizes = [cp.size for cp in sent]  # type: ignore[union-attr]
    assert sizes == sorted(set(sizes)) and sizes[-1] == a.engine.store.size(a.engine.own)
    assert b.core.log.checkpoints.sizes(a.feed)[-1] == sizes[-1]


def test_a_restarted_hub_does_not_resend_an_unchanged_checkpoint(
    three: Three, tmp_path: Path
) -> None:
    (a, _, _), air, clock = three
    a.note("before the restart")
    air.run(200)
    a.core.close()
    a2 = make_hub(tmp_path, "A", 0x100, clock, seed=9)
    air.hubs[0] = a2
    before = len(air.frames)
    air.run(600)
    assert fr.CHECKPOINT not in _kinds(air, before, "A")
    a2.note("after the restart")  # a new size: its checkpoint goes once the feed is quiet
    air.run(120)
    assert fr.CHECKPOINT in _kinds(air, before, "A")


def test_a_split_entry_is_taken_only_from_frames_that_fit(three: Three) -> None:
    """A note larger than a frame travels as a run of the stream; forged or misplaced
    continuations are dropped or fail verification; nothing but the real entry is stored."""
    (a, b, _), _, clock = three
    own = a.core.log.own
    assert own is not None
    held = b.held(a)
    a.core.log.append("note", {"text": "x" * 900})
    raw = own.read(held)
    aid = bytes.fromhex(a.feed)[:4]
    frames, n = pack(aid, held, [raw], 100)
    assert n == 1 and len(frames) >= 4
    first, *rest = frames
    forged = [
        fr.Entries(aid, held, rest[0].offset + 3, rest[0].length, rest[0].data),  # wrong byte
        fr.Entries(aid, held, rest[0].offset, rest[0].length, b"\x00" * len(rest[0].data)),
    ]
    sent = [first, forged[0], *rest]
    for f in sent:
        assert b.engine.on_frame(fr.encode(f), 0x666, clock()) == []
    assert b.held(a) == held + 1  # the misplaced piece was dropped, the real run completed
    assert b.engine.counts["orphan-piece"] >= 1
    # the same head continued with forged bytes at the right place: assembled, rejected
    a.core.log.append("note", {"text": "y" * 900})
    raw2 = own.read(held + 1)
    frames2, _ = pack(aid, held + 1, [raw2], 100)
    bad = [frames2[0]]
    bad += [
        fr.Entries(f.feed, f.index, f.offset, f.length, b"\x01" * len(f.data)) for f in frames2[1:]
    ]
    for f in bad:
        b.engine.on_frame(fr.encode(f), 0x666, clock())
    assert b.held(a) == held + 1
    assert sum(v for k, v in b.engine.counts.items() if k.startswith("rejected-")) >= 1


def test_a_hub_that_was_transmitting_waits_to_hear_the_answer_before_its_own(
    three: Three,
) -> None:
    (a, b, c), _, clock = three
    for i in range(3):
        a.core.log.append("note", {"text": f"n{i}"})
    aid = bytes.fromhex(a.feed)[:4]
    own = a.core.log.own
    assert own is not None
    raws = own.read_range(b.held(a), len(own))
    for raw in raws:  # B holds them all; C does not
        b.engine.on_frame(fr.encode(pack(aid, b.held(a), [raw], 1)[0][0]), 0x666, clock())
    start = c.held(a)
    for _ in range(10):  # B is busy on the air for ~20 frame airtimes
        b.engine.ledger.send(b"\x01" * fr.MAX_FRAME, clock())
    busy = b.engine.ledger.air_until
    b.engine.on_frame(fr.encode(fr.Request(aid, start, 3)), c.node, clock())
    out = []
    while clock.t < busy:
        clock.t += 0.5
        out += b.engine.tick(clock())
    assert not [s for s in out if s.payload[0] == fr.ENTRIES]  # type: ignore[union-attr]
    # A (the origin) answers meanwhile; B, listening again, hears it and stays quiet
    answer, _ = pack(aid, start, own.read_range(start, start + 3), 10)
    b.engine.on_frame(fr.encode(answer[0]), a.node, clock())
    for _ in range(200):
        clock.t += 0.5
        out += b.engine.tick(clock())
    assert not [s for s in out if s.payload[0] == fr.ENTRIES]  # type: ignore[union-attr]
    assert b.engine.counts["suppressed-answer"] >= 1


def test_a_stream_of_junk_past_a_gap_does_not_stall_the_requests(three: Three) -> None:
    """Frames heard past a gap hold a request back while an answer is arriving, but a peer
    that sends such frames forever holds it back for one answer's worth at most."""
    (a, b, _), _, clock = three
    for i in range(5):
        a.core.log.append("note", {"text": f"n{i}"})
    aid = bytes.fromhex(a.feed)[:4]
    size = a.engine.store.size(a.engine.own)
    summary = fr.Summary(aid, (fr.Frontier(aid, size, bytes(4)),))
    b.engine.on_frame(fr.encode(summary), a.node, clock())
    junk = fr.encode(fr.Entries(aid, size + 10, 0, 0, b"\x05" + b"j" * 69))
    asks = []
    for _ in range(240):  # a hostile radio: a junk frame every half slot
        b.engine.on_frame(junk, 0x666, clock())
        clock.t += 0.5
        asks += [s for s in b.engine.tick(clock()) if s.payload[0] == fr.REQUEST]  # type: ignore[union-attr]
    assert len(asks) >= 2 and b.engine.counts["gap"] >= 200  # asked, and asked again
    assert b.held(a) < size  # nothing of the junk stored


def _lagging_c(three: Three) -> tuple[bytes, bytes, int]:
    """A writes while C hears nothing; then C's summary (real, from its store) reaches A
    alone. Returns C's summary, A's feed id and what C holds of it."""
    (a, b, c), air, clock = three
    air.hubs = [a, b]
    for i in range(5):
        a.note(f"round {i} on the north loop")
    before = len(air.frames)
    air.run(120)
    for _ in range(600):  # until A's summary has told its new frontier (B's may have kept it quiet)
        if fr.SUMMARY in _kinds(air, before, "A"):
            break
        air.run(1.0)
    assert a.engine.out.told == a.engine.out.frontier()
    assert b.held(a) == a.engine.store.size(a.engine.own) > c.held(a)
    [told] = c.engine.out.summary(clock())
    return told.payload, bytes.fromhex(a.feed)[:4], c.held(a)  # type: ignore[union-attr]


def _summaries_from_a(a: Hub, clock: Clock, seconds: float) -> list[int]:
    kinds = []
    for _ in range(int(seconds * 4)):
        clock.t += 0.25
        kinds += [s.payload[0] for s in a.engine.tick(clock())]  # type: ignore[union-attr]
    return [k for k in kinds if k == fr.SUMMARY]


def test_no_summary_to_a_hub_that_has_asked_since_it_lagged(three: Three) -> None:
    """C's summary shows it lags on A's feed: A's Trickle resets to tell it. C asks for the
    feed before A's timer fires: that request says C knows, so A's summary would tell
    nothing; it stays off the air (the answer goes)."""
    (a, _, c), _, clock = three
    summary, aid, held = _lagging_c(three)
    a.engine.on_frame(summary, c.node, clock())
    clock.t += 2.0  # C asks a couple of seconds later
    a.engine.on_frame(fr.encode(fr.Request(aid, held, 5)), c.node, clock())
    assert _summaries_from_a(a, clock, a.engine.policy.imin) == []
    assert a.engine.counts["summary-skipped-asked"] == 1


def test_a_summary_still_goes_to_a_lagging_hub_that_has_not_asked(three: Three) -> None:
    (a, _, c), _, clock = three
    summary, _, _ = _lagging_c(three)
    a.engine.on_frame(summary, c.node, clock())
    assert _summaries_from_a(a, clock, a.engine.policy.imin) == [fr.SUMMARY]
    assert "summary-skipped-asked" not in a.engine.counts


def test_a_summary_still_goes_when_the_frontier_changed_since_it_was_told(three: Three) -> None:
    (a, _, c), _, clock = three
    summary, aid, held = _lagging_c(three)
    a.engine.on_frame(summary, c.node, clock())
    clock.t += 2.0  # C asks a couple of seconds later
    a.engine.on_frame(fr.encode(fr.Request(aid, held, 5)), c.node, clock())
    a.core.log.append("note", {"text": "written, not yet told"})  # no push: only the summary
    assert _summaries_from_a(a, clock, a.engine.policy.imin) == [fr.SUMMARY]


def test_a_relayed_summary_does_not_silence_news_it_cannot_carry_for_us(three: Three) -> None:
    """Across relays, a summary that agrees with ours may come from a hub whose earshot is
    not ours (the next hub down a chain, which the hubs behind us cannot hear). While we
    hold news our last summary did not tell, it does not count towards Trickle's silence;
    heard directly, it does. With nothing untold it counts as before, so an idle chain
    stays quiet."""
    (a, b, c), air, clock = three
    b.note("Checked the car park, all quiet")
    air.run(1.0)  # B's push reaches A and C; A's summary has not fired yet
    assert a.held(b) == c.held(b) == b.held(b)
    assert a.engine.out.told != a.engine.out.frontier()  # A has news it has not told
    [agrees] = c.engine.out.summary(clock())  # C holds what A holds
    heard = a.engine.trickle.heard
    a.engine.on_frame(agrees.payload, c.node, clock(), relayed=True)  # type: ignore[union-attr]
    assert a.engine.trickle.heard == heard
    assert a.engine.counts["untold-news"] == 1 and a.engine.counts["relayed-summary"] == 1
    a.engine.on_frame(agrees.payload, c.node, clock())  # type: ignore[union-attr]
    assert a.engine.trickle.heard == heard + 1
    a.engine.out.summary(clock())  # A tells its news
    a.engine.on_frame(agrees.payload, c.node, clock(), relayed=True)  # type: ignore[union-attr]
    assert a.engine.trickle.heard == heard + 2
    assert a.engine.counts["untold-news"] == 1


def test_a_request_repeated_while_its_answer_goes_out_is_not_answered_twice(
    three: Three,
) -> None:
    """C asks again before A's answer could reach it (its retry timer, a relay's delay):
    the answer on its way serves it. Once that answer is out, the same request (its first
    frame lost, say) is answered again."""
    (a, _, c), _, clock = three
    for i in range(12):
        a.core.log.append("note", {"text": f"round {i} on the north loop"})
    aid, held = bytes.fromhex(a.feed)[:4], c.held(a)
    ask = fr.encode(fr.Request(aid, held, 12))

    def entries_from_a(seconds: float) -> int:
        n = 0
        for _ in range(int(seconds * 4)):
            clock.t += 0.25
            n += sum(s.payload[0] == fr.ENTRIES for s in a.engine.tick(clock()))  # type: ignore[union-attr]
        return n

    a.engine.on_frame(ask, c.node, clock())
    frames = entries_from_a(2.0)
    assert frames >= 3  # the answer went to the radio: several full frames
    a.engine.on_frame(ask, c.node, clock())  # C again, while they are still on the air
    assert entries_from_a(2.0) == 0 and a.engine.counts["held-repeat"] == 1
    clock.t += frames * a.engine.airtime(fr.MAX_FRAME)  # the answer has left
    a.engine.on_frame(ask, c.node, clock())
    assert entries_from_a(2.0) == frames


def _paced_three(tmp_path: Path) -> Three:
    """Three hubs with the daemon's policy across relays (pacing on), settled."""
    clock = Clock()
    paced = SyncPolicy(hop_limit=1)
    hubs = [make_hub(tmp_path, n, 0x100 + i, clock, i, paced) for i, n in enumerate("ABC")]
    federate(hubs)
    air = Air(hubs, clock)
    air.run(300)
    return hubs, air, clock


def _asks_of(hub: Hub, clock: Clock, seconds: float) -> list[bytes]:
    """The feed ids ``hub`` asks for over ``seconds`` in which nothing reaches it."""
    asked = []
    for _ in range(int(seconds * 4)):
        clock.t += 0.25
        for sent in hub.engine.tick(clock()):
            frame = fr.decode(sent.payload)  # type: ignore[union-attr]
            if isinstance(frame, fr.Request):
                asked.append(frame.feed)
    return asked


@pytest.mark.parametrize("scarce", [False, True])
def test_across_relays_a_hub_short_of_airtime_asks_for_one_feed_at_a_time(
    tmp_path: Path, scarce: bool
) -> None:
    """A lacks B's and C's new entries. With airtime to spare it asks for both at once;
    once sync has spent `ask_alone` of its share this hour it asks for one, and for the
    other only when the first ask has had its time (the answers could come from two sides
    and collide at A)."""
    (a, b, c), _, clock = _paced_three(tmp_path)
    for hub in (b, c):
        hub.core.log.append("note", {"text": f"gate checked by {hub.name}"})
        [told] = hub.engine.out.summary(clock())
        a.engine.on_frame(told.payload, hub.node, clock(), relayed=True)  # type: ignore[union-attr]
    ledger, retry = a.engine.ledger, a.engine.policy.retry * a.engine.slot
    if scarce:
        while ledger.spent_in_hour(clock()) < a.engine.policy.ask_alone * ledger.budget:
            ledger.send(bytes(200), clock())
        assert ledger.afford(clock())
    wanted = {bytes.fromhex(h.feed)[:4] for h in (b, c)}
    asked = _asks_of(a, clock, retry)  # no answer comes
    if not scarce:
        assert sorted(asked) == sorted(wanted)
        return
    [first] = asked
    later = _asks_of(a, clock, retry)
    assert later[0] == (wanted - {first}).pop()  # its turn came: put off, not dropped


def test_across_relays_a_request_that_got_nothing_is_asked_again_at_a_fresh_time(
    tmp_path: Path,
) -> None:
    """Across relays a hub asks at a random point 0.5-2 slots after it learns what it
    lacks, drawn afresh for every ask: a hashed place would put a retry at the same point
    again, and two hubs whose requests collided would collide again."""
    (a, b, _), _, clock = _paced_three(tmp_path)
    b.core.log.append("note", {"text": "bench by the bus stop is broken"})
    [told] = b.engine.out.summary(clock())
    a.engine.on_frame(told.payload, b.node, clock(), relayed=True)  # type: ignore[union-attr]
    fs = a.engine.feeds[bytes.fromhex(b.feed)[:4]]
    slot, waits, planned = a.engine.slot, [], clock()
    while len(waits) < 8:  # nothing answers: A asks again after each retry window
        due = fs.request_due
        clock.t += 0.25
        sent = [fr.decode(x.payload) for x in a.engine.tick(clock())]  # type: ignore[union-attr]
        if due is not None and any(isinstance(f, fr.Request) for f in sent):
            waits.append((due - planned) / slot)
        if due is None and fs.request_due is not None:
            planned = clock()
    assert all(0.5 <= w <= 2.0 for w in waits)
    assert max(waits) - min(waits) > 0.25  # a hashed place varies by its jitter only


def test_a_repeat_is_held_while_the_answer_waits_behind_other_frames(tmp_path: Path) -> None:
    """Across relays frames leave one at a time: an answer handed over behind another is
    still leaving long after its own frames' airtime. A request repeated then is held."""
    (a, b, c), air, clock = _paced_three(tmp_path)
    for i in range(40):
        a.core.log.append("note", {"text": f"round {i} on the north loop"})
    for i in range(8):
        b.core.log.append("note", {"text": f"round {i} on the canal path"})
    air.hubs = [a, b]
    air.run(1200)  # A now holds B's new entries; C heard nothing of either
    assert a.held(b) == b.held(b) > c.held(b)
    aid, bid = (bytes.fromhex(h.feed)[:4] for h in (a, b))
    own = fr.encode(fr.Request(aid, c.held(a), 40))
    other = fr.encode(fr.Request(bid, c.held(b), 8))
    a.engine.on_frame(own, c.node, clock())  # A's own feed: A answers first
    a.engine.on_frame(other, c.node, clock())  # B's: A is in line for it (B is away)
    sent: list[bytes] = []

    def run(seconds: float) -> None:
        for _ in range(int(seconds * 4)):
            clock.t += 0.25
            sent.extend(s.payload for s in a.engine.tick(clock()) if s.payload[0] == fr.ENTRIES)  # type: ignore[union-attr]

    while (bid, c.held(b)) in a.engine.out.answers:  # until the answer for B's feed is handed over
        run(0.25)
    handed = clock()
    queue = [fr.decode(s.payload) for s in a.engine.pacer.queue]  # type: ignore[attr-defined]
    answer = sum(f.feed == bid for f in queue)  # type: ignore[union-attr]
    assert len(queue) > answer > 0  # it waits behind the rest of A's own answer
    while len(a.engine.pacer) > 1:
        run(0.25)
    pace = spacing(a.engine.airtime(fr.MAX_FRAME), True)
    assert clock() - handed > answer * pace  # longer than its own frames take
    a.engine.on_frame(other, c.node, clock())  # C asks again: the answer is still leaving
    run(120)  # longer than any back-off: a second answer would have gone by now
    of_b = [fr.decode(p).index for p in sent if fr.decode(p).feed == bid]  # type: ignore[union-attr]
    assert len(of_b) == len(set(of_b)) == answer  # sent once
    assert a.engine.counts["held-repeat"] == 1


def test_across_relays_only_peers_known_to_hold_a_feed_stand_in_line(tmp_path: Path) -> None:
    """A hub that is not a feed's origin answers after the hubs ahead of it in the hashed
    order; across relays only the peers whose summaries showed they hold what is asked
    count, so with none it answers in the first place after the origin's, not up to seven
    slots later. A stranger's summary changes nothing."""
    (a, b, c), _, clock = _paced_three(tmp_path)
    a.engine.out.holders.clear()  # forget the summaries heard while settling
    start = a.held(b) - 1
    assert start >= 0 and c.held(b) > start
    ask = fr.Request(bytes.fromhex(b.feed)[:4], start, 1)
    mine = rank(a.engine.own, ask.feed, start, 7)
    assert a.engine.out.place(ask, bytes.fromhex(b.feed)) == 1  # nobody else known to hold it

    def summary_from(hub: Hub) -> bytes:
        [told] = hub.engine.out.summary(clock())
        return told.payload  # type: ignore[union-attr]

    a.engine.on_frame(summary_from(c), c.node, clock())  # C holds B's feed too
    cid = bytes.fromhex(c.feed)[:4]
    c_first = (rank(cid, ask.feed, start, 7), cid) < (mine, a.engine.own[:4])
    assert a.engine.out.place(ask, bytes.fromhex(b.feed)) == 1 + min(mine, int(c_first))
    stranger = fr.Summary(b"\xee" * 4, (fr.Frontier(ask.feed, 999, bytes(4)),))
    for _ in range(3):
        a.engine.on_frame(fr.encode(stranger), 0x666, clock())
    assert a.engine.out.place(ask, bytes.fromhex(b.feed)) == 1 + min(mine, int(c_first))
    assert b"\xee" * 4 not in a.engine.out.holders.get(ask.feed, {})


def test_where_every_hub_hears_every_other_the_whole_line_stays(three: Three) -> None:
    (a, b, _), _, _ = three  # hop limit 0
    a.engine.out.holders.clear()
    ask = fr.Request(bytes.fromhex(b.feed)[:4], 0, 1)
    assert a.engine.out.place(ask, bytes.fromhex(b.feed)) == 1 + rank(a.engine.own, ask.feed, 0, 7)


def _news_of(hub: Hub, clock: Clock) -> bytes:
    """``hub`` writes an entry and returns its summary telling it (sent to nobody)."""
    hub.core.log.append("note", {"text": "gate open at the school"})
    [told] = hub.engine.out.summary(clock())
    return told.payload  # type: ignore[union-attr]


def _tick_at_wake(hub: Hub, clock: Clock) -> list[float]:
    """Move the clock to the hub's next wake and tick it; when it sent a request, then."""
    clock.t = max(clock.t + 0.01, hub.engine.next_wake())
    return [clock() for s in hub.engine.tick(clock()) if s.payload[0] == fr.REQUEST]  # type: ignore[union-attr]


def test_an_ask_that_got_nothing_is_asked_again_with_no_frame_heard(three: Three) -> None:
    """A hub whose request got nothing asks again after ``retry`` slots, woken by the engine
    itself (``next_wake``), not by whatever frame or summary happens to come next."""
    (a, b, _), _, clock = three
    a.engine.on_frame(_news_of(b, clock), b.node, clock())
    asked: list[float] = []
    end = clock() + 80
    while clock() < end:  # nothing answers, and A is ticked only when it asks to be
        asked += _tick_at_wake(a, clock)
    slot = a.engine.slot
    retry = a.engine.policy.retry * slot
    gaps = [y - x for x, y in pairwise(asked)]
    assert all(retry < g <= retry + 4 * slot for g in gaps), gaps  # back-off: at most 3.75 slots
    assert len(asked) >= 6


def test_out_of_airtime_a_hub_looks_again_a_slot_later_and_asks_once_it_may(
    three: Three,
) -> None:
    """With sync's share of the hour spent, a due request waits and is looked at again a
    slot later (the engine does not spin on it), and goes once the share is back."""
    (a, b, _), _, clock = three
    a.engine.ledger.spent.append((clock(), a.engine.ledger.budget))  # the hour's share is gone
    a.engine.on_frame(_news_of(b, clock), b.node, clock())
    asked: list[float] = []
    wakes = 0
    end = clock() + 60
    while clock() < end:
        wakes += 1
        asked += _tick_at_wake(a, clock)
    assert not asked and a.engine.counts["deferred-airtime"] >= 10
    assert wakes < 60 / a.engine.slot + 30  # a slot apart (and Trickle's), not a busy loop
    clock.t += 3600  # the share comes back
    while not asked:
        asked += _tick_at_wake(a, clock)
    assert asked[0] - (end + 3600) <= 2 * a.engine.slot


def test_no_second_ask_while_the_answer_to_another_feed_is_still_arriving(
    three: Three,
) -> None:
    """Where hubs hear each other, answers queue behind one another: while entries of one
    feed keep arriving, the ask for another feed, whose answer waits behind them, is not
    repeated; once they stop, it is, after a slot."""
    (a, b, c), air, clock = three
    for i in range(40):
        a.core.log.append("note", {"text": f"round {i} on the north loop"})
    for i in range(8):
        b.core.log.append("note", {"text": f"round {i} on the canal path"})
    air.hubs = [a, b]
    air.run(1200)  # A and B hold each other's new entries; C heard nothing
    assert a.held(b) == b.held(b) > c.held(b)
    aid, bid = (bytes.fromhex(h.feed)[:4] for h in (a, b))
    [told] = a.engine.out.summary(clock())
    c.engine.on_frame(told.payload, a.node, clock())  # type: ignore[union-attr]
    asks: dict[bytes, list[tuple[float, bytes]]] = {aid: [], bid: []}

    def run_c(seconds: float) -> None:
        for _ in range(round(seconds / 0.05)):
            clock.t += 0.05
            for s in c.engine.tick(clock()):
                f = fr.decode(s.payload)  # type: ignore[union-attr]
                if isinstance(f, fr.Request):
                    asks[f.feed].append((clock(), s.payload))  # type: ignore[union-attr]

    while not (asks[aid] and asks[bid]):
        run_c(0.25)
    a.engine.on_frame(asks[aid][0][1], c.node, clock())  # A answers its own feed; B is away
    answer: list[bytes] = []
    while not answer:
        clock.t += 0.25
        answer = [s.payload for s in a.engine.tick(clock()) if s.payload[0] == fr.ENTRIES]  # type: ignore[union-attr]
    slot = c.engine.slot
    gap = 0.9 * slot
    assert len(answer) * gap > (c.engine.policy.retry + 4) * slot  # it outlasts a retry
    for p in answer:
        c.engine.on_frame(p, a.node, clock())
        run_c(gap)
    assert c.held(a) == a.held(a)
    assert len(asks[bid]) == 1  # not asked again while A's entries arrived
    stopped = clock()
    run_c(6 * slot)
    assert len(asks[bid]) == 2 and asks[bid][1][0] - stopped <= 5 * slot  # asked again soon
