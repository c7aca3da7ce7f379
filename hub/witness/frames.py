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


def _header(out_type: int, feed_id: bytes, size: int, timestamp: int) -> bytearray:
    if not 0 <= timestamp < 2**63:
        raise ValueError("timestamp out of range")
    out = bytearray([out_type]) + feed_id
    put_uint(out, size)  # raises ValueError past 2^32
    return out


def _open(data: bytes, want: int, max_len: int, tail: int) -> tuple[bytes, int, bytes, int]:
    """The feed id, size, fixed part (root .. signature, TAIL bytes) and timestamp (the 8
    bytes before the signature) of a frame of type WANT, or the FrameError to count."""
    if not data:
        raise FrameError("empty")
    if len(data) > max_len:
        raise FrameError("oversized", f"{len(data)} bytes")
    if data[0] != want:
        raise FrameError("unknown-type", f"type {data[0]:#04x}")
    r = Reader(data)
    r.take(1, "type")
    feed_id = r.take(FEED_ID, "feed id")
    size = r.uint("size")
    rest = data[r.pos :]
    if len(rest) < tail:
        raise FrameError("truncated")
    if len(rest) > tail:
        raise FrameError("malformed", "bytes after the signature")
    (ts,) = struct.unpack(">Q", rest[-72:-64])
    if ts >= 2**63:
        raise FrameError("malformed", "timestamp over 2^63-1")
    return feed_id, size, rest, ts


def encode(f: CosigFrame) -> bytes:
    out = _header(COSIGNATURE, f.feed_id, f.size, f.timestamp)
    return bytes(out + f.root + f.key_id + struct.pack(">Q", f.timestamp) + f.signature)


def decode(data: bytes) -> CosigFrame:
    feed_id, size, rest, ts = _open(data, COSIGNATURE, MAX_FRAME, 32 + 4 + 8 + 64)
    return CosigFrame(feed_id, size, rest[:32], rest[32:36], ts, rest[44:])


@dataclass(frozen=True, slots=True)
class HeadFrame:
    feed_id: bytes
    size: int
    root: bytes
    timestamp: int
    signature: bytes


def encode_head(f: HeadFrame) -> bytes:
    out = _header(HEAD, f.feed_id, f.size, f.timestamp)
    return bytes(out + f.root + struct.pack(">Q", f.timestamp) + f.signature)


def decode_head(data: bytes) -> HeadFrame:
    feed_id, size, rest, ts = _open(data, HEAD, MAX_HEAD, 32 + 8 + 64)
    return HeadFrame(feed_id, size, rest[:32], ts, rest[40:])
