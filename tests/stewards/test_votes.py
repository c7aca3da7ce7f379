"""The assembly on the desk and in the ops: proposals, votes, outcomes, terms, the charter,
and every kind of bad vote refused and never counted. A real signed log (``hub_desk``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from steward_helpers import Desk, Radio, refusals, replies

from hub.daemon.ops import run_op
from hub.errors import InputError
from hub.state import HubState, decide, settle

DAY = 86_400


def members(desk: Desk, n: int) -> list[Radio]:
    radios = [Radio(0x40 + i) for i in range(n)]
    for i, r in enumerate(radios):
        desk.enrol(r, f"m{i}")
    return radios


def votes_of(desk: Desk) -> list[tuple[str, dict[str, object]]]:
    return [(b.author, b.named_fields()) for b in desk.entries() if b.kind_name == "vote"]


def test_decide_only_when_the_outcome_cannot_change() -> None:
    # 5 eligible, quorum 50% (3), majority 50%
    assert decide(2, 0, 5, 50, 50, False) is None  # 2 yes, 3 NO could still follow
    assert decide(3, 0, 5, 50, 50, False) is True  # even 2 more NO: 3 to 2
    assert decide(0, 3, 5, 50, 50, False) is False  # even 2 more YES: 2 to 3
    assert decide(2, 2, 5, 50, 50, False) is None
    assert decide(1, 0, 5, 50, 50, True) is False  # closed without quorum
    assert decide(2, 1, 5, 50, 50, True) is True
    assert decide(1, 1, 2, 50, 50, False) is False  # all voted, a tie does not carry


def test_a_mandate_by_radio_takes_effect_and_ends(hub_desk: Desk) -> None:
    desk = hub_desk
    assert desk.core is not None
    a, b, c = members(desk, 3)
    reply = desk.say(a, "PROPOSE m1 coordinator 30d")
    assert reply.startswith("Vote #3 open: m1 coordinator 30d, 3 voters")
    assert desk.say(a, "VOTES").startswith("Open votes (1): #3 m1 coordinator 30d 0y 0n/3")
    assert desk.say(b, "ALERT too soon") == "Only coordinators can ALERT."
    assert desk.say(a, "VOTE 3 YES") == "Vote YES counted (#4). #3: 1 yes 0 no of 3, quorum 2."
    out = desk.say(c, "vote 3 yes")
    assert "Vote #3 carried: m1 is coordinator until" in out  # 2 of 3: no way back
    assert desk.kinds()[-2:] == ["vote", "outcome"]
    outcome = desk.entries()[-1].named_fields()
    assert outcome["carried"] == 1 and outcome["handle"] == "m1"
    assert outcome["until"] == int(desk.clock()) + 30 * DAY
    assert desk.say(b, "ALERT Fire on Elm St").startswith("Alert #")
    assert desk.say(a, "ROLES").startswith("Roles (1): coordinator m1 to ")
    roster = run_op(desk.core, "roster_list", {})
    [m1] = [m for m in roster["members"] if m["handle"] == "m1"]
    assert {"role": "coordinator", "until": outcome["until"]} in m1["roles"]
    listed = run_op(desk.core, "mandate_list", {})
    assert listed["votes"][0]["carried"] is True and listed["terms"][0]["handle"] == "m1"
    # the term ends: the same radio is a steward again at that second
    desk.clock.advance(30 * DAY)
    assert desk.say(b, "ALERT again") == "Only coordinators can ALERT."
    with pytest.raises(InputError, match="not a coordinator"):
        run_op(desk.core, "alert_send", {"text": "x", "author": "m1"})
    # after the first mandate, an enrolment no longer makes a coordinator
    with pytest.raises(InputError, match="needs a mandate"):
        run_op(desk.core, "roster_invite", {"handle": "zed", "role": "coordinator"})


def test_a_vote_that_fails_and_one_decided_at_the_close(hub_desk: Desk) -> None:
    desk = hub_desk
    assert desk.core is not None
    radios = members(desk, 4)
    res = run_op(
        desk.core, "mandate_propose", {"handle": "m0", "role": "facilitator", "term": "90d"}
    )
    n = res["vote"]
    assert res["voters"] == ["m0", "m1", "m2", "m3"] and res["open"]
    for r in radios[:3]:
        desk.say(r, f"VOTE {n} NO")
    assert desk.kinds()[-1] == "outcome"  # 3 NO of 4: lost for good
    assert desk.entries()[-1].named_fields()["carried"] == 0
    res = run_op(
        desk.core, "mandate_propose", {"handle": "m2", "role": "facilitator", "term": "90d"}
    )
    n = res["vote"]
    desk.say(radios[0], f"VOTE {n} YES")
    desk.say(radios[1], f"VOTE {n} YES")  # 2 of 4: quorum, but two NO could still tie
    assert desk.kinds()[-1] == "vote"
    desk.clock.advance(7 * DAY)
    told = replies(desk.tick())  # the close: 2 YES, quorum 2 -> carried
    assert [r.dest for r in told if "carried" in r.parts[0]] == [radios[2].num]
    outcome = desk.entries()[-1]
    assert outcome.kind_name == "outcome" and outcome.named_fields()["carried"] == 1
    m2 = desk.state.roster.get("m2")
    assert m2 is not None and m2.until("facilitator") == int(desk.clock()) + 90 * DAY


@pytest.fixture
def open_vote(hub_desk: Desk) -> tuple[Desk, list[Radio], int]:
    """Five members and an open vote on m0 as coordinator."""
    assert hub_desk.core is not None
    radios = members(hub_desk, 5)
    n = run_op(hub_desk.core, "mandate_propose", {"handle": "m0", "term": "90d"})["vote"]
    return hub_desk, radios, n


def refused(desk: Desk, radio: Radio, text: str, **kw: object) -> str:
    """The reply to a refused vote; nothing was counted."""
    before = votes_of(desk)
    said = desk.say(radio, text, **kw)
    assert votes_of(desk) == before
    assert len(said.encode()) <= 200
    return said


def test_vote_from_a_non_member(open_vote: tuple[Desk, list[Radio], int]) -> None:
    desk, _, n = open_vote
    said = refused(desk, Radio(0x99), f"VOTE {n} YES")
    assert said.startswith("Not accepted: this radio is not enrolled")


def test_vote_from_a_member_enrolled_after_the_opening(
    open_vote: tuple[Desk, list[Radio], int],
) -> None:
    desk, _, n = open_vote
    late = Radio(0x77)
    desk.enrol(late, "late")
    said = refused(desk, late, f"VOTE {n} YES")
    assert said == f"Refused: you were not a member when vote #{n} opened."


def test_vote_not_by_pki_dm(open_vote: tuple[Desk, list[Radio], int]) -> None:
    desk, radios, n = open_vote
    said = refused(desk, radios[1], f"VOTE {n} YES", pki=False)
    assert said.startswith("Not accepted: send an encrypted DM")
    said = refused(desk, radios[2], f"VOTE {n} YES", key=b"k" * 32)  # another radio's key
    assert said.startswith("Not accepted: this radio's key is not the enrolled one")
    # within the refusal budget: a second try within the hour is refused without a reply
    out = desk.send(radios[2].dm(f"VOTE {n} YES", key=b"k" * 32))
    assert [r.reason for r in refusals(out)] == ["key-mismatch"] and not replies(out)
    assert votes_of(desk) == []


def test_vote_on_the_channel(open_vote: tuple[Desk, list[Radio], int]) -> None:
    desk, radios, n = open_vote
    out = desk.send(radios[1].channel(f"VOTE {n} YES"))
    assert [r.reason for r in refusals(out)] == ["channel"] and votes_of(desk) == []


def test_double_vote(open_vote: tuple[Desk, list[Radio], int]) -> None:
    desk, radios, n = open_vote
    desk.say(radios[1], f"VOTE {n} YES")
    out = desk.send(radios[1].dm(f"VOTE {n} NO"))
    assert [r.reason for r in refusals(out)] == ["vote"]
    assert " ".join(replies(out)[0].parts) == f"Refused: you voted in #{n} already; one vote each."
    assert votes_of(desk) == [("m1", {"proposal": n, "yes": 1})]


def test_vote_from_a_revoked_member(open_vote: tuple[Desk, list[Radio], int]) -> None:
    desk, radios, n = open_vote
    assert desk.core is not None
    run_op(desk.core, "roster_revoke", {"handle": "m2"})
    said = refused(desk, radios[2], f"VOTE {n} YES")
    assert said == "Not accepted: your enrolment was revoked."


def test_vote_from_an_expired_member(hub_desk: Desk) -> None:
    desk = hub_desk
    assert desk.core is not None
    _, b = members(desk, 2)
    n = run_op(desk.core, "mandate_propose", {"handle": "m0", "term": "90d", "closes": "60d"})
    desk.clock.advance(31 * DAY)  # the 30-day enrolments ended; the vote is still open
    said = refused(desk, b, f"VOTE {n['vote']} YES")
    assert said == "Not accepted: your role has ended. Ask a coordinator to renew it."


def test_vote_after_the_close(open_vote: tuple[Desk, list[Radio], int]) -> None:
    desk, radios, n = open_vote
    desk.clock.advance(7 * DAY)
    assert refused(desk, radios[4], f"VOTE {n} YES").startswith(f"Refused: vote #{n} closed ")
    desk.tick()  # the outcome is written at the close: failed, nobody voted
    assert refused(desk, radios[4], f"VOTE {n} YES") == (f"Refused: vote #{n} is decided: failed.")


def test_vote_on_an_unknown_number_or_badly_spelt(
    open_vote: tuple[Desk, list[Radio], int],
) -> None:
    desk, radios, n = open_vote
    assert refused(desk, radios[1], "VOTE 999 YES") == "Refused: no vote #999; send VOTES."
    for bad in (f"VOTE {n} MAYBE", "VOTE", f"VOTE -{n} YES", "VOTE ٣ YES", "VOTE 1e3 NO"):
        assert refused(desk, radios[1], bad).startswith("VOTE n YES or VOTE n NO"), bad


def test_vote_flood(open_vote: tuple[Desk, list[Radio], int]) -> None:
    desk, radios, n = open_vote
    reasons = []
    for _ in range(40):
        reasons += [r.reason for r in refusals(desk.send(radios[3].dm(f"VOTE {n} YES")))]
    assert "burst" in reasons and "vote" in reasons  # double votes, then the rate limit
    assert votes_of(desk) == [("m3", {"proposal": n, "yes": 1})]


def test_a_replicas_malformed_assembly_entries_count_for_nothing() -> None:
    from hub.log import Body, LoggedEntry, TimeSource
    from hub.state import HubState

    st = HubState("aa" * 32)
    feed = "aa" * 32
    hostile = [
        ("proposal", ("mandate", "soon", "x", 50, 50)),  # closes not an integer
        ("proposal", ("nonsense", 9, "x", 50, 50)),  # neither a mandate nor a charter
        ("vote", (99, 1)),  # no such proposal
        ("outcome", (98, 1, 5, 0, "ghost", "coordinator", 2**40)),  # no proposal, no member
        ("vote", ()),
        ("outcome", ("x",)),
    ]
    from hub.log import BY_NAME

    for i, (kind, fields) in enumerate(hostile):
        body = Body(BY_NAME[kind].code, 1000 + i, TimeSource.UNSYNCED, "m0", fields)
        st.apply(LoggedEntry(feed, i, b"", body))
    assert st.mandates.proposals(feed) == [] and st.mandates.terms == []
    assert st.roster.get("ghost") is None


def test_bad_proposals_are_refused(hub_desk: Desk) -> None:
    desk = hub_desk
    assert desk.core is not None
    a, _ = members(desk, 2)
    for text, why in (
        ("PROPOSE nobody coordinator 90d", "nobody is not an enrolled member"),
        ("PROPOSE m1 coordinator 5000d", "a term is 7 days to 2 years"),
        ("PROPOSE m1 coordinator 1d", "a term is 7 days to 2 years"),
        ("PROPOSE m1 coordinator forever", "term: want days like 90d"),
        ("PROPOSE m1 steward 90d", "a role is 2-24"),
    ):
        said = desk.say(a, text)
        assert said.startswith(f"Refused: {why}") and len(said) < 100, text
    assert desk.say(a, "PROPOSE m1").startswith("PROPOSE handle role days")
    assert "proposal" not in desk.kinds()
    for args, why in (
        ({"handle": "m1", "term": 90}, "a term is 7 days"),
        ({"handle": "m1", "term": "90d", "rules": {"quorum": "x"}}, "assembly.quorum"),
        ({"handle": "m1", "term": "90d", "rules": {"majority": -5}}, "assembly.majority"),
        ({"handle": "m1", "term": "90d", "rules": {"quorum": 10**9}}, "assembly.quorum"),
        ({"handle": "m1", "term": "90d", "rules": {"bribe": 1}}, "no setting"),
        ({"handle": "m1", "term": "90d", "rules": []}, "rules must be an object"),
        ({"handle": "m1", "term": True}, "term is required"),
        ({"handle": ["m1"], "term": "90d"}, "a handle is"),
        ({"handle": "m1", "term": "90d", "closes": "yesterday"}, "closes: want"),
        ({"handle": "m1", "term": "90d", "closes": "100d"}, "between 1 hour and 60 days"),
    ):
        with pytest.raises(InputError, match=why):
            run_op(desk.core, "mandate_propose", args)
    n = desk.say(a, "PROPOSE m1 coordinator 90d").split("#")[1].split()[0]
    assert desk.say(a, "PROPOSE m1 coordinator 30d") == (
        f"Refused: vote #{n} on m1 as coordinator is open already."
    )


def test_term_limit(hub_desk: Desk) -> None:
    desk = hub_desk
    assert desk.core is not None
    a, b = members(desk, 2)
    for _ in range(2):
        n = run_op(desk.core, "mandate_propose", {"handle": "m0", "term": "30d"})["vote"]
        desk.say(a, f"VOTE {n} YES")
        desk.say(b, f"VOTE {n} YES")
        desk.clock.advance(29 * DAY)
    with pytest.raises(InputError, match="held coordinator for 2 terms in a row"):
        run_op(desk.core, "mandate_propose", {"handle": "m0", "term": "30d"})
    ok = run_op(
        desk.core, "mandate_propose", {"handle": "m0", "term": "30d", "rules": {"term_limit": 3}}
    )
    assert ok["open"]


def test_charter_votes_and_the_amendment_limit(hub_desk: Desk) -> None:
    desk = hub_desk
    assert desk.core is not None
    a, b = members(desk, 2)

    def carry(text: str) -> int:
        n = int(run_op(desk.core, "mandate_propose", {"what": "charter", "text": text})["vote"])
        desk.say(a, f"VOTE {n} YES")
        desk.say(b, f"VOTE {n} YES")
        return n

    assert run_op(desk.core, "charter_set", {"text": "# Draft\n"})["index"] >= 0  # not yet voted
    carry("# Charter\n\n1. Rotate.\n")
    assert desk.kinds()[-2:] == ["outcome", "charter"]
    with pytest.raises(InputError, match="change it by a vote"):
        run_op(desk.core, "charter_set", {"text": "# Set by hand\n"})
    md = desk.state.mandates
    assert md.feed(desk.state.own).current == "# Charter\n\n1. Rotate.\n"
    with pytest.raises(InputError, match="changed 1 time"):
        run_op(desk.core, "mandate_propose", {"what": "charter", "text": "# Charter\n\n2.\n"})
    carry("# Charter\n\n1. Rotate.\n")  # ratified unchanged: allowed, no new version
    assert desk.kinds()[-1] == "outcome"
    assert len(md.feed(desk.state.own).ratified) == 2
    desk.clock.advance(92 * DAY)
    for h in ("m0", "m1"):  # their 30-day enrolment ended: renewed
        run_op(desk.core, "roster_renew", {"handle": h})
    carry("# Charter\n\n1. Rotate.\n2. Revisit yearly.\n")
    assert len(md.feed(desk.state.own).charters) == 3  # the draft and two ratified changes


def test_reminders_once_a_day(hub_desk: Desk) -> None:
    desk = hub_desk
    assert desk.core is not None
    a, b = members(desk, 2)
    n = run_op(desk.core, "mandate_propose", {"handle": "m0", "term": "10d"})["vote"]
    first = replies(desk.tick())
    assert {r.dest for r in first} == {a.num, b.num}
    assert all(f"Vote #{n} open" in r.parts[0] and not r.urgent for r in first)
    assert replies(desk.tick()) == []  # at most one a day
    desk.say(a, f"VOTE {n} YES")
    desk.say(b, f"VOTE {n} YES")
    desk.clock.advance(4 * DAY)
    out = replies(desk.tick())
    assert [(r.dest, r.parts[0].split(" term")[0]) for r in out] == [(a.num, "Your coordinator")]


def test_a_restart_the_same_day_does_not_remind_again(tmp_path: Path) -> None:
    """The day's reminders are kept with the delivery records: a power cut and restart
    does not send them twice, and the next reminder still comes on its day. A damaged
    bookkeeping row is ignored, never fatal."""
    desk = Desk(tmp_path / "hub")
    assert desk.core is not None
    a, b = members(desk, 2)
    n = run_op(desk.core, "mandate_propose", {"handle": "m0", "term": "10d"})["vote"]
    assert {r.dest for r in replies(desk.tick())} == {a.num, b.num}
    desk.db.table("reminded").insert({"handle": 7, "day": "today"})  # damaged
    desk.close()
    desk.clock.advance(3600)
    again = Desk(tmp_path / "hub", reopen=desk.clock)
    assert replies(again.tick()) == []  # same day: not reminded again
    again.say(a, f"VOTE {n} YES")
    closes = again.state.mandates.get(again.state.own, n)
    assert closes is not None
    again.clock.advance(closes.closes - again.clock() - 3600)  # the day it closes
    out = replies(again.tick())
    assert [(r.dest, f"Vote #{n} closes" in r.parts[0]) for r in out] == [(b.num, True)]
    again.close()


BAKERY = "bb" * 32
Entry = tuple[str, dict[str, object], str]


def _bakery_vote(t: int, ana: Radio, closes: int = 7 * DAY) -> list[Entry]:
    """The bakery's log: ana (with her radio) and bo enrolled there, and vote #2 on ana as
    coordinator for 30 days, which bo opened."""
    until = t + 300 * DAY
    return [
        ("enrol", {"handle": "ana", "role": "steward", "until": until, "node": ana.num,
                   "pkey": ana.pkey}, ""),
        ("enrol", {"handle": "bo", "role": "steward", "until": until}, ""),
        ("proposal", {"what": "mandate", "closes": t + closes, "voters": "ana bo", "quorum": 50,
                      "majority": 50, "handle": "ana", "role": "coordinator", "term": 30 * DAY},
         "bo"),
    ]  # fmt: skip


def _fold(state: HubState, feed: str, entries: list[Entry], t: int, first: int = 0) -> None:
    from hub.log import LoggedEntry, make_body

    for i, (kind, fields, author) in enumerate(entries, first):
        body = make_body(kind, fields, time=t, author=author)  # type: ignore[arg-type]
        state.apply(LoggedEntry(feed, i, b"", body))


def _federate(desk: Desk) -> None:
    desk.append("peer", {"feed": bytes.fromhex(BAKERY), "name": "Bakery"}, "")


def test_a_mandate_voted_at_another_hub_counts_here(desk: Desk) -> None:
    """Neighbourhood-wide: the bakery's hub votes ana in; at this hub (which federates with
    the bakery) she is a coordinator, on the radio and in the calendar's terms."""
    _federate(desk)
    ana = Radio(0x51)
    t = int(desk.clock())
    outcome = {"proposal": 2, "carried": 1, "yes": 2, "no": 0, "handle": "ana",
               "role": "coordinator", "until": t + 30 * DAY}  # fmt: skip
    there = [
        *_bakery_vote(t, ana),
        ("vote", {"proposal": 2, "yes": 1}, "ana"),
        ("vote", {"proposal": 2, "yes": 1}, "bo"),
        ("outcome", outcome, ""),
    ]
    assert desk.say(ana, "ALERT before").startswith("Not accepted: this radio is not")
    _fold(desk.state, BAKERY, there, t)
    assert desk.say(ana, "ALERT Fire at the bakery").startswith("Alert #")
    assert [(x.handle, x.feed) for x in desk.state.mandates.terms] == [("ana", BAKERY)]
    assert desk.state.mandates.open(desk.state.own, desk.clock()) == []  # its votes: there
    desk.clock.advance(30 * DAY)
    assert desk.say(ana, "ALERT after") == "Only coordinators can ALERT."


def test_a_vote_another_hub_opened_is_cast_here_and_counted_there(desk: Desk) -> None:
    """ana passes this hub, not the bakery: she votes here in the bakery's vote #2. The
    entry names the bakery's feed; the bakery, folding this hub's feed, counts her vote and
    settles, whichever feed it folds first. One vote each holds across hubs."""
    _federate(desk)
    ana = Radio(0x51)
    t = int(desk.clock())
    bakery_log = [*_bakery_vote(t, ana), ("vote", {"proposal": 2, "yes": 0}, "bo")]
    _fold(desk.state, BAKERY, bakery_log, t)
    bakery_log.append(("peer", {"feed": bytes.fromhex(desk.state.own), "name": "Corner"}, ""))
    listing = desk.say(ana, "VOTES")
    assert "#2 at Bakery ana coordinator 30d 0y 1n/2" in listing
    reply = desk.say(ana, "VOTE 2 YES")
    assert reply.startswith("Vote YES counted (#")
    assert "#2 at Bakery: 1 yes 1 no of 2, quorum 1. Bakery settles it." in reply
    vote = desk.entries()[-1]
    assert vote.kind_name == "vote"
    assert vote.named_fields() == {"proposal": 2, "yes": 1, "at": bytes.fromhex(BAKERY)}
    assert desk.say(ana, "VOTE 2 NO") == "Refused: you voted in #2 already; one vote each."
    here = [(b.kind_name, b.named_fields(), b.author) for b in desk.entries()]
    bakery = HubState(BAKERY)  # the bakery folds its own log, then this hub's
    _fold(bakery, BAKERY, bakery_log, t)
    _fold(bakery, desk.state.own, here, t)
    written: list[dict[str, object]] = []
    decided = settle(bakery, lambda k, f, a: written.append(f), t + 7 * DAY)
    assert [text for _, text in decided] == [
        "Vote #2 (ana coordinator 30d) failed: 1 yes 1 no of 2, quorum 1."
    ]
    assert written[0]["yes"] == 1  # the bakery's outcome counts ana's vote from here
    for first in (BAKERY, desk.state.own):  # a third hub, folding either feed first
        laundry = "ee" * 32
        st = HubState(laundry)
        peers = [
            ("peer", {"feed": bytes.fromhex(f), "name": f[:4]}, "")
            for f in (BAKERY, desk.state.own)
        ]
        _fold(st, laundry, peers, t)
        for feed, log in sorted(
            [(BAKERY, bakery_log), (desk.state.own, here)], key=lambda x: x[0] != first
        ):
            _fold(st, feed, log, t)
        p = st.mandates.get(BAKERY, 2)
        assert p is not None and (p.yes, p.no) == (1, 1), first


def test_a_members_earliest_vote_counts_at_every_hub() -> None:
    """ana votes NO at the bakery, then (before that reached this hub) YES here: both
    hubs count the earlier one, whichever feed they fold first."""
    ana, t = Radio(0x51), 1_800_000_000
    here = "cc" * 32
    early = [
        ("peer", {"feed": bytes.fromhex(BAKERY), "name": "Bakery"}, ""),
        ("vote", {"proposal": 2, "yes": 1, "at": bytes.fromhex(BAKERY)}, "ana"),
    ]
    late = [*_bakery_vote(t - 10, ana), ("vote", {"proposal": 2, "yes": 0}, "ana")]
    for first in ("bakery", "here"):
        st = HubState(here)
        _fold(st, here, early[:1], t)  # this hub federates with the bakery
        if first == "bakery":
            _fold(st, BAKERY, late, t + 5)
        _fold(st, here, early[1:], t, first=1)
        if first == "here":
            _fold(st, BAKERY, late, t + 5)
        p = st.mandates.get(BAKERY, 2)
        assert p is not None and (p.yes, p.no) == (1, 0), first


def test_hostile_votes_from_another_feed_count_for_nothing() -> None:
    ana, t = Radio(0x51), 1_800_000_000
    here = "cc" * 32
    bad = [
        ("peer", {"feed": bytes.fromhex(BAKERY), "name": "Bakery"}, ""),
        ("vote", {"proposal": 2, "yes": 1, "at": b"\xbb" * 31}, "ana"),  # not a feed key
        ("vote", {"proposal": 2, "yes": 1, "at": bytes.fromhex("dd" * 32)}, "ana"),  # no such hub
        ("vote", {"proposal": 2, "yes": 1, "at": bytes.fromhex(BAKERY)}, "zed"),  # not a voter
        ("vote", {"proposal": 9, "yes": 1, "at": bytes.fromhex(BAKERY)}, "ana"),  # no vote #9
    ]
    st = HubState(here)
    _fold(st, here, bad, t)
    _fold(st, BAKERY, _bakery_vote(t - 10, ana), t)
    p = st.mandates.get(BAKERY, 2)
    assert p is not None and p.votes == {}
    late = [("vote", {"proposal": 2, "yes": 1, "at": bytes.fromhex(BAKERY)}, "ana")]
    _fold(st, here, late, t + 8 * DAY, first=len(bad))  # after the close
    assert p.votes == {}


def test_the_same_number_open_at_two_hubs_is_asked_about(desk: Desk) -> None:
    _federate(desk)
    laundry = "ee" * 32
    desk.append("peer", {"feed": bytes.fromhex(laundry), "name": "Laundry"}, "")
    ana = Radio(0x51)
    t = int(desk.clock())
    _fold(desk.state, BAKERY, _bakery_vote(t, ana), t)
    cy = ("enrol", {"handle": "cy", "role": "steward", "until": t + 300 * DAY}, "")
    _fold(desk.state, laundry, [cy, *_bakery_vote(t, ana)[1:]], t)  # a vote #2 there too
    reply = desk.say(ana, "VOTE 2 YES")
    assert reply == (
        "Refused: #2 is open at Bakery and Laundry; vote at the hub that opened yours."
    )
    assert desk.kinds()[-1] != "vote"


def test_another_hubs_open_vote_is_found_once_our_own_with_that_number_is_over(
    desk: Desk,
) -> None:
    """This hub's vote #n closed; the bakery's vote #n is open: VOTE n YES here counts in
    the bakery's, instead of being refused as closed. With no other open #n, the reply
    still says ours is decided."""
    _federate(desk)
    ana, t = Radio(0x51), int(desk.clock())
    bakery = _bakery_vote(t, ana)
    _fold(desk.state, BAKERY, bakery[:2], t)  # ana and bo, enrolled at the bakery
    for text in ("a quiet night", "lights out on the canal path"):
        desk.append("note", {"text": text}, "ana")
    own_vote = {**bakery[2][1], "handle": "bo", "closes": t + 7 * DAY}
    n, _ = desk.append("proposal", own_vote, "ana")
    assert n > 2  # the bakery's log below numbers its vote n too
    desk.clock.advance(7 * DAY)
    desk.tick()  # ours is decided at its close: failed, nobody voted
    assert desk.say(ana, f"VOTE {n} YES") == f"Refused: vote #{n} is decided: failed."
    later = int(desk.clock())
    filler = [("note", {"text": "quiet night"}, "bo")] * (n - 2)
    _fold(desk.state, BAKERY, [*filler, _bakery_vote(later, ana, 7 * DAY)[2]], later, first=2)
    theirs = desk.state.mandates.get(BAKERY, n)
    assert theirs is not None and theirs.is_open(desk.clock())
    reply = desk.say(ana, f"VOTE {n} YES")
    assert reply.startswith("Vote YES counted (#") and f"#{n} at Bakery" in reply, reply
    assert desk.entries()[-1].named_fields() == {
        "proposal": n, "yes": 1, "at": bytes.fromhex(BAKERY)
    }  # fmt: skip
