"""Hostile and heavy clients against a virtual node: none of them disturbs the others."""

from __future__ import annotations

from meshtastic.protobuf import mesh_pb2, portnums_pb2
from sim_helpers import RawClient, inbox, interfaces
from support import SimFactory, WaitFor


def test_silent_garbage_and_undecodable_clients_do_not_block_the_library(
    sim: SimFactory, wait_for: WaitFor
) -> None:
    mesh = sim(nodes=2, topology="full")
    silent = RawClient(mesh.ports[0])  # connects and never says a word
    garbage = RawClient(mesh.ports[0])
    garbage.send_raw(b"\x00\xffnot a frame at all\r\n" * 50)
    undecodable = RawClient(mesh.ports[0])
    undecodable.send_raw(b"\x94\xc3\x00\x03\xff\xff\xff")  # valid frame, bad protobuf
    with inbox() as box, interfaces(mesh.ports) as [a, b]:
        b.sendText("still working")
        wait_for(lambda: box.texts(a), what="text past the hostile clients")
    # the client that sent a bad protobuf is still served
    undecodable.handshake(nonce=77)
    assert any(m.HasField("my_info") for m in undecodable.received)
    garbage.handshake(nonce=78)
    for c in (silent, garbage, undecodable):
        c.close()


def test_oversize_frame_lengths_drop_only_that_connection(sim: SimFactory) -> None:
    mesh = sim(nodes=1, topology="full")
    bad = RawClient(mesh.ports[0])
    good = RawClient(mesh.ports[0])
    bad.send_raw(b"\x94\xc3\x7f\xff" * 20)  # 32767-byte frames, far over 512
    assert bad.is_closed_by_peer()
    good.handshake()
    assert good.received[-1].config_complete_id == 1234
    bad.close()
    good.close()


def test_special_nonces_split_config_and_node_db(sim: SimFactory) -> None:
    mesh = sim(nodes=3, topology="full")
    c = RawClient(mesh.ports[0])
    c.handshake(nonce=69420)
    assert [m.node_info.num for m in c.received if m.HasField("node_info")] == [mesh.node_num(0)]
    assert any(m.HasField("config") for m in c.received)
    c.received.clear()
    c.handshake(nonce=69421)  # the second phase of newer apps: the node DB only
    nums = [m.node_info.num for m in c.received if m.HasField("node_info")]
    assert nums == [mesh.node_num(i) for i in range(3)]
    assert not any(m.HasField("config") for m in c.received)
    c.close()


def test_a_thousand_packet_burst_is_queued_and_delivered(sim: SimFactory) -> None:
    # hop limit 0 on the node too: the packets' own 0 would otherwise mean "the node's" (3)
    mesh = sim(nodes=2, topology="full", speed=500.0, preset="SHORT_TURBO", hop_limit=0)
    rx = RawClient(mesh.ports[1])
    rx.handshake()
    tx = RawClient(mesh.ports[0])
    tx.handshake()
    burst = b""
    for k in range(1000):
        p = mesh_pb2.MeshPacket(to=0xFFFFFFFF, hop_limit=0, id=k + 1)
        p.decoded.portnum = portnums_pb2.PortNum.PRIVATE_APP
        p.decoded.payload = k.to_bytes(4, "big")
        msg = mesh_pb2.ToRadio(packet=p).SerializeToString()
        burst += bytes([0x94, 0xC3, len(msg) >> 8, len(msg) & 0xFF]) + msg
    tx.send_raw(burst)

    def got() -> set[int]:
        return {m.packet.id for m in rx.received if m.HasField("packet")}

    while len(got()) < 1000:
        assert rx.read_until(lambda m: m.HasField("packet"), timeout=30), len(got())
    assert got() == set(range(1, 1001))
    assert all(
        getattr(m.packet, "from") == mesh.node_num(0) for m in rx.received if m.HasField("packet")
    )
    rx.close()
    tx.close()
    stats = mesh.stop()
    assert stats["nodes"][0]["packets_sent"] == 1000
