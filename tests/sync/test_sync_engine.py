"""The sync engine between in-process hubs: catch-up, suppression, and bad input."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from synckit import Air, Clock, Hub, federate, make_hub

from hub.daemon.ops import run_op
from hub.log import LogView, TimeSource
from hub.sync import frames as fr
from hub.sync.stream import whole

Three = tuple[list[Hub], Air, Clock]


@pytest.fixture
def three(tmp_path: Path) -> Three:
    clock = Clock()
    hubs = [make_hub(tmp_path, n, 0x100 + i, clock, seed=i) for i, n in enumerate("ABC")]
    federate(hubs)
    return hubs, Air(hubs, clock), clock


def test_a_hub_catches_up_and_one_answer_serves_every_hub(three: Three) -> None:
    (a, b, c), air, _ = three
    for i in range(40):
        a.note(f"note {i} on the north loop")
    air.run(60)
    assert b.held(a) == c.held(a) == len(LogView(a.core.datadir).reader())
    texts = [e.body.named_fields().get("text") for e in LogView(b.core.datadir).entries(a.feed)]
    assert texts[-1] == "note 39 on the north loop"
    # B and C were missing the same entries: one request, one set of answers, not two
    answers = [p for s, p in air.frames if p[0] == fr.ENTRIES]
    delivered = sum(len(fr.pieces(fr.decode(p)).entries) for p in answers)  # type: ignore[arg-type]
    assert delivered < 40 * 1.5, f"{delivered} entries sent for 40 missing at two hubs"
    assert (
        b.engine.counts.get("suppressed-request", 0) + c.engine.counts.get("suppressed-request", 0)
        >= 1
    )


def test_replicas_fold_into_the_state_of_every_hub(three: Three) -> None:
    (a, b, _), air, clock = three
    a.core.log.append("enrol", {"handle": "mara", "role": "steward", "until": int(clock()) + 9999})
    a.core.log.append("checkin", {"minutes": 30}, author="mara")
    a.engine.appended(clock())
    air.run(40)
    assert b.core.state.on_duty_handles(clock()) == ["mara"]
    assert b.core.state.hub_name(a.feed) == "A"


def test_an_agreeing_neighbourhood_goes_quiet(three: Three) -> None:
    (a, _, _), air, _ = three
    a.note("x")
    air.run(120)
    before = len(air.frames)
    air.run(600)  # ten quiet minutes with imax = 60 s: at most a few summaries
    summaries = [p for _, p in air.frames[before:] if p[0] == fr.SUMMARY]
    assert len(summaries) <= 12, len(summaries)
    assert len(air.frames) - before == len(summaries)


def _flood(hub: Hub, payloads: list[bytes], sender: int = 0x666) -> None:
    for p in payloads:
        assert hub.engine.on_frame(p, sender, hub.core.clock()) == []


def test_garbage_frames_are_dropped_and_counted(three: Three) -> None:
    (a, b, _), _, _ = three
    rng = random.Random(7)
    junk = [bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 260))) for _ in range(2000)]
    junk += [b"", b"\x03", b"\x02" + bytes(4) + b"\x80\x80\x80\x80\x80\x80", b"\x09hello"]
    _flood(b, junk)
    assert b.held(a) == 0
    dropped = sum(v for k, v in b.engine.counts.items() if k.startswith("dropped-"))
    assert dropped >= 1900
    assert b.engine.counts.get("dropped-unknown-type", 0) > 0


def test_entries_that_do_not_verify_are_never_stored(three: Three, tmp_path: Path) -> None:
    (a, b, c), _, _ = three
    a.note("real")
    raw = a.core.log.own.read(0)  # type: ignore[union-attr]
    tampered = raw[:-1] + bytes([raw[-1] ^ 1])
    aid, cid = bytes.fromhex(a.feed)[:4], bytes.fromhex(c.feed)[:4]
    frames = [
        fr.encode(whole(aid, 0, [tampered])),  # bad signature
        fr.encode(whole(cid, 0, [raw])),  # A's entry claimed as C's
        fr.encode(whole(aid, 5, [raw])),  # a gap
        b"\x03" + aid + b"\x00\x00\x00" + bytes(70),  # an entry with an empty body
        fr.encode(whole(bytes.fromhex(b.feed)[:4], 0, [raw])),  # "my own feed"
    ]
    _flood(b, frames)
    assert b.held(a) == 0 and b.held(c) == 0
    counts = b.engine.counts
    assert counts["rejected-bad-signature"] >= 2 and counts["gap"] == 1
    assert counts["rejected-own-feed"] == 1 and counts["dropped-malformed"] == 1
    # the real entry is still taken afterwards
    _flood(b, [fr.encode(whole(aid, 0, [raw]))])
    assert b.held(a) == 1
    _flood(b, [fr.encode(whole(aid, 0, [raw]))])  # a replay changes nothing
    assert b.held(a) == 1 and counts["replayed"] >= 1


def test_a_request_flood_is_answered_within_the_budget(three: Three) -> None:
    (a, _, _), _, clock = three
    for i in range(10):
        a.note(f"n{i}")
    aid = bytes.fromhex(a.feed)[:4]
    flood = [fr.encode(fr.Request(aid, i % 10, 64)) for i in range(500)]
    _flood(a, flood, sender=0x777)
    assert a.engine.counts["dropped-request-flood"] >= 480
    sent = []
    for _ in range(600):
        clock.t += 1
        sent += a.engine.tick(clock())
    assert a.engine.airtime_spent(clock()) <= a.engine.budget
    with pytest.raises(fr.FrameError):
        fr.decode(b"\x02" + aid + b"\x00\x41")  # count 65: absurd


def test_a_fork_is_kept_as_evidence_and_stops_the_feed(three: Three, tmp_path: Path) -> None:
    (a, b, _), air, clock = three
    a.note("the history everyone saw")
    air.run(40)
    assert b.held(a) == len(LogView(a.core.datadir).reader())
    # A's key signs a second, different history (a copy of its data dir, another entry 0)
    twin_dir = tmp_path / "twin"
    a.core.close()
    shutil.copytree(a.core.datadir.root, twin_dir)
    (twin_dir / "feeds" / f"{a.feed}.log").unlink()
    from hub.daemon import HubCore
    from hub.local import DataDir

    twin = HubCore(DataDir(twin_dir), clock)
    twin.open()
    other = twin.log.append("note", {"text": "the history shown to someone else"}).raw
    twin.close()
    out = b.engine.on_frame(fr.encode(whole(bytes.fromhex(a.feed)[:4], 0, [other])), 1, clock())
    assert len(out) == 1 and out[0].index == 0  # type: ignore[union-attr]
    evidence = sorted(p.name for p in (b.core.datadir.root / "evidence").iterdir())
    assert evidence == [f"{a.feed}-0-ours.entry", f"{a.feed}-0-theirs.entry"]
    assert b.core.log.replicas.forked == {a.feed}
    assert bytes.fromhex(a.feed) not in b.engine.store.feeds()


def test_a_removal_counts_from_its_time_on_in_the_running_hub_too(three: Three) -> None:
    (a, b, _), air, clock = three
    start = clock.t
    clock.t = start + 100  # A's enrolment and check-in claim a time after the removal below
    a.core.log.append("enrol", {"handle": "mara", "role": "steward", "until": int(start) + 9999})
    a.core.log.append("checkin", {"minutes": 30}, author="mara")
    a.engine.appended(clock())
    air.run(40)
    assert b.core.state.on_duty_handles(clock()) == ["mara"]
    b.core.log.wall = lambda: (start + 50, TimeSource.UNSYNCED)  # B's clock says earlier
    run_op(b.core, "peer_remove", {"vkey": a.vkey()})
    # exactly what a restarted hub would fold: A's later entries do not count
    assert b.core.state.on_duty_handles(clock()) == []
    assert b.core.state.roster.get("mara") is None


def test_entries_heard_past_a_gap_are_kept_and_only_the_gap_is_asked_for(three: Three) -> None:
    """A lost frame (or one missed while transmitting) costs that frame, not the rest of
    the answer: later entries wait in memory, unverified, until the gap is filled."""
    (a, b, _), _, clock = three
    for i in range(4):
        a.note(f"note {i}")
    own = a.core.log.own
    assert own is not None
    raws, aid = own.read_range(0, len(own)), bytes.fromhex(a.feed)[:4]
    n = len(raws)
    bad = raws[n - 1][:-1] + bytes([raws[n - 1][-1] ^ 1])
    later = [*raws[2 : n - 1], bad]
    _flood(b, [fr.encode(whole(aid, i, [raw])) for i, raw in enumerate(later, 2)][::-1])
    assert b.held(a) == 0 and b.engine.counts["gap"] == n - 2  # nothing unverified stored
    sent = []
    for _ in range(60):
        clock.t += 1
        sent += b.engine.tick(clock())
    asks = [fr.decode(s.payload) for s in sent if s.payload[0] == fr.REQUEST]  # type: ignore[union-attr]
    assert asks and asks[0] == fr.Request(aid, 0, 2)  # the hole, not everything after it
    _flood(b, [fr.encode(whole(aid, i, [raws[i]])) for i in (0, 1)])
    assert b.held(a) == n - 1  # the early entries verified and stored; the forged one not
    assert b.engine.counts["rejected-bad-signature"] == 1


def test_a_hub_does_not_ask_again_while_an_answer_is_still_arriving(three: Three) -> None:
    """Asking for the rest while the answer streams in would make every holder send it
    twice; the hub waits until the answer has been quiet for a slot."""
    (a, b, _), _, clock = three
    for i in range(10):
        a.note(f"note {i}")
    own = a.core.log.own
    assert own is not None
    raws, aid = own.read_range(0, len(own)), bytes.fromhex(a.feed)[:4]
    summary = fr.Summary(aid, (fr.Frontier(aid, len(raws), bytes(4)),))
    _flood(b, [fr.encode(summary)])
    sent: list[bytes] = []
    for i in range(6):  # the answer streams in, one frame a second
        _flood(b, [fr.encode(whole(aid, i, [raws[i]]))])
        clock.t += 1.0
        sent += [s.payload for s in b.engine.tick(clock())]  # type: ignore[union-attr]
    assert b.held(a) == 6 and not [s for s in sent if s[0] == fr.REQUEST]
    for _ in range(30):  # the answer has ended: now the hub asks for the rest
        clock.t += 1.0
        sent += [s.payload for s in b.engine.tick(clock())]  # type: ignore[union-attr]
    asks = [fr.decode(s) for s in sent if s[0] == fr.REQUEST]
    assert asks and asks[0] == fr.Request(aid, 6, len(raws) - 6)


def _other_history(hub: Hub, where: Path, texts: list[str]) -> list[bytes]:
    """Entries signed by ``hub``'s key after its log as it is now: another history."""
    from hub.daemon import HubCore
    from hub.local import DataDir

    hub.core.close()
    shutil.copytree(hub.core.datadir.root, where)
    hub.core.open()
    twin = HubCore(DataDir(where), hub.core.clock)
    twin.open()
    raws = [twin.log.append("note", {"text": t}).raw for t in texts]
    twin.close()
    return raws


@pytest.mark.parametrize("ahead", [0, 2])
def test_a_copy_that_took_another_history_finds_the_fork(
    three: Three, tmp_path: Path, ahead: int
) -> None:
    """While B was out of earshot, A wrote on, and A's twin (its key, another history)
    showed B other entries. Whether A's log is now as long as B's copy (the summaries
    disagree on the root) or longer (A's next entries do not chain onto B's copy), B
    searches back for where the two part and keeps both entries as evidence of the fork."""
    (a, b, c), air, _ = three
    for i in range(6):
        a.note(f"the history everyone saw {i}")
    air.run(40)
    held = b.held(a)
    other = _other_history(a, tmp_path / "twin", ["shown to B", "and this too"])
    air.hubs.remove(b)
    for i in range(2 + ahead):
        a.note(f"the history A kept {i}")
    air.run(40)
    air.hubs.append(b)
    aid = bytes.fromhex(a.feed)[:4]
    _flood(b, [fr.encode(whole(aid, held, other))])
    assert b.held(a) == held + 2 and not b.forks
    air.run(300)
    assert [(f.index, f.theirs) for f in b.forks] == [(held, a.core.log.own.read(held))]  # type: ignore[union-attr]
    assert b.core.log.replicas.forked == {a.feed} and b.engine.counts["probe"] >= 1
    assert not c.forks and c.held(a) == held + 2 + ahead  # C never saw the other history


def test_junk_that_does_not_chain_costs_one_short_search_per_feed(three: Three) -> None:
    (a, b, _), air, _ = three
    for i in range(8):
        a.note(f"n{i}")
    air.run(40)
    held = b.held(a)
    raw = a.core.log.own.read(held - 1)  # type: ignore[union-attr]
    tampered = raw[:-1] + bytes([raw[-1] ^ 1])
    aid = bytes.fromhex(a.feed)[:4]
    before = len(air.frames)
    for _ in range(200):  # a stranger repeats a bad entry at the end of B's copy
        _flood(b, [fr.encode(whole(aid, held, [tampered]))])
        air.run(1)
    requests = [p for s, p in air.frames[before:] if s == "B" and p[0] == fr.REQUEST]
    assert 1 <= len(requests) <= 200 / b.engine.forks.every() + 2, len(requests)
    assert not b.forks and not b.core.log.replicas.forked and b.held(a) == held
    assert b.engine.counts["probe-clean"] >= 1
