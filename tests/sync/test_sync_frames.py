"""Sync frames: the vectors in docs/sync.md, round trips, and hostile bytes."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from crypto.entrysig import sign_entry
from crypto.keys import SigningKey
from hub.sync import frames as fr
from hub.sync.stream import from_air, pack, take, to_air

DOC = Path(__file__).resolve().parents[2] / "docs" / "sync.md"
A = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")


def _vectors() -> dict[str, bytes]:
    block = re.search(r"```sync-vectors\n(.*?)```", DOC.read_text(), re.S)
    assert block, "docs/sync.md has no sync-vectors block"
    return {n: bytes.fromhex(h) for n, h in (line.split() for line in block.group(1).splitlines())}


def test_the_documented_vectors_decode_as_described_and_re_encode() -> None:
    v = _vectors()
    names = {"summary", "request", "repair", "entries", "continued", "split", "announce"}
    names.add("checkpoint")
    assert set(v) == names
    s = fr.decode(v["summary"])
    assert isinstance(s, fr.Summary) and s.hub == A[:4]
    assert [(f.feed.hex(), f.size, f.root.hex()) for f in s.feeds] == [
        ("d75a9801", 812, "1f2e3d4c"),
        ("3d4017c3", 40, "a0b1c2d3"),
    ]
    assert fr.decode(v["request"]) == fr.Request(bytes.fromhex("3d4017c3"), 40, 32)
    assert fr.decode(v["repair"]) == fr.Request(bytes.fromhex("3d4017c3"), 40, 3, 96, 30)
    e = fr.decode(v["entries"])
    assert isinstance(e, fr.Entries) and (e.index, e.offset) == (300, 0)
    p = fr.pieces(e)
    assert p.first == 300 and not p.lead and not p.tail
    stored = [from_air(x) for x in p.entries]
    assert stored == [
        bytes.fromhex("82450102030405") + b"\x58\x40" + b"\x11" * 64,
        bytes.fromhex("8243aabbcc") + b"\x58\x40" + b"\x22" * 64,
    ]
    assert [to_air(x) for x in stored] == list(p.entries)
    assert fr.decode(v["continued"]) == fr.Entries(A[:4], 7, 200, 500, b"\x33" * 8)
    sp = fr.decode(v["split"])
    assert isinstance(sp, fr.Entries) and (sp.index, sp.offset, sp.length) == (7, 65, 75)
    pieces = fr.pieces(sp)
    assert pieces.lead == b"\x44" * 10 and pieces.first == 8
    assert pieces.entries == (b"\x05" + b"\x55" * 5 + b"\x66" * 64,)
    assert pieces.tail == bytes.fromhex("0377777777")
    assert fr.decode(v["announce"]) == fr.Announce(A, "Corner Shop")
    assert fr.decode(v["checkpoint"]) == fr.SignedCheckpoint(
        A[:4], 812, bytes(range(32)), bytes(range(64, 128))
    )
    for raw in v.values():
        assert fr.encode(fr.decode(raw)) == raw


def _entries(n: int, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    key = SigningKey(bytes(range(32)))
    sizes = [1, 23, 24, 255, 256, 700, 1500, 40, 90, 130]
    return [sign_entry(key, i, bytes(32), rng.randbytes(rng.choice(sizes))) for i in range(n)]


def test_the_air_form_rebuilds_the_exact_stored_bytes() -> None:
    for raw in _entries(40):
        air = to_air(raw)
        assert len(air) < len(raw) and from_air(air) == raw
    with pytest.raises(ValueError):
        to_air(b"\x82\x41\x00\x41\x00")  # a 1-byte signature: not how entries are stored
    with pytest.raises(fr.FrameError):
        from_air(b"\x05abc")  # shorter than its length says


def test_a_stream_fills_every_frame_but_the_last_and_reads_back() -> None:
    raws = _entries(30)
    frames, n = pack(A[:4], 9, raws, 10**6)
    assert n == len(raws)
    sizes = [len(fr.encode(f)) for f in frames]
    assert all(s == fr.MAX_FRAME for s in sizes[:-1]) and sizes[-1] <= fr.MAX_FRAME
    partial, got = None, []
    for f in frames:
        heard = take(fr.decode(fr.encode(f)), partial)
        partial = heard.partial
        assert not heard.raws or heard.start == 9 + len(got)
        got += heard.raws
    assert got == raws and partial is None


def test_an_answer_ends_on_an_entry_boundary_within_its_frames() -> None:
    raws = _entries(30)
    frames, n = pack(A[:4], 0, raws, 3)
    assert len(frames) <= 3 and 0 < n < len(raws)
    assert not fr.pieces(frames[-1]).tail
    # a first entry larger than the frames allowed still goes whole
    big = sign_entry(SigningKey(bytes(32)), 0, bytes(32), b"x" * 2000)
    frames, n = pack(A[:4], 0, [big], 3)
    assert n == 1 and len(frames) == 10


@pytest.mark.parametrize("seed", range(6))
def test_split_entries_survive_loss_reorder_and_garbage(seed: int) -> None:
    """Frames lost, repeated, out of order, or forged continuations: every entry handed on
    is byte for byte one of the originals at its position, or a well-framed forgery that
    the store will reject by its signature; nothing else comes out."""
    rng = random.Random(seed)
    raws = _entries(25, seed)
    frames, _ = pack(A[:4], 0, raws, 10**6)
    heard: list[fr.Entries] = []
    for f in frames:
        if rng.random() < 0.2:
            continue  # lost
        heard.append(f)
        if rng.random() < 0.2:
            heard.append(f)  # heard twice (a relay)
        if rng.random() < 0.3:  # a forged continuation of some entry
            heard.append(fr.Entries(A[:4], f.index, 1, 200, rng.randbytes(rng.randrange(1, 150))))
    for i in range(0, len(heard) - 1, 5):
        heard[i], heard[i + 1] = heard[i + 1], heard[i]  # out of order
    partial, out = None, {}
    for f in heard:
        try:
            h = take(fr.decode(fr.encode(f)), partial)
        except fr.FrameError:
            continue
        partial = h.partial
        for i, raw in enumerate(h.raws, h.start):
            out.setdefault(i, []).append(raw)
    assert sum(1 for i, got in out.items() if raws[i] in got) >= len(raws) // 3
    for i, got in out.items():
        for raw in got:
            if raw != raws[i]:
                assert raw[0] == 0x82 and to_air(raw)  # well framed: the store checks it


def test_a_continuation_is_taken_only_at_the_byte_its_head_ends() -> None:
    raws = _entries(6, 3)
    frames, _ = pack(A[:4], 0, raws, 10**6)
    mid = next(f for f in frames if f.offset)
    head = take(frames[frames.index(mid) - 1], None).partial
    assert head is not None and head.index == mid.index
    wrong = fr.Entries(A[:4], mid.index, mid.offset + 1, mid.length, mid.data[1:])
    h = take(wrong, head)
    assert not h.raws or h.start > mid.index  # not joined to a head it does not continue
    # kept apart as a tail for a repair (the engine joins it only to a head that ends where
    # it begins; a join that is not an entry is dropped, and the store verifies the rest)
    assert h.orphan is not None and (h.orphan.index, h.orphan.offset) == (mid.index, mid.offset + 1)
    h = take(mid, head)
    assert h.raws and h.start == mid.index and h.raws[0] == raws[mid.index]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\x01" * 220, "oversized"),
        (b"\x07abc", "unknown-type"),
        (b"\x04" + A[:4] + b"\x00\x05\x04ab", "unknown-type"),  # the old PART frame
        (b"\x02\x00\x00", "truncated"),
        (b"\x02" + A[:4] + b"\x80\x00\x01", "malformed"),  # padded varint
        (b"\x02" + A[:4] + b"\xff\xff\xff\xff\x7f\x01", "malformed"),  # 2**35 - 1
        (b"\x02" + A[:4] + b"\x00\x00", "absurd"),  # count 0
        (b"\x02" + A[:4] + b"\x00\x01\x00", "malformed"),  # bytes after
        (b"\x01" + A[:4], "malformed"),  # a summary of nothing
        (b"\x01" + A[:4] + (A[:4] + b"\x01" + b"rrrr") * 2, "malformed"),  # a feed twice
        (b"\x03" + A[:4] + b"\x00", "truncated"),  # no offset
        (b"\x03" + A[:4] + b"\x00\x00", "malformed"),  # no bytes of any entry
        (b"\x03" + A[:4] + b"\x00\x00\x00" + bytes(70), "malformed"),  # a 0-byte body
        (b"\x03" + A[:4] + b"\x00\x00\x85\x00" + bytes(70), "malformed"),  # padded length
        (b"\x03" + A[:4] + b"\x00\x00\x80\x80\x04" + bytes(9), "malformed"),  # 64 KiB body
        (b"\x03" + A[:4] + b"\x00\x00\x80\x80\x80\x01", "malformed"),  # a length too long
        (b"\x03" + A[:4] + b"\x00\x05\x04ab", "absurd"),  # offset beyond the entry
        (b"\x03" + A[:4] + b"\x00\x05\x80\x80\x08ab", "absurd"),  # a 128 KiB entry
        (b"\x03" + A[:4] + b"\xff\xff\xff\xff\x0f\x00\x05" + bytes(69), "absurd"),  # 2**32
        (b"\x05" + A + b"\xff\xfe", "malformed"),
        (b"\x05" + A + b"a\nb", "malformed"),
        (b"\x05" + A, "malformed"),
    ],
)
def test_hostile_bytes_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(fr.FrameError) as e:
        fr.decode(data)
    assert e.value.reason == reason


def test_encode_refuses_frames_that_break_the_limits() -> None:
    with pytest.raises(ValueError):
        fr.encode(fr.Request(A[:4], 0, 65))
    with pytest.raises(ValueError):
        fr.encode(fr.Announce(A, "x" * 41))
    with pytest.raises(ValueError):
        fr.encode(fr.Entries(A[:4], 0, 0, 0, b"\x05" + b"x" * 300))  # oversized
    with pytest.raises(ValueError):
        fr.encode(fr.Entries(A[:4], 0, 0, 7, b"\x05" + b"x" * 69))  # a length, no offset
    with pytest.raises(ValueError):
        fr.encode(fr.Request(A[:3], 0, 1))
