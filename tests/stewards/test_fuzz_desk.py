"""The steward command language, fed anything a radio can carry: from an enrolled steward,
a coordinator and a stranger, as a PKI DM, a plain DM and on the channel. The desk always
answers with actions (never an exception), every reply part fits a LoRa text, a refusal
says why, and whatever it records keeps the hub's text policy."""

from __future__ import annotations

import unicodedata

from fuzz_profiles import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from steward_helpers import Desk, Radio

from hub.log import text_problem
from hub.mesh import MAX_TEXT_BYTES
from radio.desk import Broadcast, Refusal, Reply

WORDS = st.sampled_from(
    ["IN", "OUT", "LOG", "ALERT", "ACK", "WHO", "ALERTS", "MORE", "RESEND", "HELP", "JOIN",
     "FIX", "CANCEL", "in", "Log", "30", "-5", "1e3", "٣٠", "99999999999999999999", "#1", "0"]
)  # fmt: skip
TEXT = st.lists(
    st.one_of(WORDS, st.text(max_size=12), st.sampled_from(["\r\n", "\u200b", "\u202e", " "])),
    max_size=8,
).map(" ".join)


@settings(
    max_examples=examples(60),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.tuples(st.sampled_from(range(3)), st.sampled_from(range(3)), TEXT), max_size=6))
def test_fuzz_desk_commands(desk: Desk, script: list[tuple[int, int, str]]) -> None:
    radios = [Radio(0x11), Radio(0x22), Radio(0x66)]
    if not desk.state.roster.by_node(0x11):
        desk.enrol(radios[0], "ana")
        desk.enrol(radios[1], "bo", "coordinator")
    for who, how, text in script:
        radio = radios[who]
        msg = radio.dm(text) if how == 0 else radio.dm(text, pki=False) if how == 1 else (
            radio.channel(text)
        )  # fmt: skip
        desk.clock.advance(7)
        for action in desk.send(msg) + desk.tick():
            if isinstance(action, Reply | Broadcast):
                assert action.parts
                assert all(0 < len(p.encode()) <= MAX_TEXT_BYTES for p in action.parts)
            elif isinstance(action, Refusal):
                assert action.reason
    for body in desk.entries():
        for name, value in body.named_fields().items():
            if isinstance(value, str) and name in ("text", "note", "reason"):
                assert text_problem(value, multiline=name != "reason") is None, (name, value)
                assert unicodedata.is_normalized("NFC", value)
