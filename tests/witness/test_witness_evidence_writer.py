"""The writer's side of split-view evidence, in-process on real data directories: a root the
witness computed from its replica is only its own word, so before logging it puts the hub's
signed statement in its place where it holds one, or a third witness's cosignature; what
still proves nothing is held back, not logged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import daemon_thread, run_canopy

from crypto.cosignature import Cosigner, cosign
from crypto.entrysig import sign_entry
from crypto.keys import SigningKey
from crypto.merkle import leaf_hash, root_from_leaf_hashes
from crypto.note import Checkpoint, sign_note
from hub.daemon import Daemon, HubCore
from hub.local import DataDir, Identity, create_identity, load_signing_key
from hub.log import LogView
from hub.log.entry import encode_body, make_body
from hub.witness import WitnessService
from hub.witness.core import Conflict, Heard, Known, WitnessCore
from hub.witness.evidence import EvidenceDesk
from hub.witness.heads import Head, sign_head

T = 1_800_000_000


class Heads:
    def __init__(self) -> None:
        self.book: dict[str, Head] = {}


class Wiring:
    """What the evidence desk reads of the witness service: the core, roots, heads, the
    cosignatures held."""

    def __init__(self, core: HubCore) -> None:
        self._core = core
        self.heads = Heads()
        self.wc = WitnessCore(core.log.feed_hex)

    def _root_at(self, feed: str, size: int) -> bytes | None:
        f = self._core.log.replicas.file(feed)
        return root_from_leaf_hashes(f.leaves[:size]) if 0 < size <= len(f) else None


@pytest.fixture
def bakery(tmp_path: Path) -> Iterator[tuple[HubCore, Wiring, str, str, SigningKey]]:
    """The bakery holds a replica of the corner hub's 3 entries; returns its core, the
    wiring, the corner's feed and origin, and the corner's signing key."""
    cdd = DataDir(tmp_path / "corner")
    ident = create_identity(cdd, "Corner")
    core = HubCore(cdd)
    core.open()
    try:
        for t in ("one", "two", "three"):
            core.log.append("note", {"text": t})
    finally:
        core.close()
    reader = LogView(cdd).reader()
    raws = reader.read_range(0, len(reader))
    create_identity(DataDir(tmp_path / "bakery"), "Bakery")
    b = HubCore(DataDir(tmp_path / "bakery"))
    b.open()
    feed = ident.feed.hex()
    b.log.append("peer", {"feed": ident.feed.raw, "name": "Corner", "origin": ident.origin})
    b.log.store_replica(feed, 0, raws)
    try:
        yield b, Wiring(b), feed, ident.origin, load_signing_key(cdd, ident)
    finally:
        b.close()


def test_a_computed_root_becomes_the_hubs_signed_head_and_the_entry_marks_the_hub(
    bakery: tuple[HubCore, Wiring, str, str, SigningKey],
) -> None:
    core, wiring, feed, origin, key = bakery
    n = len(core.log.replicas.file(feed))
    ours = wiring._root_at(feed, n)
    assert ours is not None
    other = sign_note(Checkpoint(origin, n, bytes(32)).body(), origin, key)
    desk = EvidenceDesk(wiring)
    c = Conflict("split-view", feed, Checkpoint(origin, n, ours).body(), other)
    desk.log_split(c)  # only the bakery's word so far: held, not logged
    assert feed in desk.pending and feed not in core.state.split_views
    assert wiring.wc.counts["unproven-a-unsigned"] == 1
    wiring.heads.book[feed] = sign_head(key, origin, n, ours, T)
    desk.retry()
    assert not desk.pending and core.state.split_views[feed].what == "split-view"


def test_a_third_witness_cosignature_of_the_replicas_root_is_used_when_no_note_is_held(
    bakery: tuple[HubCore, Wiring, str, str, SigningKey], tmp_path: Path
) -> None:
    core, wiring, feed, origin, key = bakery
    n = len(core.log.replicas.file(feed))
    ours = wiring._root_at(feed, n)
    assert ours is not None
    wdd = DataDir(tmp_path / "kiosk")
    kiosk = create_identity(wdd, "Kiosk")
    wkey = load_signing_key(wdd, kiosk)
    me = Cosigner(f"{kiosk.origin}/witness", wkey.public)
    body = Checkpoint(origin, n, ours).body()
    core.log.append("peer", {"feed": kiosk.feed.raw, "name": "Kiosk", "origin": kiosk.origin})
    wiring.wc.remember(
        Heard(feed, Known(kiosk.feed.hex(), me), n, ours, T, cosign(body, me.name, wkey, T), body)
    )
    other = sign_note(Checkpoint(origin, n, bytes(32)).body(), origin, key)
    c = EvidenceDesk(wiring).provable(Conflict("split-view", feed, body, other))
    # the hub's note becomes ``a``; the kiosk's cosignature of the replica's root ``b``
    assert (c.a, c.witness) == (other, kiosk.feed.hex())
    assert c.b.startswith(body) and f"{me.name} " in c.b


def _bakery_folding(
    tmp_path: Path, corner: Identity, laundry: tuple[DataDir, Identity], kind: str, fields: Any
) -> DataDir:
    """The laundry logs ``kind`` about the corner hub; the bakery, federated with both,
    holds the laundry's log. Returns the bakery's data directory (closed)."""
    ldd, ident = laundry
    core = HubCore(ldd)
    core.open()
    try:
        core.log.append(kind, fields)
    finally:
        core.close()
    reader = LogView(ldd).reader()
    bdd = DataDir(tmp_path / "bakery")
    create_identity(bdd, "Bakery")
    b = HubCore(bdd)
    b.open()
    try:
        for who, name in ((corner, "Corner"), (ident, "Laundry")):
            b.log.append("peer", {"feed": who.feed.raw, "name": name, "origin": who.origin})
        b.log.store_replica(ident.feed.hex(), 0, reader.read_range(0, len(reader)))
    finally:
        b.close()
    return bdd


def test_a_peers_accusation_that_proves_nothing_is_shown_as_reported_not_proven(
    tmp_path: Path,
) -> None:
    """The laundry's log accuses the corner hub with two notes of another key: the bakery
    folds it (the real daemon, in-process), marks no hub and says who reported what."""
    corner = create_identity(DataDir(tmp_path / "corner"), "Corner")
    ldd = DataDir(tmp_path / "laundry")
    laundry = create_identity(ldd, "Laundry")
    mallory = SigningKey(bytes([7]) * 32)
    forged = [
        sign_note(Checkpoint(corner.origin, 4, bytes([n]) * 32).body(), corner.origin, mallory)
        for n in (1, 2)
    ]
    fields = {"feed": corner.feed.raw, "a": forged[0].encode(), "b": forged[1].encode()}
    bdd = _bakery_folding(tmp_path, corner, (ldd, laundry), "split-view", fields)
    d = Daemon(bdd)
    d.services.append(WitnessService(scan=0.2))
    with daemon_thread(d):
        r = run_canopy("witness", "status", data=tmp_path / "bakery")
        assert r.code == 0, r.err
        assert "Corner: reported by Laundry, not proven (a-unsigned)" in r.out, r.out
        assert "SPLIT-VIEW" not in r.out
        res = json.loads(run_canopy("witness", "status", "--json", data=tmp_path / "bakery").out)
        corner_row = next(f for f in res["feeds"] if f["name"] == "Corner")
        assert not corner_row["split_view"] and res["unproven_count"] == 1


def _note_entry(key: SigningKey, seq: int, prev: bytes, text: str) -> bytes:
    body = encode_body(make_body("note", {"text": text}, time=T + seq))
    return sign_entry(key, seq, prev, body)


@pytest.mark.parametrize(
    "fault",
    [None, "no-prev", "b-unsigned", "same", "prev-wrong"],
)
def test_a_peers_fork_entry_marks_a_hub_only_when_its_two_entries_prove_it(
    tmp_path: Path, fault: str | None
) -> None:
    """The laundry's log says the corner hub signed two entries at one position. The
    bakery checks both against the corner's key, the position and the previous hash the
    entry carries; a fork entry that does not prove it is shown as reported, not proven."""
    cdd = DataDir(tmp_path / "corner")
    corner = create_identity(cdd, "Corner")
    ck = load_signing_key(cdd, corner)
    prev = leaf_hash(_note_entry(ck, 0, bytes(32), "the first"))
    a = _note_entry(ck, 1, prev, "told to the bakery")
    b = _note_entry(ck, 1, prev, "told to the laundry")
    if fault == "b-unsigned":
        b = _note_entry(SigningKey(bytes([7]) * 32), 1, prev, "told to the laundry")
    fields: dict[str, object] = {"feed": corner.feed.raw, "index": 1, "a": a, "b": b}
    fields["prev"] = bytes(32) if fault == "prev-wrong" else prev
    if fault == "no-prev":
        del fields["prev"]
    if fault == "same":
        fields["b"] = a
    ldd = DataDir(tmp_path / "laundry")
    laundry = create_identity(ldd, "Laundry")
    b_core = HubCore(_bakery_folding(tmp_path, corner, (ldd, laundry), "fork", fields))
    b_core.open()
    try:
        st = b_core.state
        assert (corner.feed.hex() in st.split_views) is (fault is None)
        flaw = {"prev-wrong": "a-unsigned"}.get(str(fault), fault)
        unproven = st.unproven.get(corner.feed.hex())
        assert (unproven.what if unproven else None) == flaw
        assert st.unproven_count == (0 if fault is None else 1)
    finally:
        b_core.close()
