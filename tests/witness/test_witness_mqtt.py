"""Witnessing over MQTT: two hubs on one broker and no radio cosign each other; hostile
frames on the sync topic (garbage, an unknown witness, a forged signature, a replay) are
dropped and counted, and nothing of them is kept."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from support import BrokerFactory, DaemonFactory, WaitFor, run_canopy
from witness_helpers import checkpoint_at

from crypto.keys import SigningKey
from hub.witness.frames import CosigFrame, encode

ARGS = ("--sync-imin", "5", "--sync-imax", "60", "--witness-gap", "5")


def _hub(tmp_path: Path, name: str) -> tuple[Path, dict[str, str]]:
    data = tmp_path / name.lower()
    assert run_canopy("init", "--name", name, data=data).code == 0
    return data, json.loads(run_canopy("id", "--json", data=data).out)


def _status(data: Path) -> dict[str, Any]:
    r = run_canopy("witness", "status", "--json", data=data)
    assert r.code == 0, r.err
    return dict(json.loads(r.out))


def _publish(port: int, payloads: list[bytes]) -> None:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    c.connect("127.0.0.1", port)
    c.loop_start()
    try:
        for p in payloads:
            c.publish("canopy/v1/mallory/sync", p, qos=1).wait_for_publish(5)
    finally:
        c.loop_stop()
        c.disconnect()


def test_hubs_on_one_broker_cosign_each_other_and_hostile_frames_are_counted(
    tmp_path: Path, broker: BrokerFactory, running_daemon: DaemonFactory, wait_for: WaitFor
) -> None:
    a, aid = _hub(tmp_path, "Bakery")
    b, bid = _hub(tmp_path, "Laundry")
    assert run_canopy("peer", "add", bid["vkey"], data=a).code == 0
    assert run_canopy("peer", "add", aid["vkey"], data=b).code == 0
    mosquitto = broker()
    with (
        running_daemon(a, "--mqtt", mosquitto.url, *ARGS),
        running_daemon(b, "--mqtt", mosquitto.url, *ARGS),
    ):
        wait_for(
            lambda: _status(a)["feeds"][0]["witnessed_by"] == ["laundry"],
            timeout=45,
            what="the laundry's cosignature at the bakery",
        )
        kept = (a / "witness" / "sigs" / f"{aid['feed']}.json").read_bytes()
        note = run_canopy("checkpoint", "--cosigned", data=a).out
        assert bid["witness_vkey"].split("+")[0] in note
        before = _status(a)["counts"]
        feed_id = bytes.fromhex(aid["feed"])[:4]
        kid = bytes.fromhex(bid["witness_vkey"].split("+")[1])
        stranger = SigningKey.generate()
        # a minute ahead (within the skew): newer than any real cosignature, so it is its
        # signature that fails, not the replay check
        forged = CosigFrame(feed_id, 1, bytes(32), kid, int(time.time()) + 60, bytes(64))
        unknown = CosigFrame(feed_id, 1, bytes(32), b"\x00\x00\x00\x00", 1, stranger.sign(b"x"))
        future = CosigFrame(feed_id, 1, bytes(32), kid, int(time.time()) + 86400, bytes(64))
        _publish(
            mosquitto.port,
            [b"\x20", b"\x20" + bytes(300), encode(forged), encode(unknown), encode(future)],
        )

        def counted() -> dict[str, int]:
            c = _status(a)["counts"]
            grew = {k: c.get(k, 0) - before.get(k, 0) for k in c}
            keys = ("truncated", "bad-signature", "unknown-witness", "future")
            return grew if all(grew.get(k, 0) >= 1 for k in keys) else {}

        grew = wait_for(counted, timeout=20, what="the hostile frames counted")
        assert grew.get("accepted", 0) == 0
        assert (a / "witness" / "sigs" / f"{aid['feed']}.json").read_bytes() == kept
        assert _status(a)["evidence"] == 0


def test_a_posters_checkpoint_is_held_against_the_replica_and_a_rewrite_is_evidence(
    tmp_path: Path, broker: BrokerFactory, running_daemon: DaemonFactory, wait_for: WaitFor
) -> None:
    """`canopy witness check FILE`: a checkpoint photographed on the bakery's poster, held
    at the laundry against its copy of the bakery's log. The true one is consistent; one
    the bakery's key signed over another history is kept as evidence and logged."""
    a, aid = _hub(tmp_path, "Bakery")
    twin = tmp_path / "twin"
    shutil.copytree(a, twin)  # the same key, another history from entry 0 on
    assert run_canopy("note", "a history shown to nobody else", data=twin).code == 0
    rewritten = tmp_path / "rewritten.note"
    rewritten.write_text(checkpoint_at(twin, 1))
    b, bid = _hub(tmp_path, "Laundry")
    c, _ = _hub(tmp_path, "Stranger")
    assert run_canopy("note", "not federated", data=c).code == 0
    stranger = tmp_path / "stranger.note"
    stranger.write_text(checkpoint_at(c, 1))
    assert run_canopy("peer", "add", bid["vkey"], data=a).code == 0
    assert run_canopy("peer", "add", aid["vkey"], data=b).code == 0
    mosquitto = broker()
    with (
        running_daemon(a, "--mqtt", mosquitto.url, *ARGS),
        running_daemon(b, "--mqtt", mosquitto.url, *ARGS),
    ):
        wait_for(
            lambda: _status(a)["feeds"][0]["witnessed_by"] == ["laundry"],
            timeout=45,
            what="the laundry's cosignature at the bakery",
        )
        poster = tmp_path / "poster.note"
        poster.write_text(run_canopy("checkpoint", "--cosigned", data=a).out)
        r = run_canopy("witness", "check", str(poster), "--json", data=b)
        assert r.code == 0, r.err
        assert json.loads(r.out)["verdict"] == "consistent"
        assert _status(b)["evidence"] == 0

        # hostile and broken inputs: refused with the reason, nothing kept
        garbage = tmp_path / "garbage.note"
        garbage.write_bytes(b"\xff\xfe not a note")
        r = run_canopy("witness", "check", str(garbage), data=b)
        assert r.code == 1 and "cannot read" in r.err
        garbage.write_text("canopy/x\n1\nAAAA\n")
        r = run_canopy("witness", "check", str(garbage), data=b)
        assert r.code == 1 and "not a checkpoint note" in r.err
        r = run_canopy("witness", "check", str(stranger), data=b)
        assert r.code == 1 and "not signed by this hub or a hub it federates with" in r.err
        assert _status(b)["evidence"] == 0

        r = run_canopy("witness", "check", str(rewritten), data=b)
        assert r.code == 2 and "SPLIT VIEW" in r.out, (r.out, r.err)
        wait_for(lambda: _status(b)["evidence"] >= 1, timeout=20, what="the evidence kept")
        shown = run_canopy("log", "show", "--json", data=b).out.splitlines()
        assert any(json.loads(x)["kind"] == "split-view" for x in shown)
