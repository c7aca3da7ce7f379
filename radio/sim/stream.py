"""Sans-IO framing of the Meshtastic stream API: 0x94 0xC3 len_hi len_lo + protobuf.

Bytes outside a frame are skipped (a real node prints its debug log there). A header
announcing more than 512 bytes is a framing error: the decoder reports it and hunts for the
next start byte. The caller decides when too many errors make a stream unrecoverable.
"""

from __future__ import annotations

from dataclasses import dataclass

START1 = 0x94
START2 = 0xC3
HEADER_LEN = 4
MAX_FRAME = 512


@dataclass(frozen=True, slots=True)
class Frame:
    """One complete frame's protobuf bytes."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class FramingError:
    """A header with an impossible length; `length` is what it announced."""

    length: int


def encode_frame(payload: bytes) -> bytes:
    """Wrap protobuf bytes in a stream frame; raises ValueError above 512 bytes."""
    if len(payload) > MAX_FRAME:
        raise ValueError(f"frame of {len(payload)} bytes exceeds {MAX_FRAME}")
    return bytes([START1, START2, len(payload) >> 8, len(payload) & 0xFF]) + payload


class FrameDecoder:
    """Feed bytes in, get frames and framing errors out."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.skipped = 0  # bytes dropped outside frames

    def feed(self, data: bytes) -> list[Frame | FramingError]:
        self._buf += data
        out: list[Frame | FramingError] = []
        buf = self._buf
        while buf:
            start = buf.find(START1)
            if start < 0:
                self.skipped += len(buf)
                buf.clear()
                break
            if start:
                self.skipped += start
                del buf[:start]
            if len(buf) < 2:
                break
            if buf[1] != START2:
                self.skipped += 1
                del buf[:1]
                continue
            if len(buf) < HEADER_LEN:
                break
            length = (buf[2] << 8) | buf[3]
            if length > MAX_FRAME:
                out.append(FramingError(length))
                del buf[:2]
                continue
            if len(buf) < HEADER_LEN + length:
                break
            out.append(Frame(bytes(buf[HEADER_LEN : HEADER_LEN + length])))
            del buf[: HEADER_LEN + length]
        return out
