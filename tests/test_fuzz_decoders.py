"""Every decoder at a boundary, fed what a hostile neighbour could send: it returns a value
or refuses with its own error class and a reason, never anything else (a traceback in the
daemon), and what it accepts keeps the hub's rules.

Boundaries: entry bodies (signed log, sync), sync frames as they arrive over the air,
Meshtastic packets from the radio library, Meshtastic MQTT envelopes, MQTT ``cmd/send``
commands, the reply fragment codec, and the text policy every one of them applies."""

from __future__ import annotations

import json
import unicodedata

import cbor2
import fuzz_profiles  # noqa: F401  (the hypothesis profile: suite or fuzz)
from fuzz import targets
from hypothesis import assume, example, given
from hypothesis import strategies as st

from hub.errors import InputError
from hub.log import decode_body, encode_body, text_problem
from hub.log.entry import EntryError
from hub.mqtt.commands import parse_command
from hub.sync.frames import FrameError, decode, encode
from radio.adapter.decode import PacketDropped, decode_packet
from radio.errors import RadioInputError
from radio.fragment import parse_tag, split_text
from radio.mqttcodec import MeshMqttError, encode_envelope, make_decoder

MAX_TEXT = 200
# text that reaches for the corners: controls, format and private-use characters,
# surrogates, combining marks, emoji sequences, and plain ASCII
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.sampled_from("\u200b\ufeff\u2028\u2029\u202e\u00ad\U000e0041\ufff9\r\n\t\x00"),
        st.sampled_from("e\u0301 \U0001f469\u200d\U0001f467 \U0001f1ec\U0001f1e7"),
    ),
    max_size=300,
)
CBOR_ITEM = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.binary(max_size=40) | TEXT,
    lambda inner: st.lists(inner, max_size=8) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=20,
)


@given(st.binary(max_size=600))
@example(b"")
@example(cbor2.dumps([1, 1, 0, 0, ""]))
def test_fuzz_entry_body_bytes(data: bytes) -> None:
    targets.entry_body(data)  # the same oracle as `make fuzz`


@given(st.lists(CBOR_ITEM, min_size=5, max_size=12))
def test_fuzz_entry_body_shapes(items: list[object]) -> None:
    # well-formed CBOR of the right outer shape, wrong in every other way
    try:
        encodings = (cbor2.dumps(items, canonical=True), cbor2.dumps(items))
    except UnicodeEncodeError:
        assume(False)  # a lone surrogate has no CBOR (UTF-8) form: nothing to send
    for data in encodings:
        try:
            body = decode_body(data)
        except EntryError as e:
            assert str(e)
            continue
        assert encode_body(body) == data


@given(st.binary(max_size=260))
def test_fuzz_sync_frame_bytes(data: bytes) -> None:
    targets.sync_frames(data)  # the same oracle as `make fuzz`


@given(st.sampled_from(range(8)), st.binary(max_size=240))
def test_fuzz_sync_frame_typed(kind: int, rest: bytes) -> None:
    # a plausible first byte, so the fuzzer gets past the type check into each decoder
    for first in (kind, kind | 0x10, kind << 4):
        try:
            frame = decode(bytes([first & 0xFF]) + rest)
        except FrameError as e:
            assert str(e)
            continue
        assert decode(encode(frame)) == frame


PACKET_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats() | TEXT
    | st.binary(max_size=64),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=16,
)  # fmt: skip
PACKET_KEYS = st.sampled_from(
    ["from", "to", "id", "channel", "decoded", "encrypted", "rxTime", "hopStart", "hopLimit",
     "rxSnr", "rxRssi", "pkiEncrypted", "publicKey", "portnum", "payload", "text", "user"]
)  # fmt: skip


@given(
    st.dictionaries(PACKET_KEYS, PACKET_VALUE, max_size=10),
    st.dictionaries(PACKET_KEYS, PACKET_VALUE, max_size=6),
    st.sampled_from(["TEXT_MESSAGE_APP", "NODEINFO_APP", "POSITION_APP", 1, 4, 3, 256, -1]),
)
def test_fuzz_meshtastic_packet(
    packet: dict[str, object], decoded: dict[str, object], port: object
) -> None:
    if decoded:
        packet = {**packet, "decoded": {**decoded, "portnum": port}}
    try:
        event = decode_packet(packet)
    except PacketDropped as e:
        assert str(e)
        return
    text = getattr(event, "text", None)
    if text is not None:
        assert isinstance(text, str)


MQTT = make_decoder([])
TOPIC = "msh/US/2/e/LongFast/!abcdef01"


@given(st.binary(max_size=400))
def test_fuzz_meshtastic_envelope_bytes(payload: bytes) -> None:
    targets.mesh_envelope(payload)  # the same oracle as `make fuzz`


@given(
    st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1),
    st.integers(0, 600), st.binary(max_size=240), st.booleans(), st.text(max_size=20),
)  # fmt: skip
def test_fuzz_meshtastic_envelope_fields(
    from_num: int, to_num: int, packet_id: int, port: int, payload: bytes, plain: bool, channel: str
) -> None:
    env = encode_envelope(
        channel=channel or "LongFast", gateway="!abcdef01", from_num=from_num, to_num=to_num,
        packet_id=packet_id, portnum=port, payload=payload,
        key=None if plain else MQTT.keys[-1].key,
    )  # fmt: skip
    try:
        MQTT.decode(TOPIC, env, 0.0)
    except MeshMqttError as e:
        assert str(e)


COMMAND_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False), TEXT,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)  # fmt: skip


@given(st.dictionaries(st.sampled_from(["text", "to", "channel", "want_ack", "x"]), COMMAND_VALUE))
def test_fuzz_mqtt_command_fields(data: dict[str, object]) -> None:
    payload = json.dumps(data).encode()
    try:
        cmd = parse_command(payload)
    except InputError as e:
        assert str(e)
        return
    assert set(data) >= {"text", "to", "channel"}  # nothing filled in with a default
    assert text_problem(cmd.text, multiline=True) is None
    assert unicodedata.is_normalized("NFC", cmd.text)
    assert 0 < len(cmd.text.encode()) <= MAX_TEXT and 0 <= cmd.channel <= 7


@given(st.binary(max_size=1200))
@example(b'{"text": "\\ud800", "to": null, "channel": 0}')
def test_fuzz_mqtt_command_bytes(payload: bytes) -> None:
    targets.mqtt_command(payload)  # the same oracle as `make fuzz`


@given(TEXT, st.integers(16, 240))
def test_fuzz_fragment_codec(text: str, limit: int) -> None:
    try:
        parts = split_text(text, limit)
    except RadioInputError as e:
        assert str(e)
        return
    assert all(len(p.encode()) <= limit for p in parts)
    if len(parts) == 1:
        assert parts[0] == text
        return
    tags = [parse_tag(p) for p in parts]
    assert [t[:2] for t in tags if t] == [(k, len(parts)) for k in range(1, len(parts) + 1)]
    assert "".join(t[2] for t in tags if t).replace(" ", "") == text.replace(" ", "")
