"""The adapter against radios that misbehave: garbage, bursts, silence, NAKs, vanishing."""

from __future__ import annotations

import threading

import pytest
from adapter_helpers import Events, fast_backoff
from fake_radio import KEY, MY_NUM, PEER, Conn, fake_radio, from_radio, hold_open, routing, text
from meshtastic.mesh_interface import MeshInterface
from meshtastic.protobuf import mesh_pb2

from radio.adapter import RadioAdapter, RadioUrl, parse_radio_url, transmit
from radio.errors import RadioInputError, RadioTransportError
from radio.events import Connected, Disconnected, NodeSeen, RadioEvent, SendResult, TextReceived

STRANGER = 0x0BADF00D


def test_burst_of_1000_packets_with_garbage_between() -> None:
    undecryptable = mesh_pb2.MeshPacket(to=MY_NUM, encrypted=b"\x99" * 20, id=5)
    setattr(undecryptable, "from", PEER)
    garbage_frames = [
        b"\x94\xc3\x00\x01\x0f",  # a frame that is not a FromRadio protobuf
        b"\x94\xc3\xff\xff",  # a length over 512
        b"INFO | some firmware log line\r\n",
        text(PEER, b"\xff\xfe\xc3 broken utf-8"),
        text(PEER, b"\x01\x02", port=1000),  # unknown port
        from_radio(packet=undecryptable),
    ]
    rejected_per_round = 3  # the last three reach the adapter and are dropped by it

    def burst(conn: Conn) -> None:
        out = bytearray()
        for i in range(1000):
            out += text(PEER, f"msg {i}".encode(), pid=i + 1)
            if i % 100 == 0:
                out += b"".join(garbage_frames)
        out += text(STRANGER, "from nowhere ✓".encode(), pid=5000)
        conn.send(bytes(out))
        hold_open(conn)

    with fake_radio(burst) as radio:
        ev = Events()
        adapter = RadioAdapter(radio.url, ev)
        adapter.start()
        try:
            ev.wait(lambda: len(ev.of(TextReceived)) == 1001, timeout=30, what="1001 texts")
            texts = [t.text for t in ev.of(TextReceived)]
            assert texts[:1000] == [f"msg {i}" for i in range(1000)]
            assert ev.of(TextReceived)[-1].from_num == STRANGER
            status = adapter.status()
            assert status["connected"] and status["dropped_packets"] == 10 * rejected_per_round
            assert not ev.of(Disconnected)
            # the peer from the node DB; its last_heard is not pinned: the library writes
            # each packet's receive time into the same node entry it has queued for
            # publishing, on another thread, so the 1000 texts may overtake the event
            seen = {(n.num, n.long_name, n.short_name, n.public_key) for n in ev.of(NodeSeen)}
            assert (PEER, "Peer", "PEER", KEY) in seen
        finally:
            adapter.stop()


def test_silent_peer_times_out_retries_and_stops_promptly() -> None:
    with fake_radio(hold_open, handshake=False) as radio:
        adapter = RadioAdapter(radio.url, connect_timeout=0.3, backoff=fast_backoff())
        adapter.start()
        try:
            ev = Events()
            ev.wait(lambda: radio.connections >= 2, what="a second connect attempt")
            assert "did not answer" in (adapter.status()["last_error"] or "")
            assert not adapter.status()["connected"]
        finally:
            adapter.stop()
        assert adapter._worker is not None and not adapter._worker.is_alive()


def test_nak_is_reported_with_the_routing_error() -> None:
    def nak(conn: Conn) -> None:
        packet = conn.read_packet()
        assert packet is not None
        conn.send(routing(packet.id, "NO_RESPONSE"))
        hold_open(conn)

    with fake_radio(nak) as radio:
        ev = Events()
        adapter = RadioAdapter(radio.url, ev, duty_cycle=0.5)
        adapter.start()
        try:
            assert adapter.wait_connected(10)
            assert adapter.status()["duty_cycle"] == 0.10  # the radio says EU_868: 10 % at most
            [oid] = adapter.send_text("anyone?", dest=PEER, want_ack=True)
            ev.wait(lambda: ev.of(SendResult), what="SendResult")
            assert ev.of(SendResult) == [SendResult(oid, False, "NO_RESPONSE")]
        finally:
            adapter.stop()


def test_radio_vanishing_mid_send_then_resend_after_reconnect() -> None:
    received: list[mesh_pb2.MeshPacket] = []

    def vanish_first(conn: Conn) -> None:
        packet = conn.read_packet()
        assert packet is not None
        received.append(packet)
        if conn.index == 0:
            conn.sock.close()  # gone, without an ACK
            return
        conn.send(routing(packet.id))
        hold_open(conn)

    with fake_radio(vanish_first) as radio:
        ev = Events()
        adapter = RadioAdapter(radio.url, ev, backoff=fast_backoff())
        adapter.start()
        try:
            [oid] = adapter.send_text("check-in ✓", dest=PEER, want_ack=True)
            ev.wait(lambda: ev.of(SendResult), what="SendResult")
            assert ev.of(SendResult) == [SendResult(oid, True, "ACK")]
            assert radio.connections == 2 and len(ev.of(Connected)) == 2
            assert len(ev.of(Disconnected)) == 1
            assert [p.decoded.payload for p in received] == ["check-in ✓".encode()] * 2
            assert received[1].to == PEER and received[1].want_ack
        finally:
            adapter.stop()


def test_rebooting_radio_is_reconnected() -> None:
    connected = threading.Event()

    def reboot_once(conn: Conn) -> None:
        if conn.index == 0:
            connected.wait(10)
            conn.send(from_radio(rebooted=True))
            conn.handshake()  # like firmware, answer the library's fresh config request
        hold_open(conn)

    with fake_radio(reboot_once) as radio:
        ev = Events()

        def on_event(event: RadioEvent) -> None:
            ev(event)
            if isinstance(event, Connected):
                connected.set()

        adapter = RadioAdapter(radio.url, on_event, backoff=fast_backoff())
        adapter.start()
        try:
            ev.wait(lambda: len(ev.of(Connected)) == 2, what="reconnect after reboot")
            assert ev.of(Disconnected) == [Disconnected("radio link lost")]
            assert adapter.status()["reconnects"] == 1 and radio.connections == 2
        finally:
            adapter.stop()


def test_a_failing_event_handler_does_not_stop_the_adapter() -> None:
    seen: list[object] = []
    lock = threading.Lock()

    def bad_handler(event: object) -> None:
        with lock:
            seen.append(event)
        raise RuntimeError("consumer bug")

    def two_texts(conn: Conn) -> None:
        conn.send(text(PEER, b"one", pid=1) + text(PEER, b"two", pid=2))
        hold_open(conn)

    with fake_radio(two_texts) as radio:
        adapter = RadioAdapter(radio.url, bad_handler)
        adapter.start()
        try:
            Events().wait(lambda: sum(isinstance(e, TextReceived) for e in seen) == 2)
            assert adapter.status()["connected"]
        finally:
            adapter.stop()


def test_library_sys_exit_becomes_a_transport_error() -> None:
    iface = MeshInterface(noProto=True)
    try:
        with pytest.raises(RadioTransportError, match=r"sys\.exit"):
            # port 0 makes the library call sys.exit inside sendData
            transmit(iface, b"x", port=0, dest=PEER, channel=0, want_ack=False,
                     hop_limit=None, mesh_priority=0, on_response=None)  # fmt: skip
    finally:
        iface.close()


def test_constructor_does_no_io() -> None:
    with fake_radio(hold_open) as radio:
        ev = Events()
        adapter = RadioAdapter(radio.url, ev)
        [oid] = adapter.send_text("queued before start")  # accepted without a radio
        assert radio.connections == 0 and adapter.status()["queue"]["REPLY"] == 1
        adapter.stop()  # never started: nothing to join, queue reported as STOPPED
        assert ev.of(SendResult) == [SendResult(oid, False, "STOPPED")]
        assert radio.connections == 0


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        ("tcp://127.0.0.1", RadioUrl("tcp", "127.0.0.1", 4403)),
        ("tcp://radio.local:4500", RadioUrl("tcp", "radio.local", 4500)),
        ("tcp://[::1]:4403/", RadioUrl("tcp", "::1", 4403)),
        ("serial:///dev/ttyUSB0", RadioUrl("serial", "/dev/ttyUSB0")),
        ("ble://Meshtastic_1a2b", RadioUrl("ble", "Meshtastic_1a2b")),
        ("ble://AA:BB:CC:DD:EE:FF", RadioUrl("ble", "AA:BB:CC:DD:EE:FF")),
    ],
)
def test_parse_radio_url(url: str, parsed: RadioUrl) -> None:
    assert parse_radio_url(url) == parsed
    assert parse_radio_url(str(parsed)) == parsed


@pytest.mark.parametrize(
    "url",
    ["", "127.0.0.1:4403", "http://x", "tcp://", "tcp://host:99999", "tcp://host:0",
     "tcp://host:port", "tcp://host/path", "tcp://u@host", "serial://", "ble://", "tcp://a b"],
)  # fmt: skip
def test_bad_radio_urls(url: str) -> None:
    with pytest.raises(RadioInputError):
        parse_radio_url(url)


def test_send_validation() -> None:
    adapter = RadioAdapter("tcp://127.0.0.1:9")
    bad_calls = [
        lambda: adapter.send_text(""),
        lambda: adapter.send_text(b"bytes"),  # type: ignore[arg-type]
        lambda: adapter.send_text("hi", dest=0),
        lambda: adapter.send_text("hi", dest=2**32),
        lambda: adapter.send_text("hi", hop_limit=8),
        lambda: adapter.send_text("hi", channel=8),
        lambda: adapter.send_text("x" * 10_000),  # more than 32 parts
        lambda: adapter.send_data(b"", port=300),
        lambda: adapter.send_data(b"x" * 220, port=300),
        lambda: adapter.send_data(b"x", port=255),
        lambda: adapter.send_data(b"x", port=512),
        lambda: adapter.send_data("text", port=300),  # type: ignore[arg-type]
    ]
    for call in bad_calls:
        with pytest.raises(RadioInputError):
            call()
    assert sum(adapter.status()["queue"].values()) == 0
    assert adapter.send_data(b"x" * 219, port=511) == 1
    assert len(adapter.send_text("é" * 100)) == 1  # exactly 200 bytes: one part
    adapter.stop()
    with pytest.raises(RadioTransportError):
        adapter.send_text("after stop")
