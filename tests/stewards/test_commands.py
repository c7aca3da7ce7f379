"""The command language: enrolment, commands, listings, refusals. The desk writes to an
in-memory log; the tests of the daemon's ops and of a restart use a real signed log."""

from __future__ import annotations

from pathlib import Path

import pytest
from steward_helpers import HUB, Desk, Radio, refusals, replies

from hub.daemon.ops import run_op
from hub.local import CODE_LEN
from radio.desk import HELP_SHORT, DeskPolicy, Limits

CONTROL = "Not accepted: the text has control, invisible or direction characters."


def test_join_pins_key_and_welcomes(desk: Desk) -> None:
    alice = Radio(0x11)
    code = desk.invite("alice")
    assert len(code) == CODE_LEN
    reply = desk.say(alice, f"join {code.upper()}")
    assert reply.startswith("Welcome, alice! Enrolled as steward until")
    enrol = desk.entries()[-1]
    assert enrol.kind_name == "enrol"
    f = enrol.named_fields()
    assert (f["handle"], f["role"], f["node"], f["pkey"]) == ("alice", "steward", 0x11, alice.pkey)
    m = desk.state.roster.by_node(0x11)
    assert m is not None and m.handle == "alice" and m.role(desk.clock()) == "steward"


def test_join_refusals_and_rate_limit(desk: Desk) -> None:
    bob = Radio(0x22)
    # not PKI: refused, no entry (a live code sent so is burned: test_hostile_text.py)
    assert desk.say(bob, "JOIN zzzzzzzz", pki=False).startswith("Not accepted")
    assert "enrol" not in desk.kinds()
    old = desk.invite("erin")
    desk.clock.advance(3601)
    # reused
    desk.enrol(Radio(0x23), "carol")
    used = desk.invite("dave")
    desk.say(Radio(0x24), f"JOIN {used}")
    assert desk.say(bob, f"JOIN {used}") == "JOIN refused: code already used."
    # expired
    assert desk.say(bob, f"JOIN {old}") == "JOIN refused: code expired."
    # third failure, then rate-limited even with a good code
    assert desk.say(bob, "JOIN zzzzzzzz") == "JOIN refused: unknown code."
    good = desk.invite("bob")
    out = desk.send(bob.dm(f"JOIN {good}"))
    assert [r.reason for r in refusals(out)] == ["join-limit"]
    assert desk.kinds().count("enrol") == 2  # carol and dave only
    desk.clock.advance(3601)
    assert desk.say(bob, f"JOIN {desk.invite('bob')}").startswith("Welcome, bob!")


def test_shift_note_incident_confirmations(desk: Desk) -> None:
    alice = Radio(0x11)
    desk.enrol(alice, "alice")
    r = desk.say(alice, "in 45 north loop")
    assert r.startswith("On duty (#1), back in 45 min")
    checkin = desk.entries()[-1]
    assert checkin.kind_name == "checkin" and checkin.author == "alice"
    assert checkin.named_fields() == {"minutes": 45, "text": "north loop"}
    assert desk.say(alice, "LOG all quiet on Elm St") == "Note recorded (#2)."
    assert desk.say(alice, "Inc damage Elm St") == "Incident recorded (#3)."
    assert desk.say(alice, "LOG").startswith("LOG needs text")
    assert desk.say(alice, "IN 0") == "IN minutes must be 1-1440, e.g. IN 45."
    desk.clock.advance(38 * 60)
    assert desk.say(alice, "OUT home") == "Off duty (#4) after 38m. Thank you!"
    assert desk.kinds() == ["enrol", "checkin", "note", "report", "checkout"]
    assert [b.author for b in desk.entries()[1:]] == ["alice"] * 4


def test_who_alerts_more_resend(desk: Desk) -> None:
    coord, radios = Radio(0x10), [Radio(0x100 + i) for i in range(20)]
    desk.enrol(coord, "coord", "coordinator")
    assert desk.say(coord, "WHO") == "Nobody is on duty."
    for i, r in enumerate(radios):
        desk.enrol(r, f"steward_number_{i:02d}")
        desk.say(r, "IN")
    who = desk.say(coord, "who")
    assert who.startswith("On duty (20): steward_number_00 0m; steward_number_01 0m;")
    assert who.endswith(" MORE)")
    assert len(who.encode()) <= 200
    shown = who.count(";")
    more = desk.say(coord, "MORE")
    assert more.startswith(f"steward_number_{shown:02d} ")
    seen = shown + more.count(";")
    while "MORE)" in more:
        more = desk.say(coord, "more")
        seen += more.count(";")
    assert seen == 20
    assert desk.say(coord, "MORE") == "Nothing more."
    for i in range(8):
        desk.say(coord, f"ALERT test alert number {i} " + "x" * 60)
    listing = desk.say(coord, "ALERTS")
    assert listing.startswith("Alerts (8): #") and "MORE)" in listing
    numbers = [int(w[1:]) for w in listing.split() if w.startswith("#") and w[1:].isdigit()]
    assert numbers == sorted(numbers, reverse=True)  # newest first
    # a multi-part reply and RESEND
    desk.say(coord, "LOG " + "long note " * 20)
    assert desk.say(coord, "ALERT " + "é" * 76) == "ALERT text: at most 150 bytes."
    # an alert written by another path (the generic append op) may be longer
    desk.append("alert", {"text": "é" * 150})
    out = replies(desk.send(coord.dm("ALERTS")))
    assert len(out) == 1
    parts = out[0].parts
    assert len(parts) == 2 and parts[0].startswith("[1/2] ") and parts[1].startswith("[2/2] ")
    assert all(len(p.encode()) <= 200 for p in parts)
    assert desk.say(coord, "RESEND 2") == parts[1]
    assert desk.say(coord, "RESEND 9") == "RESEND 1..2"


def test_alert_ack_cancel_and_bad_acks(desk: Desk) -> None:
    coord, alice = Radio(0x10), Radio(0x11)
    desk.enrol(coord, "coord", "coordinator")
    desk.enrol(alice, "alice")
    assert desk.say(alice, "ALERT fire") == "Only coordinators can ALERT."
    assert desk.say(alice, "ACK 5") == "No active alert #5 (unknown)."
    r = desk.say(coord, "ALERT Smoke seen at the school, stay back")
    n = int(r.split("#")[1].split(" ")[0])
    assert desk.entries()[n].kind_name == "alert" and desk.entries()[n].author == "coord"
    b = desk.tick()
    assert len(b) == 1 and b[0].parts[0].startswith(f"\aALERT #{n}: Smoke seen")  # type: ignore[union-attr]
    assert desk.say(alice, "ACK") == f"ACK recorded (#{n + 1}) for alert #{n}."
    assert desk.say(alice, f"ack {n}") == f"Alert #{n} already acknowledged."
    assert desk.say(coord, f"CANCEL {n} false alarm") == f"Alert #{n} cancelled (#{n + 2})."
    assert desk.say(alice, f"ACK {n}") == f"No active alert #{n} (cancelled)."
    assert desk.say(coord, f"CANCEL {n}").startswith("CANCEL needs an active alert")
    cancel = [a for a in desk.tick() if hasattr(a, "parts")]
    assert len(cancel) == 1 and "cancelled" in cancel[0].parts[0]  # type: ignore[union-attr]
    assert desk.tick() == []
    assert desk.kinds().count("ack") == 1 and desk.kinds().count("cancel") == 1


def test_alert_repaging_backoff_and_limit() -> None:
    from hub.state import AlertPolicy

    desk = Desk(policy=DeskPolicy(alerts=AlertPolicy(ack_timeout=60, max_pages=3)))
    coord, alice, bob, carol = Radio(0x10), Radio(0x11), Radio(0x12), Radio(0x13)
    for r, h in ((coord, "coord"), (alice, "alice"), (bob, "bob"), (carol, "carol")):
        desk.enrol(r, h, "coordinator" if h == "coord" else "steward")
    desk.say(alice, "IN")
    desk.say(bob, "IN")  # carol is not on duty: never paged
    desk.say(coord, "ALERT gas leak on Oak St")
    desk.tick()  # broadcast
    desk.clock.advance(59)
    assert replies(desk.tick()) == []
    desk.clock.advance(1)
    first = replies(desk.tick())
    assert sorted(r.dest for r in first) == [0x11, 0x12] and all(r.urgent for r in first)
    assert "gas leak" in first[0].parts[0] and first[0].parts[0].startswith("\a")
    desk.say(bob, "ACK")
    desk.clock.advance(119)
    assert replies(desk.tick()) == []
    desk.clock.advance(1)  # 60 × 2 after the first page
    assert [r.dest for r in replies(desk.tick())] == [0x11]
    desk.clock.advance(240)  # 60 × 4
    assert [r.dest for r in replies(desk.tick())] == [0x11]
    desk.clock.advance(10_000)
    assert replies(desk.tick()) == []  # max_pages reached
    desk.close()


def test_overdue_reminder_then_escalation() -> None:
    desk = Desk(policy=DeskPolicy(overdue_grace=300))
    coord, alice = Radio(0x10), Radio(0x11)
    desk.enrol(coord, "coord", "coordinator")
    desk.enrol(alice, "alice")
    desk.say(alice, "IN 45")
    desk.clock.advance(45 * 60 - 1)
    assert desk.tick() == []
    desk.clock.advance(1)
    out = replies(desk.tick())
    assert [r.dest for r in out] == [0x11] and "due back" in out[0].parts[0]
    assert desk.entries()[-1].named_fields() == {"handle": "alice", "stage": "reminder"}
    assert "OVERDUE" in desk.say(coord, "WHO")
    desk.clock.advance(299)
    assert desk.tick() == []
    desk.clock.advance(1)
    out = replies(desk.tick())
    assert [r.dest for r in out] == [0x10] and "OVERDUE: alice" in out[0].parts[0]
    assert desk.entries()[-1].named_fields() == {"handle": "alice", "stage": "escalated"}
    desk.clock.advance(3600)
    assert desk.tick() == []  # every step once
    assert desk.kinds().count("overdue") == 2
    # the steward answers: the alarmed coordinators hear so; a new IN restarts the clock
    out = replies(desk.send(alice.dm("IN 10")))
    assert [r.dest for r in out] == [0x11, 0x10]
    assert out[1].parts[0].startswith("alice has answered (IN, #")
    assert len(replies(desk.send(alice.dm("OUT")))) == 1  # no longer overdue: no all-clear
    desk.clock.advance(3600)
    assert desk.tick() == []
    desk.close()


def test_state_survives_restart(tmp_path: Path) -> None:
    from hub.daemon import HubCore

    desk = Desk(tmp_path / "hub")
    coord, alice = Radio(0x10), Radio(0x11)
    desk.enrol(coord, "coord", "coordinator")
    desk.enrol(alice, "alice")
    desk.say(alice, "IN 30")
    desk.say(coord, "ALERT x")
    desk.tick()
    desk.close()
    assert desk.core is not None
    core = HubCore(desk.core.datadir, desk.clock)
    core.open()
    st = core.state
    assert st.on_duty_handles(desk.clock()) == ["alice"]
    assert st.patrol.shifts["alice"].minutes == 30
    [a] = st.alerts.active()
    assert core.deliveries.get(a.index).broadcast_at == desk.clock()  # not broadcast twice
    core.close()


# ------------------------------------------------------------------------ refusals


def test_state_change_needs_pinned_pki(desk: Desk) -> None:
    alice, stranger = Radio(0x11), Radio(0x66)
    desk.enrol(alice, "alice")
    n = len(desk.kinds())
    # plain DM from the right number
    assert desk.say(alice, "IN", pki=False).startswith("Not accepted: send an encrypted DM")
    # the right number with another key (spoofed)
    out = desk.send(alice.dm("IN", key=b"\x01" * 32))
    assert [r.reason for r in refusals(out)] == ["key-mismatch"]
    # an unknown radio
    assert "not enrolled" in desk.say(stranger, "LOG hi")
    # a command on the channel
    out = desk.send(stranger.channel("IN"))
    assert [r.reason for r in refusals(out)] == ["channel"]
    assert desk.send(stranger.channel("hello everyone")) == []  # chat is ignored
    assert len(desk.kinds()) == n
    # read-only commands are answered for any DM
    assert desk.say(stranger, "WHO") == "Nobody is on duty."


def test_one_refusal_reply_per_node_per_hour(desk: Desk) -> None:
    stranger = Radio(0x66)
    first = desk.send(stranger.dm("IN", pki=False))
    assert len(replies(first)) == 1
    for _ in range(3):
        out = desk.send(stranger.dm("LOG x", pki=False))
        assert replies(out) == [] and [r.reason for r in refusals(out)] == ["not-pki"]
    desk.clock.advance(3600)
    assert len(replies(desk.send(stranger.dm("IN", pki=False)))) == 1


def test_revoked_and_expired(hub_desk: Desk) -> None:
    desk = hub_desk
    assert desk.core is not None
    alice, bob = Radio(0x11), Radio(0x12)
    desk.enrol(alice, "alice")
    run_op(desk.core, "roster_revoke", {"handle": "alice", "text": "left"})
    assert desk.say(alice, "IN") == "Not accepted: your enrolment was revoked."
    code = desk.invite("bob", until=desk.clock() + 120)
    desk.say(bob, f"JOIN {code}")
    assert desk.say(bob, "IN").startswith("On duty")
    desk.clock.advance(121)
    assert "role has ended" in desk.say(bob, "LOG x")
    assert desk.say(bob, "OUT").startswith("Off duty")  # a role ending mid-shift
    assert "role has ended" in desk.say(bob, "IN")
    assert desk.kinds().count("checkin") == 1 and desk.kinds().count("note") == 0


def test_expired_coordinator_is_a_steward_again(hub_desk: Desk) -> None:
    desk = hub_desk
    assert desk.core is not None
    coord = Radio(0x10)
    code = desk.invite("coord", "coordinator", until=desk.clock() + 600)
    desk.say(coord, f"JOIN {code}")
    assert "ALERT text" in desk.say(coord, "HELP")
    desk.clock.advance(601)
    assert desk.say(coord, "ALERT x") == "Only coordinators can ALERT."
    assert desk.say(coord, "IN").startswith("On duty")
    run_op(desk.core, "roster_renew", {"handle": "coord", "role": "coordinator"})
    assert desk.say(coord, "ALERT back").startswith("Alert #")


def test_duplicate_packet_handled_once(desk: Desk) -> None:
    alice = Radio(0x11)
    desk.enrol(alice, "alice")
    msg = alice.dm("LOG once")
    assert len(replies(desk.send(msg))) == 1
    out = desk.send(msg)
    assert replies(out) == [] and [r.reason for r in refusals(out)] == ["duplicate"]
    assert desk.kinds().count("note") == 1


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("", HELP_SHORT),
        ("   ", HELP_SHORT),
        ("FOO bar", HELP_SHORT),
        ("🚨🚨", HELP_SHORT),
        ("LOG " + "x" * 230, "Too long: keep messages under 200 bytes."),
        ("LOG bell\a", CONTROL),
        ("LOG \u202egnp.exe", CONTROL),
        ("LOG nul\x00", CONTROL),
        ("ACK twelve", "ACK needs an alert number, e.g. ACK 12."),
        ("ACK 99999999999999", "ACK needs an alert number, e.g. ACK 12."),
        ("IN 99999", "IN minutes must be 1-1440, e.g. IN 45."),
    ],
)
def test_bad_input_answers_without_entries(desk: Desk, text: str, answer: str) -> None:
    alice = Radio(0x11)
    desk.enrol(alice, "alice")
    n = len(desk.kinds())
    assert desk.say(alice, text) == answer
    assert len(desk.kinds()) == n


def test_emoji_and_rtl_text_are_recorded_verbatim(desk: Desk) -> None:
    alice = Radio(0x11)
    desk.enrol(alice, "alice")
    assert desk.say(alice, "LOG 🚲 patrol ok 👍🏽").startswith("Note recorded")
    assert desk.say(alice, "INC other שלום עליכם مرحبا").startswith("Incident recorded")
    note, report = desk.entries()[-2:]
    texts = [note.named_fields()["text"], report.named_fields()["place"]]
    assert texts == ["🚲 patrol ok 👍🏽", "שלום עליכם مرحبا"]


def test_burst_of_fifty(desk: Desk) -> None:
    alice, stranger = Radio(0x11), Radio(0x66)
    desk.enrol(alice, "alice")
    answered = refused = 0
    for i in range(50):
        out = desk.send(alice.dm(f"LOG burst {i}"))
        answered += len(replies(out))
        refused += len(refusals(out))
    assert desk.kinds().count("note") == 20  # the burst allowance, then refused
    assert answered == 21  # 20 confirmations + one "wait a minute"
    assert refused == 30
    desk.clock.advance(30)
    assert desk.say(alice, "LOG after").startswith("Note recorded")
    # a spoofer using alice's number drains its own allowance, not hers
    for _ in range(50):
        desk.send(alice.dm("WHO", pki=False))
    assert desk.say(alice, "LOG still me").startswith("Note recorded")
    # strangers get far less
    out = [desk.send(stranger.dm("WHO")) for _ in range(10)]
    assert sum(len(replies(o)) for o in out) == 6  # 5 + one "wait a minute"


def test_dm_to_another_node_ignored(desk: Desk) -> None:
    alice = Radio(0x11)
    desk.enrol(alice, "alice")
    assert desk.send(alice.dm("LOG x", to=HUB + 1)) == []


def test_refusal_replies_capped_hub_wide() -> None:
    desk = Desk(policy=DeskPolicy(limits=Limits(refusal_replies=5)))
    answered = 0
    for i in range(20):  # a spoofer cycling through node numbers
        answered += len(replies(desk.send(Radio(0x9000 + i).dm("IN", pki=False))))
    assert answered == 5
    assert desk.desk.counters["refused:not-pki"] == 20
    desk.close()


def test_dms_between_other_nodes_are_not_ours_even_before_we_know_our_number(
    desk: Desk,
) -> None:
    resident = Radio(0x60000001)
    assert desk.send(resident.dm("WHO", to=0x60000002)) == []
    desk.desk.hub_num = None  # the radio has not connected yet
    assert desk.send(resident.dm("WHO", to=HUB)) == []


def test_rate_limit_memory_stays_bounded() -> None:
    policy = DeskPolicy(limits=Limits(max_nodes=50))
    d = Desk(policy=policy)
    try:
        for n in range(2000):  # a flood of forged sender numbers
            d.send(Radio(0x70000000 + n).dm("WHO"))
            d.clock.advance(0.01)
        assert len(d.desk.limits._buckets) <= 50
        member = Radio(0x5EED0042)
        d.enrol(member, "mara")  # the flood did not lock a real steward out
    finally:
        d.close()


def test_web_checkin_typo_keeps_the_code(hub_desk: Desk) -> None:
    from hub.daemon import WebCode
    from hub.daemon.webcodes import _digest
    from hub.errors import InputError

    desk = hub_desk
    assert desk.core is not None
    member = Radio(0x5EED0043)
    desk.enrol(member, "ana")
    desk.core.web_codes.codes["ana"] = WebCode(_digest("ana", "123456"), desk.clock() + 600)
    form = {"handle": "ana", "code": "123456", "minutes": 9999}
    with pytest.raises(InputError, match="minutes"):
        run_op(desk.core, "webcheckin_confirm", form)
    done = run_op(desk.core, "webcheckin_confirm", {**form, "minutes": 30})
    assert done["ok"] and desk.kinds()[-1] == "checkin"
