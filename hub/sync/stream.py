"""Entries as a byte stream on the air: the compact air form, packing answers into full
frames, and putting an entry split across frames back together. Sans-IO.

A stored entry is ``0x82 bstr(body) bstr(signature)`` (docs/log-format.md); its framing is
canonical (minimal lengths, a 64-byte signature), so on the air it travels as
``varint(len(body)) body signature`` and the receiver rebuilds the exact stored bytes
(:func:`from_air`), as it rebuilds the shadow header. Consecutive entries go back to back
and are cut into frames wherever a frame is full: no frame is sent half empty, and an
entry larger than a frame is just a longer run of the stream.

The receiver keeps, per feed, at most one entry it has the first bytes of
(:class:`Partial`); a frame that continues it at exactly the byte it ends with completes
it. Nothing here is verified: whole entries go to the store, which verifies before it
stores, and bytes that do not fit are dropped (a lost frame costs the entries it touched).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from hub.sync import frames as fr


def to_air(raw: bytes) -> bytes:
    """A stored entry in its air form; raises ``ValueError`` if it is not canonically framed."""
    if len(raw) < 2 or raw[0] != 0x82:
        raise ValueError("not an entry")
    head = raw[1]
    if 0x40 <= head < 0x58:
        n, pos = head - 0x40, 2
    elif head == 0x58:
        n, pos = raw[2], 3
    elif head == 0x59:
        n, pos = struct.unpack_from(">H", raw, 2)[0], 4
    else:
        raise ValueError("entry body is not a byte string")
    end = pos + n
    if not n or len(raw) != end + 2 + fr.SIG or raw[end : end + 2] != b"\x58\x40":
        raise ValueError("entry is not framed as stored entries are")
    out = bytearray()
    fr.put_uint(out, n)
    return bytes(out) + raw[pos:end] + raw[end + 2 :]


def from_air(air: bytes) -> bytes:
    """The stored bytes of an entry in its air form; raises :class:`fr.FrameError`."""
    size = fr.air_length(air, 0)
    if size != len(air):
        raise fr.FrameError("malformed", "not one whole entry")
    body, sig = air[len(air) - fr.SIG - _body_len(air) : -fr.SIG], air[-fr.SIG :]
    n = len(body)
    if n < 24:
        head = bytes([0x40 | n])
    elif n < 0x100:
        head = bytes([0x58, n])
    else:
        head = b"\x59" + struct.pack(">H", n)
    return b"\x82" + head + body + b"\x58\x40" + sig


def _body_len(air: bytes) -> int:
    n = shift = 0
    for b in air[:3]:
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    return n


def pack(
    fid: bytes, start: int, raws: list[bytes], max_frames: int, skip: int = 0, upto: int = 0
) -> tuple[list[fr.Entries], int]:
    """Entries from ``start`` as full frames of one stream, and how many entries they carry
    whole. At most ``max_frames`` frames, ending on an entry boundary, unless the first entry
    alone needs more (then all of its frames). A repair leaves out the bytes the asker holds:
    the first ``skip`` bytes of the first entry and, when ``upto`` is not 0, the last
    entry's from byte ``upto`` on."""
    airs = [to_air(r) for r in raws]
    count = len(airs)
    while True:
        frames = _cut(fid, start, airs[:count], skip, upto if count == len(airs) else 0)
        if len(frames) <= max_frames or count == 1:
            return frames, count
        count -= 1


def _cut(fid: bytes, start: int, airs: list[bytes], skip: int, upto: int) -> list[fr.Entries]:
    frames: list[fr.Entries] = []
    last = len(airs) - 1
    i, off = 0, min(skip, len(airs[0]) - 1) if airs else 0
    while i <= last and not (upto and i == last and off >= upto):
        first, first_off = i, off
        length = len(airs[i]) if off else 0
        room = fr.MAX_FRAME - 1 - fr.FEED_ID - fr.uint_len(start + i) - fr.uint_len(off)
        room -= fr.uint_len(length) if off else 0
        chunk = bytearray()
        while room > 0 and i <= last:
            stop = upto if upto and i == last else len(airs[i])
            take = airs[i][off : min(off + room, stop)]
            chunk += take
            room -= len(take)
            off += len(take)
            if off == len(airs[i]):
                i, off = i + 1, 0
            elif off == stop:
                break
        frames.append(fr.Entries(fid, start + first, first_off, length, bytes(chunk)))
    return frames


def whole(fid: bytes, start: int, raws: list[bytes]) -> fr.Entries:
    """Whole entries in one frame (they must fit): what a push or a test sends."""
    frames, n = pack(fid, start, raws, 1)
    if len(frames) != 1 or n != len(raws):
        raise ValueError("these entries do not fit one frame")
    return frames[0]


@dataclass(slots=True)
class Partial:
    """The first bytes (air form) of entry ``index`` of a feed, heard at the end of a frame."""

    index: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Tail:
    """The last bytes (air form) of entry ``index``, from byte ``offset`` to its end: heard
    at the start of a frame whose entry head this hub lacks (the frame before was lost)."""

    index: int
    offset: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Heard:
    """What one entries frame gives a hub: whole entries (stored form) from ``start``, the
    partial entry to keep now, and the positions it touched."""

    start: int
    raws: list[bytes]
    partial: Partial | None
    end: int  # one past the last position the frame carries bytes of
    broken: int  # entries dropped: a continuation without its head, or a bad air form
    orphan: Tail | None = None  # a continuation without its head, kept for a repair


def take(e: fr.Entries, partial: Partial | None) -> Heard:
    """Read frame ``e`` against the ``partial`` entry a hub holds the head of."""
    p = fr.pieces(e)
    raws: list[bytes] = []
    start, broken, orphan = p.first, 0, None
    if e.offset:
        if partial is not None and partial.index == e.index and len(partial.data) == e.offset:
            data = partial.data + p.lead
            if len(data) == e.length:
                try:
                    raws.append(from_air(data))
                    start = e.index
                except fr.FrameError:
                    broken += 1
                partial = None
            else:
                partial = Partial(e.index, data)
        elif e.offset + len(p.lead) == e.length:
            orphan = Tail(e.index, e.offset, p.lead)
        else:
            broken += 1
    for air in p.entries:
        raws.append(from_air(air))
    tail_at = p.first + len(p.entries)
    if p.tail:
        partial = Partial(tail_at, p.tail)
    end = tail_at + (1 if p.tail else 0)
    if e.offset and not p.entries and not p.tail:
        end = e.index + 1
    return Heard(start, raws, partial, end, broken, orphan)
