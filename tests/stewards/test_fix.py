"""FIX n text: a steward corrects their own entry by radio; a coordinator anyone's; nobody
else, and a refusal writes nothing."""

from __future__ import annotations

from steward_helpers import Desk, Radio, refusals

from hub.daemon.ops import run_op
from hub.errors import InputError
from radio.desk import HELP


def test_author_fixes_own_entry_and_others_are_refused(desk: Desk) -> None:
    alice, bob, cora = Radio(0x11), Radio(0x22), Radio(0x33)
    desk.enrol(alice, "alice")
    desk.enrol(bob, "bob")
    desk.enrol(cora, "cora", role="coordinator")
    assert desk.say(alice, "INC broken window on Elm St").startswith("Incident recorded (#3)")
    n = len(desk.entries())

    # bob is neither the author nor a coordinator: refused, and nothing is written
    out = desk.send(bob.dm("FIX 3 it was Oak St"))
    assert [r.reason for r in refusals(out)] == ["fix"]
    assert "only the author of #3 or a coordinator" in " ".join(out[1].parts)  # type: ignore[union-attr]
    assert len(desk.entries()) == n

    # the author may
    assert desk.say(alice, "FIX 3 it was Oak St") == f"Correction recorded (#{n}) for entry #3."
    fix = desk.entries()[-1]
    assert fix.kind_name == "correction" and fix.author == "alice"
    assert fix.named_fields() == {"target": 3, "text": "it was Oak St"}
    assert desk.state.mine.corrections[3] == [n]
    assert 3 not in desk.state.mine.retracted

    # a coordinator may fix anyone's entry
    assert desk.say(cora, "FIX 3 and at 21:00").startswith("Correction recorded")
    assert desk.state.mine.corrections[3] == [n, n + 1]


def test_fix_bad_input_is_answered_and_writes_nothing(desk: Desk) -> None:
    alice = Radio(0x11)
    desk.enrol(alice, "alice")
    n = len(desk.entries())
    assert desk.say(alice, "FIX").startswith("FIX needs an entry number and text")
    assert desk.say(alice, "FIX 0").startswith("FIX needs an entry number and text")
    assert desk.say(alice, "FIX x hello").startswith("FIX needs an entry number and text")
    assert desk.say(alice, "FIX 999 hello") == "Not recorded: there is no entry #999 in this feed."
    # the enrolment was written by the hub, not by alice
    assert desk.say(alice, "FIX 0 wrong").startswith("Not recorded: only the author of #0")
    # an unauthenticated radio is refused before the verb is looked at
    assert desk.say(alice, "FIX 0 wrong", pki=False).startswith("Not accepted")
    assert len(desk.entries()) == n


def test_help_lists_fix() -> None:
    assert "FIX n text" in HELP


def test_op_refuses_what_fix_refuses(hub_desk: Desk) -> None:
    core = hub_desk.core
    assert core is not None
    alice, bob = Radio(0x11), Radio(0x22)
    hub_desk.enrol(alice, "alice")
    hub_desk.enrol(bob, "bob")
    hub_desk.say(alice, "LOG lamp out")
    i = len(hub_desk.entries()) - 1
    for args, why in [
        ({"target": i, "text": "no", "author": "bob"}, "only the author"),
        ({"target": i, "text": " ", "retract": True}, "a retraction needs a reason"),
        ({"target": i + 50, "text": "x"}, "there is no entry"),
        ({"target": i, "text": "x", "feed": "ab" * 32}, "another hub's feed"),
        ({"target": i, "text": "x", "retract": "yes"}, "retract must be true or false"),
    ]:
        try:
            run_op(core, "correct", args)
        except InputError as e:
            assert why in str(e), (args, e)
        else:
            raise AssertionError(f"{args} was accepted")
    res = run_op(core, "correct", {"target": i, "text": "duplicate", "retract": True})
    assert core.state.mine.retracted == {i: res["index"]}
    try:
        run_op(core, "correct", {"target": i, "text": "again", "retract": True})
    except InputError as e:
        assert "already retracted" in str(e)
    else:
        raise AssertionError("a second retraction was accepted")
