"""Stream framing: frames split anywhere, garbage between frames, impossible lengths."""

from __future__ import annotations

import pytest

from radio.sim import Frame, FrameDecoder, FramingError, encode_frame


def test_round_trip_byte_by_byte() -> None:
    data = encode_frame(b"abc") + encode_frame(b"") + encode_frame(b"x" * 512)
    dec = FrameDecoder()
    out = [item for b in data for item in dec.feed(bytes([b]))]
    assert out == [Frame(b"abc"), Frame(b""), Frame(b"x" * 512)]


def test_garbage_and_wakeup_bytes_are_skipped() -> None:
    dec = FrameDecoder()
    data = bytes([0xC3] * 32) + b"\x94\x94log line\n" + encode_frame(b"hi") + b"\x00\xff"
    assert dec.feed(data) == [Frame(b"hi")]
    assert dec.skipped > 32


def test_oversize_length_is_reported_and_decoder_resyncs() -> None:
    dec = FrameDecoder()
    out = dec.feed(b"\x94\xc3\xff\xff" + b"junk" + encode_frame(b"ok"))
    assert out == [FramingError(0xFFFF), Frame(b"ok")]


def test_encode_refuses_oversize() -> None:
    with pytest.raises(ValueError):
        encode_frame(b"x" * 513)
