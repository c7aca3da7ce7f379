"""Sealed enrolments: every hub with the pin secret recognises a steward's radio; the
public, and a hub without the secret, cannot read or match it."""

from __future__ import annotations

import os
from pathlib import Path

from privacy_helpers import files_containing

from hub.daemon import HubCore
from hub.local import DataDir, create_identity
from hub.privacy import install_pin_secret, new_pin_secret, pin_opener
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
        peer = Roster(pin_opener(b.datadir))
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
        for unpin in (None, pin_opener(c.datadir)):
            r = Roster(unpin)
            r.apply(e.index, e.body)
            assert r.by_node(NODE) is None
            ana = r.get("ana")
            assert ana is not None and ana.pkey is None and ana.role(1) == "steward"
    finally:
        c.close()


def test_without_a_pin_secret_enrolments_stay_as_before(tmp_path: Path) -> None:
    a = _hub(tmp_path / "shop", None)
    try:
        fields = {"handle": "bo", "role": "steward", "until": 2**33, "node": 7, "pkey": b"k" * 32}
        assert a.log.append("enrol", fields).body.kind_name == "enrol"
        assert a.state.roster.by_node(7) is not None
    finally:
        a.close()
