"""What comes in over MQTT: commands behind the ACL, Meshtastic traffic, and garbage."""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.publish as publish
import pytest
from click.testing import CliRunner
from mqttkit import (
    Collector,
    RecordingRadio,
    append_notes,
    make_hub,
    running,
    service,
)
from paho.mqtt.exception import MQTTException
from support import BrokerFactory, WaitFor
from test_mqtt_codec import FRAME_NODEINFO, FRAME_TEXT, envelope_from_frame

from hub.cli import nodes_cmd
from radio.mqttcodec import encode_envelope


def send(
    port: int, topic: str, payload: bytes | str, *, auth: dict[str, str] | None = None,
    retain: bool = False,
) -> None:  # fmt: skip
    publish.single(topic, payload, qos=1, retain=retain, hostname="127.0.0.1", port=port, auth=auth)


def test_acl_lets_operators_command_and_refuses_others(
    tmp_path: Path, broker: BrokerFactory, wait_for: WaitFor
) -> None:
    mosquitto = broker(users={"operator": "op-pw", "viewer": "view-pw"})
    dd = make_hub(tmp_path)
    feed = json.loads(dd.identity.read_text())["feed"]
    topic = f"canopy/v1/{feed[:16]}/cmd/send"
    lan = mosquitto.lan_port
    op = {"username": "operator", "password": "op-pw"}
    # a retained command would fire again on every reconnect: refused when replayed
    send(lan, topic, json.dumps({"text": "stale"}), retain=True, auth=op)
    radio = RecordingRadio()
    svc = service(mosquitto.url)  # the hub itself is on the loopback listener
    with running(dd, svc, radio):
        wait_for(lambda: svc.status()["counts"].get("refused_retained_command"), what="refusal")
        viewer = {"username": "viewer", "password": "view-pw"}
        send(lan, topic, json.dumps({"text": "from viewer", "to": None, "channel": 0}), auth=viewer)
        send(
            lan,
            topic,
            json.dumps({"text": "fire drill at 5", "to": "!0000abcd", "channel": 0}),
            auth=op,
        )
        wait_for(lambda: radio.sent, what="operator's command")
        assert radio.sent == [("fire drill at 5", 0xABCD, 0)]
        # no password at all is refused by the broker at connect
        with pytest.raises(MQTTException, match=r"(?i)not authori[sz]ed"):
            send(lan, topic, json.dumps({"text": "anon"}))
        assert radio.sent == [("fire drill at 5", 0xABCD, 0)]
        assert svc.status()["counts"]["commands_sent"] == 1


def test_command_without_a_radio_is_refused_and_counted(
    tmp_path: Path, broker: BrokerFactory, wait_for: WaitFor
) -> None:
    mosquitto = broker()
    dd = make_hub(tmp_path)
    svc = service(mosquitto.url)
    with running(dd, svc) as d:
        base = f"canopy/v1/{d.core.log.feed_hex[:16]}"
        res = Collector(mosquitto.port, topics=(f"{base}/cmd/result",)).start()
        wait_for(lambda: svc.status()["subscribed"], what="hub subscribed")
        send(
            mosquitto.port, f"{base}/cmd/send", json.dumps({"text": "hi", "to": None, "channel": 0})
        )
        wait_for(lambda: res.on("/cmd/result"), what="result")
        assert res.on("/cmd/result")[0]["ok"] is False
        assert svc.status()["counts"]["refused_no_radio"] == 1
        res.stop()


def test_meshtastic_traffic_updates_nodes_and_reaches_commands(
    tmp_path: Path, broker: BrokerFactory, wait_for: WaitFor
) -> None:
    mosquitto = broker()
    dd = make_hub(tmp_path)
    cmds = RecordingRadio()
    svc = service(mosquitto.url)
    with running(dd, svc, cmds) as d:
        wait_for(lambda: svc.status()["subscribed"], what="hub subscribed")
        send(
            mosquitto.port,
            "msh/EU_868/2/e/LongFast/!a1b2c3d4",
            envelope_from_frame(FRAME_NODEINFO),
        )
        send(mosquitto.port, "msh/EU_868/2/e/LongFast/!a1b2c3d4", envelope_from_frame(FRAME_TEXT))
        send(mosquitto.port, "msh/EU_868/2/e/LongFast/!0000beef", envelope_from_frame(FRAME_TEXT))
        wait_for(lambda: cmds.events, what="text handed to commands")
        wait_for(lambda: svc.status()["counts"].get("mesh_duplicates"), what="dup counted")
        entries = len(d.core.log.own)  # type: ignore[arg-type]
    (ev,) = cmds.events
    assert ev.text == "Hola mano" and ev.via == "mqtt" and ev.pki_encrypted is False
    assert entries == 0, "MQTT traffic must never write the log"
    out = CliRunner().invoke(nodes_cmd, ["--json", "--data", str(dd.root)])
    assert out.exit_code == 0, out.output
    nodes = {n["id"]: n for n in json.loads(out.output)}
    assert nodes["!ca497c50"]["long_name"] == "Meshtastic 7c50"
    assert nodes["!ca497c50"]["short_name"] == "7c50"
    assert nodes["!a45dcd50"]["via"] == "mqtt"
    table = CliRunner().invoke(nodes_cmd, ["--data", str(dd.root)])
    assert "!ca497c50" in table.output and "Meshtastic 7c50" in table.output


def test_garbage_on_every_subscribed_topic(
    tmp_path: Path, broker: BrokerFactory, wait_for: WaitFor
) -> None:
    mosquitto = broker()
    dd = make_hub(tmp_path)
    radio = cmds = RecordingRadio()
    svc = service(mosquitto.url)
    with running(dd, svc, radio) as d:
        base = f"canopy/v1/{d.core.log.feed_hex[:16]}"
        sub = Collector(mosquitto.port, topics=(f"{base}/log/#",)).start()
        wait_for(lambda: svc.status()["subscribed"], what="hub subscribed")
        msh = "msh/EU_868/2/e/LongFast/!a1b2c3d4"
        junk: list[tuple[str, bytes]] = [
            (f"{base}/cmd/send", b"not json"),
            (f"{base}/cmd/send", b"[1,2,3]"),
            (f"{base}/cmd/send", json.dumps({"text": "x" * 300}).encode()),
            (f"{base}/cmd/send", json.dumps({"text": "a\x07b"}).encode()),
            (f"{base}/cmd/send", json.dumps({"text": "hi", "to": "!zz"}).encode()),
            (f"{base}/cmd/send", b"\xff\xfe" * 10),
            (f"{base}/cmd/send", b"{" * 100_000),
            # a lone surrogate used to raise inside the handler (a traceback, no result)
            (f"{base}/cmd/send", b'{"text": "x\\ud800", "to": null, "channel": 0}'),
            (f"{base}/cmd/send", json.dumps({"text": "no destination"}).encode()),
            (msh, os.urandom(300)),
            (msh, b""),
            (msh, os.urandom(200_000)),
            (
                msh,
                encode_envelope(
                    channel="LongFast",
                    gateway="!1",
                    from_num=9,
                    to_num=1,
                    packet_id=5,
                    portnum=1,
                    payload=b"x",
                    key=os.urandom(16),
                ),
            ),
            ("msh/EU_868/2/json/LongFast/!1", b"{]"),
            ("msh/x", b"short topic"),
        ]
        for topic, payload in junk:
            send(mosquitto.port, topic, payload)
        # retained junk on our own topics is overwritten or never read
        send(mosquitto.port, f"{base}/status", b"\x00junk", retain=True)
        send(mosquitto.port, f"{base}/log/0000000000000000", b"junk", retain=True)
        # a flood of commands: rate-limited
        for i in range(40):
            flood = {"text": f"flood {i}", "to": None, "channel": 0}
            send(mosquitto.port, f"{base}/cmd/send", json.dumps(flood))
        names = ("refused_bad_command", "refused_command_flood", "commands_sent")
        wait_for(
            lambda: sum(svc.status()["counts"].get(k, 0) for k in names) == 49,
            what="all 49 commands accounted for",
        )
        append_notes(d, 3)
        wait_for(lambda: len([e for e in sub.entries() if "index" in e]) == 3, what="entries")
        counts: dict[str, Any] = svc.status()["counts"]
        n = len(d.core.log.own)  # type: ignore[arg-type]
        sub.stop()
    assert n == 3, "garbage must never become an entry"
    assert counts["refused_bad_command"] >= 5  # the bucket's burst, then flood refusals
    assert counts["refused_command_flood"] >= 30
    assert counts.get("mesh_bad_protobuf", 0) + counts.get("mesh_bad_packet", 0) >= 1
    assert counts.get("mesh_too_large", 0) >= 1 and counts.get("mesh_no_key", 0) >= 1
    assert counts.get("handler_errors", 0) == 0 and counts.get("publisher_errors", 0) == 0
    assert cmds.events == []
    assert len(radio.sent) <= 6  # the bucket's burst, nothing more
    assert all(t.startswith("flood") for t, _, _ in radio.sent)


def test_wrong_credentials_and_a_dropping_broker_never_stop_the_hub(
    tmp_path: Path, broker: BrokerFactory, wait_for: WaitFor
) -> None:
    mosquitto = broker(users={"canopy-hub": "right"})
    pw = tmp_path / "pw"
    pw.write_text("wrong\n")
    # a "broker" that accepts TCP connections and drops them at once
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    stop = threading.Event()

    def dropper() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                conn.close()
            except OSError:
                continue

    t = threading.Thread(target=dropper, daemon=True)
    t.start()
    try:
        dd = make_hub(tmp_path)
        bad_auth = service(
            f"mqtt://canopy-hub@127.0.0.1:{mosquitto.lan_port}", password_file=str(pw)
        )
        with running(dd, bad_auth) as d:
            wait_for(lambda: bad_auth.status()["counts"].get("auth_failed"), what="auth failure")
            append_notes(d, 2)  # the log carries on
            st = bad_auth.status()
            assert st["connected"] is False and st["backlog"] == 2
            assert "auth_failed" in st["last_error"]
        dropped = service(f"mqtt://127.0.0.1:{srv.getsockname()[1]}")
        with running(dd, dropped) as d:
            wait_for(lambda: sum(dropped.status()["counts"].values()) >= 2, what="drops counted")
            append_notes(d, 1)
            assert dropped.status()["connected"] is False
            assert len(d.core.log.own) == 3  # type: ignore[arg-type]
    finally:
        stop.set()
        t.join(2)
        srv.close()
