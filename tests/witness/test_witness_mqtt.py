"""Witnessing over MQTT: two hubs on one broker and no radio cosign each other; hostile
frames on the sync topic (garbage, an unknown witness, a forged signature, a replay; heads
forged, replayed or claiming another hub's feed) are dropped and counted, and nothing of
them is kept; a real rollback statement is caught."""

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
from crypto.merkle import root_from_leaf_hashes
from crypto.note import Verifier, open_note
from hub.local import DataDir, load_identity, load_signing_key
from hub.log import LogView
from hub.witness.frames import CosigFrame, HeadFrame, encode, encode_head
from hub.witness.heads import Head, sign_head

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
        _hostile_heads_then_a_rollback(tmp_path, a, aid, b, bid, mosquitto.port, wait_for)


def _hostile_heads_then_a_rollback(
    tmp_path: Path,
    a: Path,
    aid: dict[str, str],
    b: Path,
    bid: dict[str, str],
    port: int,
    wait_for: WaitFor,
) -> None:
    """Signed heads (docs/witness.md): forged, replayed or someone else's claiming the
    bakery's own feed are dropped and counted, nothing kept; a smaller head the laundry's
    key signed later than the one held is a rollback, kept and logged, verifiable."""
    lfeed = bid["feed"]
    wait_for(lambda: lfeed in _status(a)["heads"], timeout=30, what="the laundry's head")
    held = json.loads((a / "witness" / "heads.json").read_text())[lfeed]
    size, t1 = int(held["size"]), int(held["time"])
    assert size >= 2
    leaves = LogView(DataDir(a)).reader(lfeed).leaves
    root = root_from_leaf_hashes(leaves[: size - 1])
    ident = load_identity(DataDir(b))
    key = load_signing_key(DataDir(b), ident)
    stranger = SigningKey.generate()
    now = int(time.time())
    lid, own_id = bytes.fromhex(lfeed)[:4], bytes.fromhex(aid["feed"])[:4]

    def frame(h: Head, fid: bytes | None = None) -> bytes:
        f = h.frame()
        return encode_head(HeadFrame(fid or f.feed_id, f.size, f.root, f.timestamp, f.signature))

    forged = sign_head(stranger, ident.origin, 1, root, now)
    claims_own = sign_head(stranger, "canopy/bakery/" + aid["feed"][:16], 1, bytes(32), now)
    replayed = sign_head(key, ident.origin, size - 1, root, t1 - 1)  # older: no evidence
    future = sign_head(key, ident.origin, size - 1, root, now + 86400)
    before = _status(a)["counts"]
    _publish(
        port,
        [
            b"\x21",
            frame(forged, lid),
            frame(claims_own, own_id),
            frame(forged),  # a feed nobody here knows
            frame(replayed),
            frame(future),
        ],
    )
    reasons = (
        "head-truncated",
        "head-bad-signature",
        "head-unknown-feed",
        "head-old",
        "head-future",
    )

    def counted() -> dict[str, int]:
        c = _status(a)["counts"]
        grew = {k: c.get(k, 0) - before.get(k, 0) for k in c}
        return grew if all(grew.get(k, 0) >= 1 for k in reasons) else {}

    grew = wait_for(counted, timeout=20, what="the hostile heads counted")
    assert grew["head-bad-signature"] == 2
    status = _status(a)
    assert status["evidence"] == 0 and status["rolled_back"] is None
    assert not (a / "witness" / "rollback.json").exists()
    assert json.loads((a / "witness" / "heads.json").read_text())[lfeed] == held

    rolled = sign_head(key, ident.origin, size - 1, root, t1 + 1)  # smaller, and later
    _publish(port, [frame(rolled)])
    wait_for(
        lambda: _status(a)["feeds"][1]["what"] == "rollback",
        timeout=20,
        what="the laundry's rollback caught at the bakery",
    )
    entry = json.loads(run_canopy("log", "show", "--kind", "rollback", "--json", data=a).out)
    assert entry["subject"] == lfeed  # the hub the entry is about
    verifier = Verifier(ident.origin, ident.feed)
    earlier = open_note(bytes.fromhex(entry["a"]).decode(), [verifier]).text
    later = open_note(bytes.fromhex(entry["b"]).decode(), [verifier]).text
    assert f"time {t1}\n" in earlier and f"\n{size}\n" in earlier
    assert f"time {t1 + 1}\n" in later and f"\n{size - 1}\n" in later
    assert list((a / "witness" / "evidence").glob("*rollback*.txt"))


def test_a_posters_checkpoint_is_held_against_the_replica_and_a_rewrite_is_evidence(
    tmp_path: Path, broker: BrokerFactory, running_daemon: DaemonFactory, wait_for: WaitFor
) -> None:
    """`canopy witness check FILE`: a checkpoint photographed on the bakery's poster, held
    at the laundry against its copy of the bakery's log. The true one is consistent; one
    the bakery's key signed over another history at the same size is kept as evidence and
    logged with both signed notes, so it proves itself."""
    a, aid = _hub(tmp_path, "Bakery")
    twin = tmp_path / "twin"
    shutil.copytree(a, twin)  # the same key, another history from entry 0 on
    assert run_canopy("note", "a history shown to nobody else", data=twin).code == 0
    rewritten = tmp_path / "rewritten.note"
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

        # the bakery's key signed another history at the poster's size: two signed notes
        # at one size, evidence every hub folding it checks for itself
        size = int(poster.read_text().splitlines()[1])
        while int(run_canopy("checkpoint", data=twin).out.splitlines()[1]) < size:
            assert run_canopy("note", "more of that history", data=twin).code == 0
        rewritten.write_text(checkpoint_at(twin, size))
        r = run_canopy("witness", "check", str(rewritten), data=b)
        assert r.code == 2 and "SPLIT VIEW" in r.out, (r.out, r.err)
        wait_for(lambda: _status(b)["evidence"] >= 1, timeout=20, what="the evidence kept")
        shown = run_canopy("log", "show", "--json", data=b).out.splitlines()
        assert any(json.loads(x)["kind"] == "split-view" for x in shown)
        bakery = _status(b)["feeds"][1]
        assert bakery["split_view"] and bakery["what"] == "split-view", bakery
