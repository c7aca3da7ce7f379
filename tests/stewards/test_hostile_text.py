"""Hostile input to the steward desk: JOIN codes heard in the clear, invisible and control
characters, and numbers that are not numbers. Each case was found by trying to break a hub."""

from __future__ import annotations

import unicodedata

import pytest
from steward_helpers import Desk, Radio, refusals, replies

from radio.desk import BURNED

CONTROL = "Not accepted: the text has control, invisible or direction characters."


def test_join_code_on_the_channel_is_burned_and_sender_told(desk: Desk) -> None:
    steward, thief = Radio(0x11), Radio(0x66)
    code = desk.invite("alice")
    out = desk.send(steward.channel(f"JOIN {code}"))
    assert [r.reason for r in refusals(out)] == ["join-clear"]
    [reply] = replies(out)
    assert reply.dest == steward.num and " ".join(reply.parts) == BURNED
    # another radio that heard it cannot redeem it, nor can the steward
    assert desk.say(thief, f"JOIN {code}").startswith("JOIN refused: code was sent in the clear")
    assert desk.say(steward, f"join {code}").startswith("JOIN refused: code was sent in the clear")
    assert "enrol" not in desk.kinds() and desk.state.roster.by_node(thief.num) is None
    # a fresh code, sent properly, works
    assert desk.say(steward, f"JOIN {desk.invite('alice')}").startswith("Welcome, alice!")


def test_join_code_in_a_plain_dm_is_burned_too(desk: Desk) -> None:
    alice = Radio(0x11)
    code = desk.invite("alice")
    assert desk.say(alice, f"JOIN\t{code}", pki=False) == BURNED
    assert desk.say(Radio(0x66), f"JOIN {code}").startswith("JOIN refused: code was sent")


def test_unknown_code_on_the_channel_burns_nothing(desk: Desk) -> None:
    code = desk.invite("alice")
    out = desk.send(Radio(0x66).channel("JOIN zzzzzzzz"))
    assert [r.reason for r in refusals(out)] == ["channel"]
    assert desk.say(Radio(0x11), f"JOIN {code}").startswith("Welcome, alice!")


@pytest.mark.parametrize(
    "text",
    [
        "LOG a\r\nIN 5",
        "LOG a\nb",
        "LOG zero\u200bwidth",
        "LOG \ufeffbom",
        "LOG line\u2028sep",
        "LOG para\u2029sep",
        "LOG tag\U000e0041\U000e0042",
        "LOG note\ufff9annotated\ufffa\ufffb",
        "LOG \u2066isolate\u2069",
        "LOG soft\u00adhyphen",
        "LOG \u202egnp.exe",
    ],
)
def test_invisible_and_control_characters_are_refused(desk: Desk, text: str) -> None:
    alice = Radio(0x11)
    desk.enrol(alice, "alice")
    n = len(desk.kinds())
    assert desk.say(alice, text) == CONTROL
    assert len(desk.kinds()) == n


def test_text_is_recorded_in_nfc_and_joiners_are_kept(desk: Desk) -> None:
    alice = Radio(0x11)
    desk.enrol(alice, "alice")
    decomposed = "LOG cafe\u0301 ok"
    assert desk.say(alice, decomposed).startswith("Note recorded")
    family = "LOG \U0001f468\u200d\U0001f469\u200d\U0001f467 safe; "
    family += "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # Persian, with a ZWNJ
    assert desk.say(alice, family).startswith("Note recorded")
    texts = [b.named_fields()["text"] for b in desk.entries()[-2:]]
    assert texts[0] == "caf\u00e9 ok" and unicodedata.is_normalized("NFC", texts[0])
    assert texts[1] == family[4:]


@pytest.mark.parametrize(
    "minutes", ["99999999999999999999", "\u0663\u0660", "1e3", "-5", "+5", "1.5"]
)
def test_numbers_that_are_not_are_refused_with_the_reason(desk: Desk, minutes: str) -> None:
    alice = Radio(0x11)
    desk.enrol(alice, "alice")
    n = len(desk.kinds())
    answer = desk.say(alice, f"IN {minutes} north loop")
    assert answer == "IN minutes must be a whole number 1-1440 in digits 0-9, e.g. IN 45."
    assert len(desk.kinds()) == n and "alice" not in desk.state.patrol.shifts


def test_a_note_after_in_is_still_a_note(desk: Desk) -> None:
    alice = Radio(0x11)
    desk.enrol(alice, "alice")
    assert desk.say(alice, "IN 2nd avenue").startswith("On duty")
    assert desk.entries()[-1].named_fields() == {"minutes": None, "text": "2nd avenue"}
