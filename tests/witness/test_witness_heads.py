"""Signed heads and rollbacks, sans-IO: what two heads of one hub prove, and what they do
not (a replayed old head, a forged one, one signed by another key for the hub's feed)."""

from __future__ import annotations

import pytest

from crypto.errors import BadSignature
from crypto.head import proves_rollback
from crypto.keys import SigningKey
from crypto.merkle import leaf_hash, root_from_leaf_hashes
from crypto.note import Verifier, open_note
from hub.witness.frames import MAX_HEAD, FrameError, HeadFrame, decode_head, encode_head
from hub.witness.heads import Head, head_text, judge, open_head, sign_head

KEY = SigningKey(bytes(range(32)))
FEED = KEY.public.hex()
ORIGIN = f"canopy/kiosk/{FEED[:16]}"
LEAVES = [leaf_hash(bytes([i])) for i in range(8)]
T = 1_800_000_000


def head(size: int, ts: int, key: SigningKey = KEY) -> Head:
    return sign_head(key, ORIGIN, size, root_from_leaf_hashes(LEAVES[:size]), ts)


def heard(h: Head) -> Head:
    """Through the wire and back, checked against the feed's key."""
    return open_head(decode_head(encode_head(h.frame())), FEED, ORIGIN)


def test_a_head_is_a_signed_note_anyone_can_check_with_the_hubs_verifier_key() -> None:
    h = head(5, T)
    assert h.text() == head_text(ORIGIN, 5, h.root, T)
    assert h.text().startswith(f"canopy-head/v1\ntime {T}\n{ORIGIN}\n5\n")
    note = open_note(h.note(), [Verifier(ORIGIN, KEY.public)])
    assert note.text == h.text()
    assert heard(h) == h


def test_a_smaller_head_signed_later_is_a_rollback_and_an_older_one_only_a_replay() -> None:
    held = heard(head(6, T))
    assert judge(None, held) == "keep"
    assert judge(held, heard(head(7, T + 5))) == "keep"  # grew
    assert judge(held, heard(head(6, T + 5))) == "known"  # the same log, later
    assert judge(held, heard(head(6, T - 5))) == "keep"  # the same, signed earlier
    # replayed: a smaller head signed no later than the held one proves nothing
    assert judge(held, heard(head(4, T - 100))) == "old"
    assert judge(held, heard(head(4, T))) == "old"
    # the hub presented a smaller log as current after having signed the larger one
    assert judge(held, heard(head(4, T + 1))) == "rollback"


def test_another_root_at_the_held_size_is_a_split_view() -> None:
    held = heard(head(6, T))
    other = sign_head(KEY, ORIGIN, 6, bytes(32), T + 1)
    assert judge(held, heard(other)) == "split-view"


def test_a_head_not_signed_by_the_feeds_key_is_refused() -> None:
    """A forged head, or one signed by someone else claiming the hub's feed (its own, for
    the hub that hears it): it can make neither a rollback nor anything else."""
    mallory = SigningKey(bytes(32))
    forged = head(2, T + 10, key=mallory)
    with pytest.raises(BadSignature):
        open_head(decode_head(encode_head(forged.frame())), FEED, ORIGIN)
    tampered = HeadFrame(bytes.fromhex(FEED)[:4], 2, head(6, T).root, T + 10, head(6, T).signature)
    with pytest.raises(BadSignature):
        open_head(tampered, FEED, ORIGIN)  # a real signature moved to a smaller size
    with pytest.raises(BadSignature):
        open_head(head(6, T).frame(), FEED, "canopy/other/0000")  # another origin


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\x20" + bytes(100), "unknown-type"),
        (b"\x21\x00\x00", "truncated"),
        (b"\x21" + bytes(4) + b"\x80\x00" + bytes(104), "malformed"),  # padded varint
        (b"\x21" + bytes(4) + b"\x03" + bytes(105), "malformed"),  # a byte too many
        (b"\x21" + bytes(4) + b"\x03" + bytes(100), "truncated"),
        (b"\x21" * (MAX_HEAD + 1), "oversized"),
        (b"\x21" + bytes(4) + b"\x03" + bytes(32) + b"\xff" * 8 + bytes(64), "malformed"),
    ],
)
def test_broken_head_frames_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(FrameError) as e:
        decode_head(data)
    assert e.value.reason == reason


def test_the_head_frame_fits_one_packet_and_matches_the_documented_vector() -> None:
    f = HeadFrame(b"\xd7\x5a\x98\x01", 812, bytes(range(32)), 1767233100, bytes(range(64, 128)))
    raw = encode_head(f)
    assert raw.hex() == (
        "21d75a9801ac06000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
        "000000006955d64c404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
        "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
    )
    assert decode_head(raw) == f
    big = HeadFrame(bytes(4), 2**32 - 1, bytes(32), 2**40, bytes(64))
    assert len(encode_head(big)) == MAX_HEAD == 114


def test_a_rollback_entry_proves_itself_to_anyone_with_the_hubs_key() -> None:
    """What every hub checks before it warns of a peer's `rollback` entry."""
    big, small = head(6, T), head(4, T + 1)
    assert proves_rollback(KEY.public, big.note(), small.note())
    assert not proves_rollback(KEY.public, small.note(), big.note())  # grew: no rollback
    assert not proves_rollback(KEY.public, big.note(), head(4, T).note())  # not later
    assert not proves_rollback(KEY.public, big.note(), big.note())
    mallory = SigningKey(bytes(32))
    assert not proves_rollback(KEY.public, big.note(), head(4, T + 1, key=mallory).note())
    assert not proves_rollback(mallory.public, big.note(), small.note())
    forged = small.note().replace("\n4\n", "\n3\n")  # the text changed under its signature
    assert not proves_rollback(KEY.public, big.note(), forged)
    assert not proves_rollback(KEY.public, big.note(), "not a note")
    other = sign_head(KEY, "canopy/other/0000", 4, bytes(32), T + 1)  # another origin
    assert not proves_rollback(KEY.public, big.note(), other.note())
