"""The adapter through the real meshtastic library against the LoRa mesh simulator."""

from __future__ import annotations

import time

from adapter_helpers import Events, fast_backoff
from support import SimFactory, WaitFor

from radio.adapter import RadioAdapter
from radio.events import (
    BROADCAST,
    Connected,
    DataReceived,
    Disconnected,
    NodeSeen,
    Priority,
    SendResult,
    TextReceived,
)
from radio.fragment import parse_tag


def url(port: int) -> str:
    return f"tcp://127.0.0.1:{port}"


def test_connect_receive_send_with_ack(sim: SimFactory) -> None:
    mesh = sim(nodes=2, topology="full", speed=50.0)
    ev_a, ev_b = Events(), Events()
    a = RadioAdapter(url(mesh.ports[0]), ev_a)
    b = RadioAdapter(url(mesh.ports[1]), ev_b)
    assert a.status()["connected"] is False  # constructed, nothing opened yet
    started = time.monotonic()
    a.start()
    b.start()
    try:
        ev_a.wait(lambda: ev_a.of(Connected), what="Connected")
        connect_s = time.monotonic() - started
        print(f"connect to a virtual node: {connect_s * 1000:.0f} ms")
        assert ev_a.of(Connected)[0] == Connected(
            mesh.node_num(0), "Sim Node 0", "S00", "2.7.11.sim"
        )
        assert a.my_node_num == mesh.node_num(0)
        ev_a.wait(lambda: any(n.num == mesh.node_num(1) for n in ev_a.of(NodeSeen)))
        peer = next(n for n in ev_a.of(NodeSeen) if n.num == mesh.node_num(1))
        assert peer.public_key is not None and len(peer.public_key) == 32
        assert b.wait_connected(10)

        dm_ids = a.send_text("DM 👋 שלום", dest=mesh.node_num(1), want_ack=True)
        bc_ids = a.send_text("to everyone", dest=BROADCAST, priority=Priority.ALERT)
        data_id = a.send_data(b"\x00\xffbin", port=300, dest=mesh.node_num(1), want_ack=True)
        ev_a.wait(lambda: len(ev_a.results()) == 3, what="three SendResults")
        results = ev_a.results()
        assert results[dm_ids[0]] == [SendResult(dm_ids[0], True, "ACK")]
        assert results[bc_ids[0]] == [SendResult(bc_ids[0], True, "SENT")]
        assert results[data_id] == [SendResult(data_id, True, "ACK")]

        ev_b.wait(lambda: len(ev_b.of(TextReceived)) == 2 and ev_b.of(DataReceived))
        dm = next(t for t in ev_b.of(TextReceived) if t.is_direct)
        assert (dm.text, dm.from_num, dm.pki_encrypted) == ("DM 👋 שלום", a.my_node_num, True)
        assert dm.public_key == next(
            n.public_key for n in ev_b.of(NodeSeen) if n.num == mesh.node_num(0)
        )
        broadcast = next(t for t in ev_b.of(TextReceived) if not t.is_direct)
        assert (broadcast.text, broadcast.pki_encrypted) == ("to everyone", False)
        # the library's pubsub is process-global: A must not see what B's radio heard
        assert not ev_a.of(TextReceived) and not ev_a.of(DataReceived)
        data = ev_b.of(DataReceived)[0]
        assert (data.port, data.payload, data.pki_encrypted) == (300, b"\x00\xffbin", True)

        status = a.status()
        assert status["connected"] and status["preset"] == "SHORT_FAST"
        assert status["airtime_used_s"] > 0 and status["queue"] == {
            "ALERT": 0, "REPLY": 0, "BULK": 0,
        }  # fmt: skip
    finally:
        a.stop()
        b.stop()
    assert ev_a.of(Disconnected)[-1] == Disconnected("stopped")


def test_long_text_arrives_as_tagged_parts(sim: SimFactory) -> None:
    text = "Patrol report: " + "all quiet on Rue Oberkampf, 🌙 " * 20
    mesh = sim(nodes=2, topology="full", speed=50.0)
    ev_a, ev_b = Events(), Events()
    a, b = RadioAdapter(url(mesh.ports[0]), ev_a), RadioAdapter(url(mesh.ports[1]), ev_b)
    a.start()
    b.start()
    try:
        assert b.wait_connected(10)
        ids = a.send_text(text, dest=mesh.node_num(1), want_ack=True)
        assert len(ids) > 1
        ev_b.wait(lambda: len(ev_b.of(TextReceived)) == len(ids), what="all parts")
        ev_a.wait(lambda: len(ev_a.results()) == len(ids), what="all ACKs")
    finally:
        a.stop()
        b.stop()
    got = [t.text for t in ev_b.of(TextReceived)]
    assert all(len(p.encode()) <= 200 for p in got)
    tagged = sorted(parse_tag(p) for p in got)  # type: ignore[type-var]
    assert "".join(t[2] for t in tagged) == text
    assert all(r[0].ok for r in ev_a.results().values())


def test_reconnects_after_sim_restart_and_delivers_queued_message(
    sim: SimFactory, wait_for: WaitFor
) -> None:
    mesh = sim(nodes=2, topology="full", speed=50.0)
    ev_a, ev_b = Events(), Events()
    backoff = fast_backoff()
    a = RadioAdapter(url(mesh.ports[0]), ev_a, backoff=backoff)
    b = RadioAdapter(url(mesh.ports[1]), ev_b, backoff=fast_backoff())
    a.start()
    b.start()
    try:
        assert a.wait_connected(10) and b.wait_connected(10)
        mesh.kill()
        ev_a.wait(lambda: ev_a.of(Disconnected), what="Disconnected")
        ids = a.send_text("queued while the radio was away", dest=mesh.node_num(1), want_ack=True)
        wait_for(
            lambda: backoff.attempt >= 3 and "refused" in (a.status()["last_error"] or "").lower(),
            what="several failed reconnect attempts with backoff",
        )
        assert not a.status()["connected"] and a.status()["queue"]["REPLY"] == 1
        assert "refused" in (a.status()["last_error"] or "").lower()
        mesh.start(mesh.base_port, 20.0)
        ev_a.wait(lambda: len(ev_a.of(Connected)) == 2, what="second Connected")
        ev_a.wait(lambda: ids[0] in ev_a.results(), what="SendResult after reconnect")
        assert ev_a.results()[ids[0]] == [SendResult(ids[0], True, "ACK")]
        assert a.status()["reconnects"] == 1
    finally:
        a.stop()
        b.stop()


def test_peer_vanishing_mid_send_loses_nothing(sim: SimFactory) -> None:
    """Every accepted part gets exactly one SendResult, whatever happens to the link."""
    mesh = sim(nodes=2, topology="full", speed=50.0)
    ev = Events()
    a = RadioAdapter(url(mesh.ports[0]), ev, backoff=fast_backoff(), max_in_flight=4)
    a.start()
    try:
        assert a.wait_connected(10)
        ids = [a.send_text(f"msg {i}", dest=mesh.node_num(1), want_ack=True)[0] for i in range(30)]
        ev.wait(lambda: ev.of(SendResult), what="first SendResult")
        mesh.kill()  # mid-send: parts queued, in flight, and done
        ev.wait(lambda: ev.of(Disconnected), what="Disconnected")
        mesh.start(mesh.base_port, 20.0)
        ev.wait(lambda: len(ev.results()) == len(ids), timeout=30, what="all SendResults")
        results = ev.results()
        assert sorted(results) == sorted(ids)
        assert all(len(r) == 1 for r in results.values())
        assert all(r[0].ok for r in results.values())
        # and a peer that vanishes for good: what is still pending is reported on stop
        late = a.send_text("never delivered", dest=mesh.node_num(1), want_ack=True)
        mesh.kill()
    finally:
        a.stop()
    [late_result] = ev.results()[late[0]]  # exactly one, even for a radio gone for good
    assert late_result.reason in ("ACK", "STOPPED")
