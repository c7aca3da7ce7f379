"""Decoding the library's packet dicts into our events, using dicts the real library made.

Real protobufs go through ``MeshInterface._handleFromRadio`` (the library's own parser and
``MessageToDict``); the published dicts are captured from its pubsub, filtered by interface.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from meshtastic.mesh_interface import MeshInterface
from meshtastic.protobuf import mesh_pb2, portnums_pb2
from pubsub import pub
from support import wait_for

from radio.adapter import PacketDropped, decode_node, decode_packet, decode_public_key
from radio.events import BROADCAST, DataReceived, NodeSeen, PositionReceived, TextReceived

ME, PEER, STRANGER = 0x5EED0000, 0x5EED0001, 0x0BADF00D
KEY = bytes(range(32))


class LibraryCapture:
    """A real library interface with no link; packets go in as FromRadio bytes."""

    def __init__(self) -> None:
        self.iface = MeshInterface(noProto=True)
        self.iface._startConfig()  # empty node DB, as after a connect
        self.packets: list[dict[str, Any]] = []
        self.nodes: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def on_packet(self, packet: dict[str, Any], interface: object) -> None:
        if interface is self.iface:
            with self._lock:
                self.packets.append(packet)

    def on_node(self, node: dict[str, Any], interface: object) -> None:
        if interface is self.iface:
            with self._lock:
                self.nodes.append(node)

    def packet(self, mp: mesh_pb2.MeshPacket) -> dict[str, Any]:
        before = len(self.packets)
        self.iface._handleFromRadio(mesh_pb2.FromRadio(packet=mp).SerializeToString())
        # the library publishes from its own thread
        wait_for(lambda: len(self.packets) > before, 5, "the library to publish the packet", 0.005)
        return self.packets[-1]


@pytest.fixture
def lib() -> Iterator[LibraryCapture]:
    cap = LibraryCapture()
    pub.subscribe(cap.on_packet, "meshtastic.receive")
    pub.subscribe(cap.on_node, "meshtastic.node.updated")
    try:
        yield cap
    finally:
        pub.unsubscribe(cap.on_packet, "meshtastic.receive")
        pub.unsubscribe(cap.on_node, "meshtastic.node.updated")


def text_packet(text: bytes, **kw: Any) -> mesh_pb2.MeshPacket:
    mp = mesh_pb2.MeshPacket(
        decoded=mesh_pb2.Data(portnum=portnums_pb2.PortNum.TEXT_MESSAGE_APP, payload=text), **kw
    )
    setattr(mp, "from", PEER)
    return mp


def with_from(mp: mesh_pb2.MeshPacket, sender: int) -> mesh_pb2.MeshPacket:
    setattr(mp, "from", sender)
    return mp


def test_pki_dm_text_keeps_every_field(lib: LibraryCapture) -> None:
    mp = text_packet(
        "héllo 👋 שלום".encode(), to=ME, id=77, channel=0, pki_encrypted=True,
        public_key=KEY, rx_time=1_700_000_000, hop_start=3, hop_limit=2, rx_snr=5.5,
        rx_rssi=-90, want_ack=True,
    )  # fmt: skip
    event = decode_packet(lib.packet(mp))
    assert event == TextReceived(
        from_num=PEER, to_num=ME, packet_id=77, channel=0, text="héllo 👋 שלום",
        pki_encrypted=True, public_key=KEY, rx_time=1_700_000_000, hop_start=3, hop_limit=2,
        rx_snr=5.5, rx_rssi=-90, via="radio",
    )  # fmt: skip
    assert event.is_direct


def test_channel_broadcast_defaults(lib: LibraryCapture) -> None:
    # hop_limit 0 and channel 0 are protobuf defaults: absent from the library's dict.
    mp = with_from(text_packet(b"all units", to=BROADCAST, id=5, hop_start=3, hop_limit=0), PEER)
    event = decode_packet(lib.packet(mp))
    assert isinstance(event, TextReceived)
    assert (event.to_num, event.channel, event.hop_limit, event.hop_start) == (BROADCAST, 0, 0, 3)
    assert event.pki_encrypted is False and event.public_key is None
    assert event.rx_snr is None and event.rx_rssi is None and event.rx_time is None
    assert not event.is_direct


def test_private_port_binary(lib: LibraryCapture) -> None:
    payload = bytes([0, 255, 0x94, 0xC3]) + bytes(range(200))
    mp = mesh_pb2.MeshPacket(to=ME, id=9, channel=2, via_mqtt=True)
    mp.decoded.portnum = 300  # type: ignore[assignment]  # a private port has no enum name
    mp.decoded.payload = payload
    event = decode_packet(lib.packet(with_from(mp, PEER)))
    assert isinstance(event, DataReceived)
    assert (event.port, event.payload, event.channel, event.via) == (300, payload, 2, "mqtt")
    assert not event.relayed  # no hop_start (firmware before 2.3): taken as heard directly


@pytest.mark.parametrize(("start", "left", "relayed"), [(3, 3, False), (3, 2, True), (1, 0, True)])
def test_a_data_packet_says_whether_another_node_relayed_it(
    lib: LibraryCapture, start: int, left: int, relayed: bool
) -> None:
    mp = mesh_pb2.MeshPacket(to=BROADCAST, id=10, hop_start=start, hop_limit=left)
    mp.decoded.portnum = 300  # type: ignore[assignment]
    mp.decoded.payload = b"\x01"
    event = decode_packet(lib.packet(with_from(mp, PEER)))
    assert isinstance(event, DataReceived) and event.relayed is relayed


def test_packet_from_unknown_node_is_passed(lib: LibraryCapture) -> None:
    event = decode_packet(lib.packet(with_from(text_packet(b"who am i", to=BROADCAST), STRANGER)))
    assert isinstance(event, TextReceived) and event.from_num == STRANGER


def test_nodeinfo_packet_and_node_db_entry(lib: LibraryCapture) -> None:
    user = mesh_pb2.User(id="!5eed0001", long_name="Ana Patrol", short_name="ANA", public_key=KEY)
    mp = mesh_pb2.MeshPacket(to=BROADCAST, id=3, rx_time=1234)
    mp.decoded.portnum = portnums_pb2.PortNum.NODEINFO_APP
    mp.decoded.payload = user.SerializeToString()
    assert decode_packet(lib.packet(with_from(mp, PEER))) == NodeSeen(
        PEER, "Ana Patrol", "ANA", KEY, 1234
    )
    info = mesh_pb2.NodeInfo(num=PEER, user=user, last_heard=4321)
    lib.iface._handleFromRadio(mesh_pb2.FromRadio(node_info=info).SerializeToString())
    wait_for(lambda: lib.nodes, 5, "the library to publish the node", 0.005)
    assert decode_node(lib.nodes[-1]) == NodeSeen(PEER, "Ana Patrol", "ANA", KEY, 4321)


def test_ordinary_meshtastic_traffic_is_ignored(lib: LibraryCapture) -> None:
    mp = mesh_pb2.MeshPacket(to=BROADCAST, id=4)
    mp.decoded.portnum = portnums_pb2.PortNum.POSITION_APP
    mp.decoded.payload = mesh_pb2.Position(latitude_i=1, longitude_i=2).SerializeToString()
    assert decode_packet(lib.packet(with_from(mp, PEER))) is None


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda: text_packet(b"\xff\xfe not utf-8 \xc3", to=ME), "not UTF-8"),
        (lambda: mesh_pb2.MeshPacket(to=ME, encrypted=b"\x01\x02\x03"), "undecryptable"),
        (lambda: mesh_pb2.MeshPacket(to=ME, decoded=mesh_pb2.Data(portnum=1000)), "unknown port"),  # type: ignore[arg-type]
    ],
)
def test_garbage_from_the_radio_is_dropped_with_a_reason(
    lib: LibraryCapture, build: Any, reason: str
) -> None:
    with pytest.raises(PacketDropped, match=reason):
        decode_packet(lib.packet(with_from(build(), PEER)))


GOOD: dict[str, Any] = {
    "from": PEER,
    "to": ME,
    "id": 1,
    "decoded": {"portnum": "TEXT_MESSAGE_APP", "payload": b"hi"},
}


@pytest.mark.parametrize(
    "packet",
    [
        "not a dict",
        None,
        {**GOOD, "from": 0},
        {**GOOD, "from": BROADCAST},
        {**GOOD, "from": -5},
        {**GOOD, "from": "!5eed0001"},
        {**GOOD, "from": True},
        {**GOOD, "to": 2**40},
        {**GOOD, "hopLimit": 99},
        {**GOOD, "decoded": {"portnum": "NOPE_APP", "payload": b"x"}},
        {**GOOD, "decoded": {"portnum": "TEXT_MESSAGE_APP", "payload": "str, not bytes"}},
        {**GOOD, "decoded": {"portnum": 3.5, "payload": b"x"}},
        {**GOOD, "decoded": {"portnum": "NODEINFO_APP", "payload": b"x"}},
        {k: v for k, v in GOOD.items() if k != "decoded"},
    ],
)
def test_hostile_dicts_raise_packet_dropped(packet: Any) -> None:
    with pytest.raises(PacketDropped):
        decode_packet(packet)


def test_public_key_must_be_32_bytes() -> None:
    assert decode_public_key(base64.b64encode(KEY).decode()) == KEY
    assert decode_public_key(base64.b64encode(KEY[:31]).decode()) is None
    assert decode_public_key("***not base64***") is None
    assert decode_public_key(12345) is None
    event = decode_packet({**GOOD, "pkiEncrypted": True, "publicKey": "AAAA"})
    assert isinstance(event, TextReceived) and event.pki_encrypted and event.public_key is None


def test_hostile_node_entries() -> None:
    with pytest.raises(PacketDropped):
        decode_node({"num": 0})
    with pytest.raises(PacketDropped):
        decode_node({"user": {"longName": "x"}})
    seen = decode_node({"num": PEER, "user": "garbage", "lastHeard": "yesterday"})
    assert seen == NodeSeen(PEER, "", "", None, None)


def position_packet(gps_time: int) -> mesh_pb2.MeshPacket:
    pos = mesh_pb2.Position(latitude_i=515000000, longitude_i=-1200000, time=gps_time)
    return mesh_pb2.MeshPacket(
        id=77,
        to=BROADCAST,
        decoded=mesh_pb2.Data(
            portnum=portnums_pb2.PortNum.POSITION_APP, payload=pos.SerializeToString()
        ),
        **{"from": PEER},
    )


def test_position_with_gps_time_becomes_an_event(lib: LibraryCapture) -> None:
    event = decode_packet(lib.packet(position_packet(1_795_000_000)))
    assert event == PositionReceived(from_num=PEER, gps_time=1_795_000_000)


@pytest.mark.parametrize("bad_time", [0, 12345, 1_000_000_000])
def test_position_without_a_usable_time_is_ignored(lib: LibraryCapture, bad_time: int) -> None:
    assert decode_packet(lib.packet(position_packet(bad_time))) is None
