"""The witness frames, one packet each, on private application port 301.

- ``20`` COSIGNATURE | feed id (4: the first bytes of the cosigned hub's feed key) |
  size (varint) | root (32) | witness key ID (4) | timestamp (8, big-endian u64) |
  Ed25519 signature (64). At most 118 bytes.
- ``21`` HEAD | feed id (4) | size (varint) | root (32) | timestamp (8) | signature (64):
  the hub's own log key says "at this time my log is this size and root"
  (:mod:`hub.witness.heads`). At most 114 bytes.

Decoding raises :class:`FrameError` with a short ``reason`` that the caller counts (see
docs/witness.md).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from hub.sync import FrameError, Reader, put_uint  # sync frames' integers and errors

__all__ = [
    "COSIGNATURE",
    "HEAD",
    "MAX_FRAME",
    "PORT",
    "CosigFrame",
    "FrameError",
    "HeadFrame",
    "decode",
    "decode_head",
    "encode",
    "encode_head",
]

PORT = 301  # Meshtastic private application port of witness frames
COSIGNATURE = 0x20
HEAD = 0x21
FEED_ID = 4
MAX_FRAME = 1 + FEED_ID + 5 + 32 + 4 + 8 + 64
MAX_HEAD = 1 + FEED_ID + 5 + 32 + 8 + 64


@dataclass(frozen=True, slots=True)
class CosigFrame:
    feed_id: bytes
    size: int
    root: bytes
    key_id: bytes
    timestamp: int
    signature: bytes


def encode(f: CosigFrame) -> bytes:
    if not 0 <= f.timestamp < 2**63:
        raise ValueError("timestamp out of range")
    out = bytearray([COSIGNATURE]) + f.feed_id
    put_uint(out, f.size)  # raises ValueError past 2^32
    return bytes(out + f.root + f.key_id + struct.pack(">Q", f.timestamp) + f.signature)


def decode(data: bytes) -> CosigFrame:
    if not data:
        raise FrameError("empty")
    if len(data) > MAX_FRAME:
        raise FrameError("oversized", f"{len(data)} bytes")
    if data[0] != COSIGNATURE:
        raise FrameError("unknown-type", f"type {data[0]:#04x}")
    r = Reader(data)
    r.take(1, "type")
    feed_id = r.take(FEED_ID, "feed id")
    size = r.uint("size")
    rest = data[r.pos :]
    if len(rest) < 32 + 4 + 8 + 64:
        raise FrameError("truncated")
    if len(rest) > 32 + 4 + 8 + 64:
        raise FrameError("malformed", "bytes after the signature")
    (ts,) = struct.unpack(">Q", rest[36:44])
    if ts >= 2**63:
        raise FrameError("malformed", "timestamp over 2^63-1")
    return CosigFrame(feed_id, size, rest[:32], rest[32:36], ts, rest[44:])


@dataclass(frozen=True, slots=True)
class HeadFrame:
    feed_id: bytes
    size: int
    root: bytes
    timestamp: int
    signature: bytes


def encode_head(f: HeadFrame) -> bytes:
    if not 0 <= f.timestamp < 2**63:
        raise ValueError("timestamp out of range")
    out = bytearray([HEAD]) + f.feed_id
    put_uint(out, f.size)
    return bytes(out + f.root + struct.pack(">Q", f.timestamp) + f.signature)


def decode_head(data: bytes) -> HeadFrame:
    if not data:
        raise FrameError("empty")
    if len(data) > MAX_HEAD:
        raise FrameError("oversized", f"{len(data)} bytes")
    if data[0] != HEAD:
        raise FrameError("unknown-type", f"type {data[0]:#04x}")
    r = Reader(data)
    r.take(1, "type")
    feed_id = r.take(FEED_ID, "feed id")
    size = r.uint("size")
    rest = data[r.pos :]
    if len(rest) < 32 + 8 + 64:
        raise FrameError("truncated")
    if len(rest) > 32 + 8 + 64:
        raise FrameError("malformed", "bytes after the signature")
    (ts,) = struct.unpack(">Q", rest[32:40])
    if ts >= 2**63:
        raise FrameError("malformed", "timestamp over 2^63-1")
    return HeadFrame(feed_id, size, rest[:32], ts, rest[40:])
