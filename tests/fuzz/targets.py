"""One fuzz target per parser at a boundary of the hub: each takes the raw bytes a hostile
neighbour could send and checks what the property tests check (tests/test_fuzz_decoders.py):
the parser returns a value or refuses with its own error and a reason, never anything else,
and what it accepts keeps the hub's rules. A target raises only on a real bug.

Run coverage-guided by atheris (tests/fuzz/run.py, `make fuzz`), and over the checked-in
seed corpus (tests/fuzz_corpus/<target>/) in the suite (tests/test_fuzz_corpus.py)."""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "fuzz_corpus"
MAX_TEXT = 200  # hub.mesh.MAX_TEXT_BYTES


def _text(data: bytes) -> str:
    """Bytes as text the way a radio library hands it over (invalid UTF-8 replaced)."""
    return data.decode("utf-8", "replace")


def entry_body(data: bytes) -> None:
    from hub.log import decode_body, encode_body
    from hub.log.entry import EntryError

    try:
        body = decode_body(data)
    except EntryError as e:
        assert str(e)
        return
    assert encode_body(body) == data  # only the canonical encoding is accepted


def store_records(data: bytes) -> None:
    from hub.log.store import _scan

    offsets, good_end, reason = _scan(data)
    assert 0 <= good_end <= len(data)
    assert offsets == sorted(set(offsets)) and all(o < good_end for o in offsets)
    assert (reason is None) == (good_end == len(data)), (reason, good_end, len(data))
    again = _scan(data[:good_end])  # what start-up keeps after cutting a torn tail
    assert again == (offsets, good_end, None)


def stream_frames(data: bytes) -> None:
    from meshtastic.protobuf import mesh_pb2

    from radio.sim import Frame, FrameDecoder, encode_frame

    whole = FrameDecoder().feed(data)
    split = FrameDecoder()
    cut = data[0] % (len(data) + 1) if data else 0
    assert split.feed(data[:cut]) + split.feed(data[cut:]) == whole  # chunking is invisible
    for item in whole:
        if isinstance(item, Frame):
            assert encode_frame(item.payload)[4:] == item.payload
            try:
                mesh_pb2.ToRadio.FromString(item.payload)
            except Exception as e:  # protobuf's DecodeError: a frame the radio drops
                assert type(e).__name__ == "DecodeError", e


_DESK: list[Any] = []


def _desk() -> Any:
    if len(_DESK) > 1 and _DESK[1] > 2000:  # a fresh desk now and then: state stays small
        _DESK[0].close()
        _DESK.clear()
    if not _DESK:
        sys.path[:0] = [str(HERE.parent), str(HERE.parent / "stewards")]
        from steward_helpers import Desk, Radio

        desk = Desk()
        radios = [Radio(0x11), Radio(0x22), Radio(0x66)]
        desk.enrol(radios[0], "ana")
        desk.enrol(radios[1], "bo", "coordinator")
        _DESK[:] = [desk, 0, radios]
    _DESK[1] += 1
    return _DESK


def command_language(data: bytes) -> None:
    from hub.log import text_problem
    from radio.desk import Broadcast, Refusal, Reply

    desk, _, radios = _desk()
    who, how = (data[0] % 3, data[1] % 3) if len(data) > 1 else (0, 0)
    text = _text(data[2:])
    radio = radios[who]
    msg = radio.dm(text) if how == 0 else radio.dm(text, pki=False) if how == 1 else (
        radio.channel(text)
    )  # fmt: skip
    desk.clock.advance(7)
    before = len(desk.entries())
    for action in desk.send(msg) + desk.tick():
        if isinstance(action, Reply | Broadcast):
            assert action.parts
            assert all(0 < len(p.encode()) <= MAX_TEXT for p in action.parts)
        elif isinstance(action, Refusal):
            assert action.reason
    for body in desk.entries()[before:]:
        for name, value in body.named_fields().items():
            if isinstance(value, str) and name in ("text", "note", "reason"):
                assert text_problem(value, multiline=name != "reason") is None, (name, value)
                assert unicodedata.is_normalized("NFC", value)


def fragment_codec(data: bytes) -> None:
    from radio.errors import RadioInputError
    from radio.fragment import parse_tag, split_text

    limit = 16 + (data[0] % 225 if data else 0)
    text = _text(data[1:])
    parse_tag(text)  # any text heard: a tag, or None
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
    assert all(t is not None for t in tags)
    assert [(t[0], t[1]) for t in tags if t] == [(k + 1, len(parts)) for k in range(len(parts))]


def mqtt_command(data: bytes) -> None:
    from hub.errors import InputError
    from hub.log import text_problem
    from hub.mqtt.commands import parse_command

    try:
        cmd = parse_command(data)
    except InputError as e:
        assert str(e)
        return
    fields = json.loads(data)
    assert set(fields) >= {"text", "to", "channel"}  # nothing filled in with a default
    assert text_problem(cmd.text, multiline=True) is None
    assert unicodedata.is_normalized("NFC", cmd.text)
    assert 0 < len(cmd.text.encode()) <= MAX_TEXT and 0 <= cmd.channel <= 7


_MESH: list[Any] = []
TOPIC = "msh/US/2/e/LongFast/!abcdef01"


def mesh_envelope(data: bytes) -> None:
    from radio.mqttcodec import MeshMqttError, make_decoder

    if not _MESH:
        _MESH.append(make_decoder([]))
    try:
        _MESH[0].decode(TOPIC, data, 0.0)
    except MeshMqttError as e:
        assert str(e)


def sync_frames(data: bytes) -> None:
    from hub.sync.frames import FrameError, decode, encode

    try:
        frame = decode(data)
    except FrameError as e:
        assert str(e)
        return
    assert decode(encode(frame)) == frame


TARGETS: dict[str, Callable[[bytes], None]] = {
    f.__name__: f
    for f in (
        entry_body,
        store_records,
        stream_frames,
        command_language,
        fragment_codec,
        mqtt_command,
        mesh_envelope,
        sync_frames,
    )
}
