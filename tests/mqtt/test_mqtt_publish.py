"""The log as an outbox on a real Mosquitto: entries, status, alerts, outages, the cursor."""

from __future__ import annotations

import base64
import json
import signal
import threading
import uuid
from pathlib import Path

from mqttkit import Collector, append_notes, make_hub, running, service
from support import Broker, BrokerFactory, WaitFor

from hub.local import open_db
from hub.mqtt import Outbox


def test_entries_status_and_alerts_appear_on_their_topics(
    tmp_path: Path, broker: BrokerFactory, wait_for: WaitFor
) -> None:
    mosquitto = broker()
    dd = make_hub(tmp_path)
    sub = Collector(mosquitto.port).start()
    svc = service(mosquitto.url)
    with running(dd, svc) as d:
        feed = d.core.log.feed_hex
        base = f"canopy/v1/{feed[:16]}"
        append_notes(d, 5)
        alert = d.submit(lambda: d.core.log.append("alert", {"text": "smoke on Elm St"}))
        wait_for(lambda: any(s["alerts"] for s in sub.on("/alerts")), what="active alert")
        d.submit(lambda: d.core.log.append("ack", {"alert": alert.index}, author="ana"))
        wait_for(
            lambda: any(a["acks"] for s in sub.on("/alerts") for a in s["alerts"]),
            what="acknowledged alert",
        )
        d.submit(lambda: d.core.log.append("cancel", {"alert": alert.index}))
        wait_for(lambda: len(sub.entries()) == 8, what="8 entries")
        wait_for(lambda: sub.on("/alerts")[-1]["alerts"] == [], what="alert cancelled")
        raw = d.core.log.own.read_range(0, 8)  # type: ignore[union-attr]
        wait_for(lambda: svc.status()["backlog"] == 0, what="every PUBACK applied")
        status = svc.status()
    entries = sub.entries()
    assert [e["index"] for e in entries] == list(range(8))
    assert {e["feed"] for e in entries} == {feed}
    assert [e["kind"] for e in entries] == ["note"] * 5 + ["alert", "ack", "cancel"]
    assert entries[0]["text"] == "n0" and entries[6]["alert"] == 5
    assert entries[6]["author"] == "ana"
    assert [base64.b64decode(e["entry"]) for e in entries] == raw
    assert all(t == f"{base}/log/{feed[:16]}" for t, _, _ in sub.messages if "/log/" in t)
    online = sub.on("/status")[0]
    assert online["online"] is True and online["feed"] == feed and online["hub"] == "Corner Shop"
    active = next(s for s in sub.on("/alerts") if s["alerts"])["alerts"][0]
    assert active["alert"] == 5 and active["text"] == "smoke on Elm St"
    assert status["connected"] is True and status["backlog"] == 0
    # a clean stop leaves "offline, stopped" retained; the cursor is saved
    wait_for(lambda: sub.on("/status")[-1]["online"] is False, what="offline status")
    assert sub.on("/status")[-1]["reason"] == "stopped"
    sub.stop()
    db = open_db(dd.state)
    assert Outbox.load(db) == {feed: 8}
    db.close()
    # retained state is there for a late subscriber
    late = Collector(mosquitto.port, topics=(f"{base}/status", f"{base}/alerts")).start()
    wait_for(lambda: len(late.messages) == 2, what="retained status and alerts")
    assert all(retain for _, _, retain in late.messages)
    late.stop()


def test_restart_resumes_at_the_saved_cursor(
    tmp_path: Path, broker: BrokerFactory, wait_for: WaitFor
) -> None:
    mosquitto = broker()
    dd = make_hub(tmp_path)
    sub = Collector(mosquitto.port).start()
    with running(dd, service(mosquitto.url)) as d:
        append_notes(d, 4, "a")
        wait_for(lambda: len(sub.entries()) == 4, what="first 4")
    with running(dd) as d:  # no MQTT this time: the log carries on alone
        append_notes(d, 3, "b")
    with running(dd, service(mosquitto.url)) as d:
        wait_for(lambda: len(sub.entries()) == 7, what="the 3 appended offline")
        append_notes(d, 2, "c")
        wait_for(lambda: len(sub.entries()) == 9, what="2 more")
    texts = [e["text"] for e in sub.entries()]
    assert texts == ["a0", "a1", "a2", "a3", "b0", "b1", "b2", "c0", "c1"]
    sub.stop()


def saved_after_acks(sub: Collector, mosquitto: Broker, wait_for: WaitFor) -> None:
    """Until the broker's persistence file holds every acknowledgement the dashboard has
    sent so far: its session gains a sentinel subscription, and the file names it.

    Two round trips: the client's network thread answers each delivery (PUBACK) before it
    reads the next packet, so once the first SUBACK is back every PUBACK is queued ahead
    of the second SUBSCRIBE, which the broker therefore handles after them.
    """
    topic = ""
    for n in range(2):
        topic = f"canopy/v1/test/saved-{uuid.uuid4().hex}-{n}"
        sub.subscribed.clear()
        sub.client.subscribe(topic, 1)
        wait_for(sub.subscribed.is_set, what="the sentinel's SUBACK")
    db = mosquitto.dir / "mosquitto.db"
    wait_for(
        lambda: db.exists() and topic.encode() in db.read_bytes(),
        what="the broker's autosave to hold the dashboard's acknowledgements",
    )


def test_broker_killed_and_restarted_nothing_lost_or_duplicated(
    tmp_path: Path, broker: BrokerFactory, wait_for: WaitFor
) -> None:
    mosquitto = broker()
    dd = make_hub(tmp_path)
    # a dashboard with a persistent session: the broker queues for it while it is away
    sub = Collector(mosquitto.port, client_id="dashboard").start(clean=False)
    svc = service(mosquitto.url)
    with running(dd, svc) as d:
        append_notes(d, 30, "before")
        wait_for(lambda: len(sub.entries()) == 30, what="30 before the outage")
        saved_after_acks(sub, mosquitto, wait_for)
        mosquitto.kill(signal.SIGKILL)
        wait_for(lambda: not svc.status()["connected"], what="hub notices the outage")
        append_notes(d, 50, "during")  # the log carries on without the broker
        assert svc.status()["backlog"] == 50
        mosquitto.start()
        wait_for(lambda: len(sub.entries()) >= 80, timeout=30, what="catch-up")
        append_notes(d, 5, "after")
        wait_for(lambda: len(sub.entries()) >= 85, what="live again")
        wait_for(lambda: svc.status()["backlog"] == 0, what="cursor at the end")
        # a duplicate would come before a sentinel the hub publishes after the last entry
        append_notes(d, 1, "sentinel")
        wait_for(lambda: len(sub.entries()) >= 86, what="the sentinel")
    idx = [e["index"] for e in sub.entries()]
    assert idx == list(range(86)), "gaps, duplicates or disorder"
    assert svc.status()["counts"].get("disconnects", 0) >= 1
    sub.stop()


def test_broker_killed_mid_stream_leaves_no_gaps(
    tmp_path: Path, broker: BrokerFactory, wait_for: WaitFor
) -> None:
    mosquitto = broker()
    dd = make_hub(tmp_path)
    sub = Collector(mosquitto.port, client_id="dash2").start(clean=False)
    svc = service(mosquitto.url)
    with running(dd, svc) as d:
        stop = threading.Event()

        def writer() -> None:
            i = 0
            while not stop.is_set() and i < 400:
                d.submit(lambda i=i: d.core.log.append("note", {"text": f"s{i}"}))
                i += 1

        t = threading.Thread(target=writer)
        t.start()
        wait_for(lambda: len(sub.entries()) >= 40, what="stream flowing")
        mosquitto.kill(signal.SIGTERM)  # mid-stream: entries in flight
        mosquitto.start()
        t.join(60)
        n = len(d.core.log.own)  # type: ignore[arg-type]
        wait_for(lambda: svc.status()["backlog"] == 0, timeout=30, what="cursor at the end")
        wait_for(lambda: {e["index"] for e in sub.entries()} >= set(range(n)), what="all")
    idx = [e["index"] for e in sub.entries()]
    first_seen = list(dict.fromkeys(idx))
    assert first_seen == list(range(n)), "a gap or out-of-order entry"
    # only messages in flight when the broker went down may come twice
    assert len(idx) - n <= svc.settings.limits.window
    sub.stop()


def test_status_last_will_when_the_hub_dies(
    tmp_path: Path, broker: BrokerFactory, wait_for: WaitFor
) -> None:
    import os
    import subprocess
    import sys

    mosquitto = broker()
    dd = make_hub(tmp_path)
    feed = json.loads(dd.identity.read_text())["feed"]
    sub = Collector(mosquitto.port, topics=(f"canopy/v1/{feed[:16]}/status",)).start()
    code = (
        "import sys; sys.path.insert(0, sys.argv[3]); from pathlib import Path;"
        "from mqttkit import service; from hub.daemon.loop import Daemon;"
        "from hub.local.datadir import DataDir;"
        "d = Daemon(DataDir(Path(sys.argv[1]))); d.services.append(service(sys.argv[2]));"
        "d.start(); d.run_forever()"
    )
    here = str(Path(__file__).parent)
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(dd.root), mosquitto.url, here],
        env={**os.environ, "PYTHONPATH": f"{Path(here).parents[1]}{os.pathsep}{Path(here).parent}"},
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: sub.on("/status"), timeout=20, what="online status")
        assert sub.on("/status")[-1]["online"] is True
        proc.kill()  # kill -9: no goodbye; only the Last Will can tell
        proc.wait(10)
        wait_for(lambda: sub.on("/status")[-1]["online"] is False, what="Last Will")
        assert sub.on("/status")[-1]["reason"] == "connection lost"
    finally:
        if proc.poll() is None:
            proc.kill()
    sub.stop()


def test_radio_traffic_is_published_for_dashboards(
    tmp_path: Path, broker: BrokerFactory, wait_for: WaitFor
) -> None:
    from radio.events import TextReceived

    mosquitto = broker()
    dd = make_hub(tmp_path)
    svc = service(mosquitto.url)
    svc.publish_radio({"type": "TextReceived"})  # not started: dropped, counted
    with running(dd, svc) as d:
        sub = Collector(mosquitto.port, topics=(f"canopy/v1/{d.core.log.feed_hex[:16]}/radio/#",))
        sub.start()
        wait_for(lambda: svc.status()["connected"], what="connected")
        ev = TextReceived(
            from_num=0x1234, to_num=0xFFFFFFFF, packet_id=9, channel=0, text="hi all",
            pki_encrypted=True, public_key=b"\x01\x02", rx_time=None, hop_start=3,
            hop_limit=2, rx_snr=5.5, rx_rssi=-90,
        )  # fmt: skip
        svc.publish_radio(ev)
        svc.publish_radio({"type": "node seen!", "num": 5})
        svc.publish_radio(42)  # not an event: refused, counted
        wait_for(lambda: sub.count("/radio/") == 2, what="two radio events")
        counts = svc.status()["counts"]
        sub.stop()
    (text,) = sub.on("/radio/textreceived")
    assert text["text"] == "hi all" and text["public_key"] == "0102"
    assert sub.on("/radio/nodeseen")[0]["num"] == 5
    assert counts["radio_dropped"] == 1 and counts["radio_bad_event"] == 1
