"""The witness's sans-IO core, its frame and the cosignature format: every hostile input
is dropped with its reason counted, nothing is kept from it; conflicts are reported."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest

from crypto.cosignature import (
    Cosigner,
    cosign,
    cosigner_key_id,
    signature_line,
    signed_message,
    verify_cosignatures,
)
from crypto.errors import BadSignature, MalformedData
from crypto.keys import SigningKey
from crypto.merkle import leaf_hash, root_from_leaf_hashes
from crypto.note import Checkpoint, sign_note
from hub.witness.core import (
    RATE,
    SKEW,
    Conflict,
    Heard,
    Known,
    WitnessCore,
    cosign_decision,
    key_changes,
)
from hub.witness.frames import MAX_FRAME, CosigFrame, FrameError, decode, encode

NOW = 1_800_000_000
ORIGIN = "canopy/corner/0011223344556677"


def _leaves(tag: bytes, n: int) -> list[bytes]:
    return [leaf_hash(tag + bytes([i])) for i in range(n)]


class World:
    """A hub (``own``), a peer feed ``corner`` it replicates and a witness ``bakery``."""

    def __init__(self) -> None:
        self.key = SigningKey(bytes(range(32)))
        self.witness = Known("bb" * 32, Cosigner("canopy/bakery/bbbb/witness", self.key.public))
        self.corner = "cc" * 32
        self.own = "aa" * 32
        self.leaves = _leaves(b"corner", 5)
        self.core = WitnessCore(self.own)
        self.witnesses = {self.witness.cosigner.key_id: self.witness}
        self.feeds = {
            bytes.fromhex(self.corner)[:4]: (self.corner, ORIGIN),
            bytes.fromhex(self.own)[:4]: (self.own, "canopy/here/aaaa"),
        }

    def root_at(self, feed: str, size: int) -> bytes | None:
        if feed != self.corner or size == 0 or size > len(self.leaves):
            return None
        return root_from_leaf_hashes(self.leaves[:size])

    def frame(self, n: int, root: bytes | None = None, ts: int = NOW, **kw: object) -> CosigFrame:
        size = n
        root = root if root is not None else root_from_leaf_hashes(self.leaves[:size])
        sig = cosign(
            Checkpoint(ORIGIN, size, root).body(), self.witness.cosigner.name, self.key, ts
        )
        f = CosigFrame(
            bytes.fromhex(self.corner)[:4], size, root, self.witness.cosigner.key_id, ts, sig
        )
        return CosigFrame(**{**{s: getattr(f, s) for s in f.__slots__}, **kw})  # type: ignore[arg-type]

    def hear(self, f: CosigFrame, now: float = NOW) -> Heard | Conflict | None:
        return self.core.hear(decode(encode(f)), now, self.witnesses, self.feeds, self.root_at)


def test_a_cosignature_over_the_replica_is_accepted_once_then_a_replay_is_counted() -> None:
    w = World()
    heard = w.hear(w.frame(3))
    assert isinstance(heard, Heard) and heard.size == 3
    assert w.hear(w.frame(3)) is None and w.core.counts["replayed"] == 1
    assert w.hear(w.frame(2, ts=NOW - 5)) is None and w.core.counts["replayed"] == 2
    assert isinstance(w.hear(w.frame(4, ts=NOW + 1)), Heard)
    assert w.core.counts["accepted"] == 2


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"key_id": b"\x00\x01\x02\x03"}, "unknown-witness"),
        ({"feed_id": b"\x99\x99\x99\x99"}, "unknown-feed"),
        ({"timestamp": NOW + SKEW + 1}, "future"),
        ({"signature": bytes(64)}, "bad-signature"),
        ({"size": 9}, "bad-signature"),  # the signature covers the size
    ],
)
def test_hostile_cosignatures_are_dropped_with_their_reason(
    change: dict[str, object], reason: str
) -> None:
    w = World()
    assert w.hear(w.frame(3, **change)) is None
    assert w.core.counts[reason] == 1 and w.core.counts["accepted"] == 0


def test_a_checkpoint_this_hub_does_not_hold_is_an_unknown_checkpoint() -> None:
    w = World()
    leaves = _leaves(b"corner", 9)
    root = root_from_leaf_hashes(leaves)
    assert w.hear(w.frame(9, root=root)) is None
    assert w.core.counts["unknown-checkpoint"] == 1


def test_a_witness_vouching_for_another_root_is_a_split_view_with_both_statements() -> None:
    w = World()
    other = root_from_leaf_hashes(_leaves(b"other story", 3))
    out = w.hear(w.frame(3, root=other))
    assert isinstance(out, Conflict) and out.kind == "split-view" and out.feed == w.corner
    assert base64.b64encode(other).decode() in out.b and "— canopy/bakery" in out.b
    assert base64.b64encode(root_from_leaf_hashes(w.leaves[:3])).decode() in out.a


def test_a_witness_cosigning_two_roots_at_one_size_is_itself_evidence() -> None:
    w = World()
    w.leaves = _leaves(b"corner", 2)  # we hold only 2: size 3 cannot be held against ours
    first = w.hear(w.frame(2))
    assert isinstance(first, Heard)
    w.leaves = _leaves(b"corner", 3)
    assert isinstance(w.hear(w.frame(3, ts=NOW + 1)), Heard)
    other = root_from_leaf_hashes(_leaves(b"x", 3))
    out = w.hear(w.frame(3, root=other, ts=NOW + 2))
    assert isinstance(out, Conflict) and out.kind == "witness" and out.witness == w.witness.feed


def test_a_flood_from_one_key_is_cut_off_and_counted() -> None:
    w = World()
    for i in range(RATE + 5):
        w.hear(w.frame(3, ts=NOW + i), now=NOW + i)
    assert w.core.counts["flood"] == 5
    assert w.core.counts["accepted"] == RATE  # each one newer than the last
    # ...and the window moves on
    assert w.hear(w.frame(4, ts=NOW + 700), now=NOW + 700) is not None


def test_a_frame_tried_again_while_early_does_not_use_up_the_flood_allowance() -> None:
    """A cosignature kept as early is tried again on every entry a replica takes; those
    retries are not the witness sending (it failed under a busy start before)."""
    w = World()
    for i in range(RATE):
        w.hear(w.frame(3, ts=NOW + i), now=NOW + i)
    late = w.frame(5, ts=NOW + 100)
    assert w.hear(late, now=NOW + 100) is None and w.core.last_drop == "flood"
    out = w.core.hear(decode(encode(late)), NOW + 100, w.witnesses, w.feeds, w.root_at, fresh=False)
    assert isinstance(out, Heard) and out.size == 5


def test_cosign_decision_needs_the_replica_and_consistency() -> None:
    leaves = _leaves(b"corner", 8)
    root = root_from_leaf_hashes
    assert cosign_decision(None, 5, root(leaves[:5]), leaves) == "cosign"
    assert cosign_decision((5, root(leaves[:5])), 8, root(leaves), leaves) == "cosign"
    assert cosign_decision((5, root(leaves[:5])), 5, root(leaves[:5]), leaves) == "old"
    assert cosign_decision((5, root(leaves[:5])), 4, root(leaves[:4]), leaves) == "old"
    assert cosign_decision(None, 9, bytes(32), leaves) == "not-held"
    assert cosign_decision(None, 6, bytes(32), leaves) == "mismatch"
    bad_last = (5, root(_leaves(b"elsewhere", 5)))
    assert cosign_decision(bad_last, 8, root(leaves), leaves) == "inconsistent"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\x21" + bytes(40), "unknown-type"),
        (b"\x20\x00\x00\x00\x00", "truncated"),
        (b"\x20" + bytes(4) + b"\x80\x00" + bytes(108), "malformed"),  # padded varint
        (b"\x20" + bytes(4) + b"\x03" + bytes(109), "malformed"),  # a byte too many
        (b"\x20" + bytes(4) + b"\x03" + bytes(100), "truncated"),
        (b"\x20" * (MAX_FRAME + 1), "oversized"),
        (b"\x20" + bytes(4) + b"\x03" + bytes(36) + b"\xff" * 8 + bytes(64), "malformed"),
    ],
)
def test_broken_frames_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(FrameError) as e:
        decode(data)
    assert e.value.reason == reason


def test_the_frame_fits_one_packet_and_round_trips() -> None:
    f = CosigFrame(
        b"\xd7\x5a\x98\x01", 2**32 - 1, bytes(range(32)), b"\x01\x02\x03\x04", 2**40, bytes(64)
    )
    raw = encode(f)
    assert len(raw) == MAX_FRAME == 118 and decode(raw) == f


def test_the_cosignature_follows_c2sp_tlog_cosignature_v1_byte_for_byte() -> None:
    key = SigningKey(bytes(range(32)))
    name = "example.com/witness"
    c = Cosigner(name, key.public)
    assert c.key_id == hashlib.sha256(name.encode() + b"\n\x04" + key.public.raw).digest()[:4]
    vkey = c.to_string()
    assert base64.b64decode(vkey.split("+", 2)[2])[0] == 0x04 and Cosigner.parse(vkey) == c
    body = Checkpoint("example.com/log", 20852163, bytes(32)).body()
    assert signed_message(body, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/log\n20852163\n"
        + base64.b64encode(bytes(32))
        + b"\n"
    )
    sig = cosign(body, name, key, 1679315147)
    line = signature_line(name, c.key_id, 1679315147, sig)
    blob = base64.b64decode(line.split(" ")[2])
    assert blob[:4] == c.key_id and struct.unpack(">Q", blob[4:12])[0] == 1679315147
    log_key = SigningKey(bytes(32))
    note = sign_note(body, "example.com/log", log_key) + line
    found = verify_cosignatures(note, [c])
    assert [(x.cosigner, x.timestamp) for x in found] == [(c, 1679315147)]
    tampered = note.replace(line, signature_line(name, c.key_id, 1679315148, sig))
    with pytest.raises(BadSignature):
        verify_cosignatures(tampered, [c])
    assert cosigner_key_id(name, key.public) != bytes(4)


@pytest.mark.parametrize(
    "vkey",
    [
        "no-plus-signs",
        "a b+00000000+" + base64.b64encode(b"\x04" + bytes(32)).decode(),
        "w+00000000+" + base64.b64encode(b"\x01" + bytes(32)).decode(),  # a note key, not 0x04
        "w+00000000+" + base64.b64encode(b"\x04" + bytes(32)).decode(),  # wrong key ID
        "w+00000000+***",
    ],
)
def test_malformed_witness_keys_are_refused(vkey: str) -> None:
    with pytest.raises(MalformedData):
        Cosigner.parse(vkey)


def test_a_radio_announcing_a_federated_hub_under_another_key_is_a_key_change() -> None:
    old, new, other = "aa" * 32, "bb" * 32, "cc" * 32
    heard = [
        {"feed": old, "name": "Corner", "node": 7, "at": 1.0},
        {"feed": new, "name": "Corner", "node": 7, "at": 2.0},
        {"feed": other, "name": "Kiosk", "node": 9, "at": 3.0},
        {"feed": other, "name": "Kiosk", "node": 0, "at": 3.0},  # MQTT: no radio
        {"feed": old, "name": "Corner", "node": 0, "at": 4.0},
    ]
    found = key_changes(heard, {old, other})
    assert [(c.kind, c.feed) for c in found] == [("key-change", old)]
    assert new in found[0].b and "!00000007" in found[0].a
    assert key_changes(heard, {other}) == []  # a hub not federated changes nothing here
