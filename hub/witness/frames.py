"""The witness frame: one cosignature in one packet, on private application port 301.

``20`` | feed id (4: the first bytes of the cosigned hub's feed key) | size (varint) |
root (32) | witness key ID (4) | timestamp (8, big-endian u64) | Ed25519 signature (64).
At most 118 bytes. Decoding raises :class:`FrameError` with a short ``reason`` that the
caller counts (see docs/witness.md).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from hub.sync import FrameError  # the same error as sync frames: a counter name and detail

__all__ = ["COSIGNATURE", "MAX_FRAME", "PORT", "CosigFrame", "FrameError", "decode", "encode"]

PORT = 301  # Meshtastic private application port of witness frames
COSIGNATURE = 0x20
FEED_ID = 4
MAX_FRAME = 1 + FEED_ID + 5 + 32 + 4 + 8 + 64


@dataclass(frozen=True, slots=True)
class CosigFrame:
    feed_id: bytes
    size: int
    root: bytes
    key_id: bytes
    timestamp: int
    signature: bytes


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def encode(f: CosigFrame) -> bytes:
    if not 0 <= f.size < 2**32 or not 0 <= f.timestamp < 2**63:
        raise ValueError("size or timestamp out of range")
    return (
        bytes([COSIGNATURE])
        + f.feed_id
        + _varint(f.size)
        + f.root
        + f.key_id
        + struct.pack(">Q", f.timestamp)
        + f.signature
    )


def decode(data: bytes) -> CosigFrame:
    if not data:
        raise FrameError("empty")
    if len(data) > MAX_FRAME:
        raise FrameError("oversized", f"{len(data)} bytes")
    if data[0] != COSIGNATURE:
        raise FrameError("unknown-type", f"type {data[0]:#04x}")
    pos, size, shift = 1 + FEED_ID, 0, 0
    while True:
        if pos >= len(data):
            raise FrameError("truncated")
        b = data[pos]
        pos += 1
        size |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            if b == 0 and shift > 7:
                raise FrameError("malformed", "padded varint")
            break
        if shift >= 35:
            raise FrameError("malformed", "over-long varint")
    if size >= 2**32:
        raise FrameError("malformed", "size over 2^32")
    rest = data[pos:]
    if len(rest) < 32 + 4 + 8 + 64:
        raise FrameError("truncated")
    if len(rest) > 32 + 4 + 8 + 64:
        raise FrameError("malformed", "bytes after the signature")
    (ts,) = struct.unpack(">Q", rest[36:44])
    if ts >= 2**63:
        raise FrameError("malformed", "timestamp over 2^63-1")
    return CosigFrame(data[1 : 1 + FEED_ID], size, rest[:32], rest[32:36], ts, rest[44:])
