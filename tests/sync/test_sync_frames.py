"""Sync frames: the vectors in docs/sync.md, round trips, and hostile bytes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hub.sync import frames as fr

DOC = Path(__file__).resolve().parents[2] / "docs" / "sync.md"
A = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")


def _vectors() -> dict[str, bytes]:
    block = re.search(r"```sync-vectors\n(.*?)```", DOC.read_text(), re.S)
    assert block, "docs/sync.md has no sync-vectors block"
    return {n: bytes.fromhex(h) for n, h in (line.split() for line in block.group(1).splitlines())}


def test_the_documented_vectors_decode_as_described_and_re_encode() -> None:
    v = _vectors()
    assert set(v) == {"summary", "request", "entries", "part", "announce", "checkpoint"}
    s = fr.decode(v["summary"])
    assert isinstance(s, fr.Summary) and s.hub == A[:4]
    assert [(f.feed.hex(), f.size, f.root.hex()) for f in s.feeds] == [
        ("d75a9801", 812, "1f2e3d4c"),
        ("3d4017c3", 40, "a0b1c2d3"),
    ]
    assert fr.decode(v["request"]) == fr.Request(bytes.fromhex("3d4017c3"), 40, 32)
    e = fr.decode(v["entries"])
    assert isinstance(e, fr.Entries) and e.start == 300 and [len(x) for x in e.entries] == [73, 71]
    p = fr.decode(v["part"])
    assert p == fr.Part(A[:4], 7, 500, 200, b"\x33" * 8)
    assert fr.decode(v["announce"]) == fr.Announce(A, "Corner Shop")
    assert fr.decode(v["checkpoint"]) == fr.SignedCheckpoint(
        A[:4], 812, bytes(range(32)), bytes(range(64, 128))
    )
    for raw in v.values():
        assert fr.encode(fr.decode(raw)) == raw


def test_entries_pack_whole_and_large_ones_split_into_parts() -> None:
    raws = [bytes([i]) * 100 for i in range(5)]
    frame, n = fr.pack_entries(A[:4], 9, raws)
    assert frame is not None and n == 2 and len(fr.encode(frame)) <= fr.MAX_FRAME
    big = bytes(range(256)) * 4
    assert fr.pack_entries(A[:4], 0, [big]) == (None, 0)
    parts = fr.split_parts(A[:4], 3, big)
    assert b"".join(p.chunk for p in parts) == big
    assert all(len(fr.encode(p)) <= fr.MAX_FRAME for p in parts)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\x01" * 220, "oversized"),
        (b"\x07abc", "unknown-type"),
        (b"\x02\x00\x00", "truncated"),
        (b"\x02" + A[:4] + b"\x80\x00\x01", "malformed"),  # padded varint
        (b"\x02" + A[:4] + b"\xff\xff\xff\xff\x7f\x01", "malformed"),  # 2**35 - 1
        (b"\x02" + A[:4] + b"\x00\x00", "absurd"),  # count 0
        (b"\x02" + A[:4] + b"\x00\x01\x00", "malformed"),  # bytes after
        (b"\x01" + A[:4], "malformed"),  # a summary of nothing
        (b"\x01" + A[:4] + (A[:4] + b"\x01" + b"rrrr") * 2, "malformed"),  # a feed twice
        (b"\x03" + A[:4] + b"\x00", "malformed"),  # no entries
        (b"\x03" + A[:4] + b"\x00\x05ab", "truncated"),
        (b"\x04" + A[:4] + b"\x00\x05\x04ab", "absurd"),  # beyond the entry
        (b"\x04" + A[:4] + b"\x00\x80\x80\x08\x00a", "absurd"),  # a 128 KiB entry
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
        fr.encode(fr.Entries(A[:4], 0, (b"x" * 300,)))
    with pytest.raises(ValueError):
        fr.encode(fr.Request(A[:3], 0, 1))
