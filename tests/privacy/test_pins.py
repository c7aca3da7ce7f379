"""Sealed enrolments: every hub with the pin secret recognises a steward's radio; the
public, and a hub without the secret, cannot read or match it. A hub with no secret
configured seals with its own and shares it with its peers (`pin-share`, kind 34)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from privacy_helpers import files_containing

from crypto.errors import MalformedData
from crypto.keys import PublicKey, SigningKey
from crypto.note import Verifier
from crypto.seal import (
    UnsealError,
    derive_pin_secret,
    open_pin_secrets,
    share_pin_secrets,
)
from hub.daemon import HubCore
from hub.daemon.ops import run_op
from hub.errors import EntryError, InputError
from hub.local import DataDir, create_identity
from hub.log import iter_entries, verify_entries
from hub.privacy import PinKeyring, install_pin_secret, new_pin_secret
from hub.state import Roster

NODE = 0x1234ABCD


def _hub(root: Path, pin: Path | None) -> HubCore:
    dd = DataDir(root)
    create_identity(dd, root.name)
    if pin is not None:
        install_pin_secret(dd, pin)
    core = HubCore(dd)
    core.open()
    return core


def test_a_sealed_enrolment_pins_the_radio_for_hubs_with_the_secret_only(tmp_path: Path) -> None:
    pin = tmp_path / "pin.key"
    new_pin_secret(pin)
    pkey = os.urandom(32)
    a = _hub(tmp_path / "shop", pin)
    try:
        e = a.log.append(
            "enrol",
            {"handle": "ana", "role": "steward", "until": 2**33, "node": NODE, "pkey": pkey},
        )
        assert e.body.kind_name == "enrol-sealed" and "node" not in e.body.named_fields()
        member = a.state.roster.by_node(NODE)  # the hub that enrolled her knows the radio
        assert member is not None and member.handle == "ana" and member.pkey == pkey
    finally:
        a.close()
    assert files_containing(tmp_path / "shop" / "feeds", [pkey, NODE.to_bytes(4, "big")]) == {}

    # a federated hub with the same secret recognises her radio from the replica entry
    b = _hub(tmp_path / "laundromat", pin)
    try:
        peer = Roster(PinKeyring(b.datadir))
        peer.apply(e.index, e.body)
        got = peer.by_node(NODE)
        assert got is not None and got.pkey == pkey and got.role(1) == "steward"
    finally:
        b.close()

    # without the secret, or with another neighbourhood's: the role, and no radio
    other = tmp_path / "other.key"
    new_pin_secret(other)
    c = _hub(tmp_path / "elsewhere", other)
    try:
        for unpin in (None, PinKeyring(c.datadir)):
            r = Roster(unpin)
            r.apply(e.index, e.body)
            assert r.by_node(NODE) is None
            ana = r.get("ana")
            assert ana is not None and ana.pkey is None and ana.role(1) == "steward"
    finally:
        c.close()


def _vkey(core: HubCore) -> str:
    ident = core.log.identity
    assert ident is not None
    return ident.verifier.to_string()


def _replicate(src: HubCore, dst: HubCore) -> None:
    """Carry ``src``'s own feed to ``dst`` through the log's public replica API (what sync
    does on the air), from where ``dst`` holds it."""
    start = dst.log.replicas.size(src.log.feed_hex)
    raws = [e.raw for e in iter_entries(src.log.own, src.log.feed_hex)][start:]  # type: ignore[arg-type]
    dst.log.store_replica(src.log.feed_hex, start, raws)


def test_a_hub_with_no_secret_configured_seals_and_shares_its_own(tmp_path: Path) -> None:
    """No `pin.key` anywhere: the shop seals with the secret derived from its key, and the
    laundry recognises the radio once the shop's `pin-share` reaches it, although the
    enrolment came first; a third hub the shop never shared with sees no radio."""
    shop, laundry, other = (_hub(tmp_path / n, None) for n in ("shop", "laundry", "other"))
    pkey = os.urandom(32)
    try:
        fields = {"handle": "bo", "role": "steward", "until": 2**33, "node": NODE, "pkey": pkey}
        e = shop.log.append("enrol", fields)
        assert e.body.kind_name == "enrol-sealed" and {"node", "pkey"}.isdisjoint(
            e.body.named_fields()
        )
        assert shop.state.roster.by_node(NODE) is not None
        for hub in (laundry, other):
            run_op(hub, "peer_add", {"vkey": _vkey(shop)})
        _replicate(shop, laundry)
        bo = laundry.state.roster.get("bo")  # federated, but not shared with yet
        assert bo is not None and bo.node is None and laundry.state.roster.by_node(NODE) is None

        res = run_op(shop, "peer_add", {"vkey": _vkey(laundry)})
        assert shop.log.own is not None and res["index"] + 2 == len(shop.log.own)
        kinds = [x.body.kind_name for x in iter_entries(shop.log.own, shop.log.feed_hex)]
        assert kinds[-2:] == ["peer", "pin-share"]
        _replicate(shop, laundry)
        got = laundry.state.roster.by_node(NODE)  # folded again: the early enrolment opens
        assert got is not None and got.handle == "bo" and got.pkey == pkey

        _replicate(shop, other)  # the shop's share is sealed to the laundry only
        assert other.state.roster.get("bo") is not None
        assert other.state.roster.by_node(NODE) is None
        assert not (other.datadir.root / "pin-shared.keys").exists()
    finally:
        for hub in (shop, laundry, other):
            hub.close()
    learned = tmp_path / "laundry" / "pin-shared.keys"
    assert learned.stat().st_mode & 0o077 == 0
    again = HubCore(DataDir(tmp_path / "laundry"))  # restarted: the learned secret is kept
    again.open()
    try:
        got = again.state.roster.by_node(NODE)
        assert got is not None and got.handle == "bo"
    finally:
        again.close()
    assert files_containing(tmp_path, [pkey, NODE.to_bytes(8, "big")]) == {}


def test_a_peer_federated_before_pin_shares_gets_one_from_peer_add(tmp_path: Path) -> None:
    shop, laundry = _hub(tmp_path / "shop", None), _hub(tmp_path / "laundry", None)
    try:
        feed = bytes.fromhex(laundry.log.feed_hex)
        shop.log.append("peer", {"feed": feed, "name": "laundry"})  # an older hub's entry
        res = run_op(shop, "peer_add", {"vkey": _vkey(laundry)})
        assert res["pins"] is True
        assert shop.state.pins_shared == {laundry.log.feed_hex}
        with pytest.raises(InputError, match="already federated"):
            run_op(shop, "peer_add", {"vkey": _vkey(laundry)})
    finally:
        shop.close()
        laundry.close()


def test_hostile_pin_shares_and_enrolments_teach_nothing_and_leak_nothing(
    tmp_path: Path,
) -> None:
    shop, laundry = _hub(tmp_path / "shop", None), _hub(tmp_path / "laundry", None)
    try:
        run_op(laundry, "peer_add", {"vkey": _vkey(shop)})
        to = bytes.fromhex(laundry.log.feed_hex)
        shop.log.append("pin-share", {"feed": to, "box": os.urandom(80)})  # garbage box
        wrong = share_pin_secrets(bytes.fromhex(shop.log.feed_hex), [os.urandom(32)])
        shop.log.append("pin-share", {"feed": to, "box": wrong})  # sealed to another hub
        _replicate(shop, laundry)
        assert laundry.state.pins_learned == 0
        assert not (laundry.datadir.root / "pin-shared.keys").exists()
        # a radio that cannot be sealed is refused, never written in the clear
        size = len(shop.log.own or [])
        for bad in ({"node": 7}, {"pkey": b"k" * 32}, {"node": 7, "pkey": b"short"}):
            with pytest.raises(EntryError, match="radio"):
                shop.log.append("enrol", {"handle": "x", "role": "steward", "until": 9, **bad})
        assert len(shop.log.own or []) == size
        # an enrolment without a radio is the plain kind, with nothing to hide
        plain = shop.log.append("enrol", {"handle": "y", "role": "steward", "until": 2**33})
        assert plain.body.kind_name == "enrol"
        with pytest.raises(InputError, match="own key"):
            run_op(shop, "peer_add", {"vkey": _vkey(shop)})
        # a verifier key that is no Ed25519 point: refused before any entry is written
        size = len(shop.log.own or [])
        bogus = Verifier("canopy/bogus/ffffffffffffffff", PublicKey(b"\xff" * 32))
        with pytest.raises(InputError, match="cannot seal this hub's pin secrets"):
            run_op(shop, "peer_add", {"vkey": bogus.to_string()})
        assert len(shop.log.own or []) == size
    finally:
        shop.close()
        laundry.close()


def test_pin_secret_boxes_refuse_bad_input() -> None:
    seed, feed = os.urandom(32), bytes(SigningKey(b"s" * 32).public.raw)
    with pytest.raises(MalformedData):
        share_pin_secrets(feed, [])
    with pytest.raises(MalformedData):
        share_pin_secrets(feed, [os.urandom(32)] * 5)
    with pytest.raises(MalformedData):
        share_pin_secrets(feed, [b"short"])
    with pytest.raises(MalformedData):
        share_pin_secrets(feed[:31], [os.urandom(32)])
    secrets = [os.urandom(32), os.urandom(32)]
    box = share_pin_secrets(feed, secrets)
    assert open_pin_secrets(b"s" * 32, box) == secrets
    for bad in (box[:-1], box[:40] + bytes([box[40] ^ 1]) + box[41:], b""):
        with pytest.raises(UnsealError):
            open_pin_secrets(b"s" * 32, bad)
    with pytest.raises(UnsealError):
        open_pin_secrets(seed, box)  # another hub's key
    assert derive_pin_secret(b"s" * 32) == derive_pin_secret(b"s" * 32) != derive_pin_secret(seed)


def test_an_older_hubs_plain_enrolment_still_verifies_and_pins_after_the_upgrade(
    tmp_path: Path,
) -> None:
    """Migration: a kind-8 `enrol` with the radio in the clear, written before the upgrade
    (simulated by a hub without the sealing hook), keeps verifying and folding; every
    enrolment after it is sealed, and a renewal's sealed entry takes over the radio."""
    old = _hub(tmp_path / "shop", None)
    pkey = os.urandom(32)
    try:
        old.log.prepare = None  # the write path of a hub from before sealed enrolments
        fields = {"handle": "di", "role": "steward", "until": 2**33, "node": NODE, "pkey": pkey}
        assert old.log.append("enrol", fields).body.kind_name == "enrol"
    finally:
        old.close()
    new = HubCore(DataDir(tmp_path / "shop"))
    new.open()
    try:
        got = new.state.roster.by_node(NODE)
        assert got is not None and got.handle == "di" and got.pkey == pkey
        renewed = run_op(new, "roster_renew", {"handle": "di"})
        own = new.log.own
        assert own is not None
        raws = own.read_range(0, len(own))
        verified = verify_entries(PublicKey(bytes.fromhex(new.log.feed_hex)), raws)
        assert verified.size == 2
        kinds = [x.body.kind_name for x in iter_entries(own, new.log.feed_hex)]
        assert kinds == ["enrol", "enrol-sealed"] and renewed["index"] == 1
        got = new.state.roster.by_node(NODE)
        assert got is not None and got.enrol_index == 1
    finally:
        new.close()
