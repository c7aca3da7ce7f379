"""The simulated medium without sockets: flooding, hops, ACK/NAK, collisions, duty cycle, PKI."""

from __future__ import annotations

from meshtastic.protobuf import mesh_pb2, portnums_pb2

from radio.lora import frame_airtime_s
from radio.sim import (
    BROADCAST_NUM,
    Delivery,
    Link,
    Medium,
    SimConfig,
    build_config,
    config_from_dict,
    node_num,
    preset_params,
)

TEXT = portnums_pb2.PortNum.TEXT_MESSAGE_APP
ROUTING = portnums_pb2.PortNum.ROUTING_APP
Err = mesh_pb2.Routing.Error


def text(
    to: int, body: bytes = b"hello", *, want_ack: bool = False, hop: int = 3
) -> mesh_pb2.MeshPacket:
    p = mesh_pb2.MeshPacket(to=to, hop_limit=hop, want_ack=want_ack)
    p.decoded.portnum = TEXT
    p.decoded.payload = body
    return p


def run(medium: Medium, until: float = 1e6) -> list[Delivery]:
    out: list[Delivery] = []
    while (t := medium.next_deadline()) is not None and t <= until:
        out += medium.advance(t)
    return out


def texts_at(out: list[Delivery], node: int) -> list[mesh_pb2.MeshPacket]:
    return [d.packet for d in out if d.node == node and d.packet.decoded.portnum == TEXT]


def routing_at(out: list[Delivery], node: int) -> list[tuple[int, int, int]]:
    """(from, request_id, error) of the routing packets node `node`'s clients got."""
    res = []
    for d in out:
        if d.node == node and d.packet.decoded.portnum == ROUTING:
            r = mesh_pb2.Routing.FromString(d.packet.decoded.payload)
            res.append((getattr(d.packet, "from"), d.packet.decoded.request_id, r.error_reason))
    return res


def test_chain_of_four_delivers_once_with_decreasing_hop_limit() -> None:
    m = Medium(build_config(4, "chain", preset="SHORT_FAST"))
    out = m.submit(0, text(BROADCAST_NUM), 0.0)
    out += run(m)
    hops = {i: [p.hop_limit for p in texts_at(out, i)] for i in range(4)}
    assert hops == {0: [], 1: [3], 2: [2], 3: [1]}
    assert all(p.hop_start == 3 for i in range(4) for p in texts_at(out, i))
    assert all(getattr(p, "from") == node_num(0) for p in texts_at(out, 3))
    assert texts_at(out, 3)[0].relay_node == node_num(2) & 0xFF


def test_beyond_hop_limit_is_out_of_range() -> None:
    m = Medium(build_config(6, "chain", preset="SHORT_FAST"))
    out = m.submit(0, text(BROADCAST_NUM, hop=3), 0.0) + run(m)
    assert [len(texts_at(out, i)) for i in range(6)] == [0, 1, 1, 1, 1, 0]
    # hop limit 0 in the packet means "the node's": only a node configured with 0 stops at 1
    m = Medium(build_config(3, "chain", preset="SHORT_FAST", hop_limit=0))
    out = m.submit(0, text(BROADCAST_NUM, hop=0), 0.0) + run(m)
    assert [len(texts_at(out, i)) for i in range(3)] == [0, 1, 0]


def test_dm_is_acked_over_the_mesh_and_carries_pki_proof() -> None:
    cfg = build_config(4, "chain", preset="SHORT_FAST")
    m = Medium(cfg)
    out = m.submit(0, text(node_num(3), want_ack=True), 0.0) + run(m)
    [got] = texts_at(out, 3)
    assert got.pki_encrypted and got.public_key == cfg.nodes[0].public_key
    assert got.rx_snr == 6.0 and got.rx_rssi == -80
    assert routing_at(out, 0) == [(node_num(3), got.id, Err.NONE)]
    assert not texts_at(out, 1) and not texts_at(out, 2)  # relays do not show a DM


def test_dm_to_unreachable_node_naks_max_retransmit() -> None:
    m = Medium(build_config(6, "chain", preset="SHORT_FAST"))
    out = m.submit(0, text(node_num(5), want_ack=True, hop=3), 0.0) + run(m)
    assert not texts_at(out, 5)
    [(src, _, err)] = routing_at(out, 0)
    assert (src, err) == (node_num(0), Err.MAX_RETRANSMIT)
    assert m.stats()["nodes"][0]["packets_sent"] == 4  # first try + 3 retransmissions


def test_broadcast_want_ack_gets_implicit_ack_from_rebroadcast() -> None:
    m = Medium(build_config(3, "chain", preset="SHORT_FAST"))
    out = m.submit(0, text(BROADCAST_NUM, want_ack=True), 0.0) + run(m)
    assert [(s, e) for s, _, e in routing_at(out, 0)] == [(node_num(0), Err.NONE)]


def test_total_loss_drops_everything_and_naks() -> None:
    m = Medium(build_config(2, "full", preset="SHORT_FAST", loss=1.0))
    out = m.submit(0, text(node_num(1), want_ack=True), 0.0) + run(m)
    assert not texts_at(out, 1)
    assert routing_at(out, 0)[0][2] == Err.MAX_RETRANSMIT
    assert m.stats()["nodes"][1]["packets_dropped"] == 4


def test_partial_loss_is_recovered_by_retransmission() -> None:
    m = Medium(build_config(2, "full", preset="SHORT_FAST", loss=0.5, seed=7))
    delivered = answers = acked = 0
    for k in range(20):
        out = m.submit(0, text(node_num(1), want_ack=True), k * 100.0) + run(m, k * 100.0 + 99)
        delivered += len(texts_at(out, 1))
        answers += len(routing_at(out, 0))
        acked += sum(1 for _, _, e in routing_at(out, 0) if e == Err.NONE)
    assert answers == 20  # every want_ack packet gets exactly one ACK or NAK
    assert 15 <= delivered <= 20  # retransmissions recover most losses, never duplicate
    assert acked >= 10
    assert m.stats()["totals"]["packets_dropped"] > 0


def test_hidden_nodes_collide_at_the_middle_node() -> None:
    m = Medium(build_config(3, "chain", preset="LONG_FAST", hop_limit=0))
    out = m.submit(0, text(BROADCAST_NUM, hop=0), 0.0)
    out += m.submit(2, text(BROADCAST_NUM, hop=0), 0.0)
    out += run(m)
    assert not texts_at(out, 1)
    assert m.stats()["nodes"][1]["collisions"] == 2


def test_nodes_in_earshot_wait_for_a_clear_channel() -> None:
    m = Medium(build_config(5, "full", preset="LONG_FAST", hop_limit=0))
    out: list[Delivery] = []
    for i in range(5):
        out += m.submit(i, text(BROADCAST_NUM, hop=0), 0.0)
    out += run(m)
    assert m.stats()["totals"]["collisions"] == 0
    assert all(len(texts_at(out, i)) == 4 for i in range(5))
    air = frame_airtime_s(16 + len(text(0).decoded.SerializeToString()), preset_params("LONG_FAST"))
    assert m.now >= 5 * air  # serialised on the channel


def test_full_mesh_rebroadcast_is_cancelled_by_a_neighbours() -> None:
    m = Medium(build_config(6, "full", preset="SHORT_FAST"))
    out = m.submit(0, text(BROADCAST_NUM), 0.0) + run(m)
    assert all(len(texts_at(out, i)) == 1 for i in range(1, 6))
    assert m.stats()["totals"]["packets_sent"] < 6


def _eu(window: float) -> SimConfig:
    return build_config(2, "full", preset="LONG_FAST", region="EU_868", duty_cycle_window_s=window)


def test_eu_duty_cycle_refuses_with_duty_cycle_limit_and_recovers() -> None:
    m = Medium(_eu(10.0))  # 10 % of 10 s = 1 s of airtime: one LONG_FAST packet
    first = m.submit(0, text(node_num(1)), 0.0)
    second = m.submit(0, text(node_num(1)), 0.1)
    assert routing_at(first, 0) == []
    [(src, _, err)] = routing_at(second, 0)
    assert (src, err) == (node_num(0), Err.DUTY_CYCLE_LIMIT)
    run(m)
    assert routing_at(m.submit(0, text(node_num(1)), 20.0), 0) == []
    assert m.stats()["nodes"][0]["duty_cycle_refusals"] == 1


def test_us_has_no_duty_cycle() -> None:
    m = Medium(build_config(2, "full", preset="LONG_FAST", region="US", duty_cycle_window_s=10.0))
    assert all(not routing_at(m.submit(0, text(node_num(1)), 0.0), 0) for _ in range(20))


def test_spoofer_claims_a_number_but_cannot_prove_it() -> None:
    cfg = build_config(3, "full", preset="SHORT_FAST", spoof={2: 0})
    m = Medium(cfg)
    out = m.submit(2, text(node_num(1)), 0.0) + run(m)
    [got] = texts_at(out, 1)
    assert getattr(got, "from") == node_num(0)
    assert not got.pki_encrypted and not got.public_key
    assert not texts_at(out, 0)  # the real node 0 drops a packet claiming its own number


def test_legacy_node_dms_carry_no_pki() -> None:
    cfg = config_from_dict(
        {"nodes": [{}, {"legacy": True}, {}], "links": [{"a": 0, "b": 1}, {"a": 1, "b": 2}]},
        preset="SHORT_FAST",
    )
    m = Medium(cfg)
    out = m.submit(1, text(node_num(0)), 0.0) + run(m)
    out += m.submit(0, text(node_num(1)), 50.0) + run(m)
    assert not texts_at(out, 0)[0].pki_encrypted
    assert not texts_at(out, 1)[0].pki_encrypted
    out = m.submit(0, text(node_num(2)), 100.0) + run(m)
    assert texts_at(out, 2)[0].pki_encrypted


def test_client_demanding_pki_to_keyless_node_gets_nak() -> None:
    cfg = config_from_dict({"nodes": [{}, {"legacy": True}], "links": [{"a": 0, "b": 1}]})
    m = Medium(cfg)
    p = text(node_num(1))
    p.pki_encrypted = True
    assert routing_at(m.submit(0, p, 0.0), 0)[0][2] == Err.PKI_UNKNOWN_PUBKEY


def test_oversize_payload_is_refused() -> None:
    m = Medium(build_config(2, "full"))
    assert routing_at(m.submit(0, text(node_num(1), b"x" * 240), 0.0), 0)[0][2] == Err.TOO_LARGE


def test_per_link_loss_snr_and_directed_links() -> None:
    cfg = config_from_dict(
        {
            "preset": "SHORT_FAST",
            "nodes": 3,
            "links": [
                {"a": 0, "b": 1, "snr": -3.5, "rssi": -110},
                {"a": 0, "b": 2, "directed": True, "loss": 1.0},
            ],
        }
    )
    assert (2, 0) not in cfg.links and cfg.links[(0, 2)] == Link(1.0, 6.0, -80)
    m = Medium(cfg)
    out = m.submit(0, text(BROADCAST_NUM, hop=0), 0.0) + run(m)
    assert (texts_at(out, 1)[0].rx_snr, texts_at(out, 1)[0].rx_rssi) == (-3.5, -110)
    assert not texts_at(out, 2)


def test_a_thousand_packet_burst_is_queued_and_sent() -> None:
    m = Medium(build_config(3, "full", preset="SHORT_TURBO", hop_limit=0))
    out: list[Delivery] = []
    for _ in range(1000):
        out += m.submit(0, text(BROADCAST_NUM, hop=0), 0.0)
    out += run(m)
    assert len(texts_at(out, 1)) == 1000 and len(texts_at(out, 2)) == 1000
    assert m.stats()["nodes"][0]["packets_sent"] == 1000


def test_same_config_same_keys_and_numbers() -> None:
    a, b = build_config(3, "chain"), build_config(3, "chain")
    c = build_config(3, "chain", seed=1)
    assert [n.public_key for n in a.nodes] == [n.public_key for n in b.nodes]
    assert a.nodes[0].public_key != c.nodes[0].public_key
    assert len({n.public_key for n in a.nodes}) == 3
    assert [n.num for n in a.nodes] == [0x5EED0000, 0x5EED0001, 0x5EED0002]
    assert (a.nodes[1].long_name, a.nodes[1].short_name) == ("Sim Node 1", "S01")


def test_submit_returns_deliveries_that_fell_due_before_it() -> None:
    m = Medium(build_config(2, "full", preset="SHORT_FAST"))
    assert m.submit(0, text(BROADCAST_NUM, hop=0), 0.0) == []
    out = m.submit(0, text(BROADCAST_NUM, hop=0), 100.0)  # no advance() in between
    assert len(texts_at(out, 1)) == 1


def test_ack_hop_limit_covers_the_distance_the_request_travelled() -> None:
    m = Medium(build_config(7, "chain", preset="SHORT_FAST"))
    out = m.submit(0, text(node_num(6), want_ack=True, hop=7), 0.0) + run(m)
    [got] = texts_at(out, 6)
    assert (got.hop_start, got.hop_limit) == (7, 2)  # 5 relays
    assert [e for _, _, e in routing_at(out, 0)] == [Err.NONE]


def test_client_packet_without_hop_limit_gets_the_nodes_and_crosses_a_chain_of_four() -> None:
    # The meshtastic library hands its node a want_ack DM with hop_limit 0; the firmware
    # gives such a packet the configured hop limit, so it is relayed like any other.
    cfg = build_config(4, "chain", preset="SHORT_FAST")
    m = Medium(cfg)
    out = m.submit(0, text(node_num(3), want_ack=True, hop=0), 0.0) + run(m)
    [got] = texts_at(out, 3)
    assert (got.hop_start, got.hop_limit) == (3, 1)
    assert routing_at(out, 0) == [(node_num(3), got.id, Err.NONE)]
    out = m.submit(0, text(BROADCAST_NUM, hop=0), 100.0) + run(m)
    assert [[(p.hop_start, p.hop_limit) for p in texts_at(out, i)] for i in range(4)] == [
        [],
        [(3, 3)],
        [(3, 2)],
        [(3, 1)],
    ]


def test_configured_hop_limit_fills_in_and_an_explicit_one_is_honoured() -> None:
    m = Medium(build_config(6, "chain", preset="SHORT_FAST", hop_limit=5))
    out = m.submit(0, text(BROADCAST_NUM, hop=0), 0.0) + run(m)
    assert [len(texts_at(out, i)) for i in range(6)] == [0, 1, 1, 1, 1, 1]
    assert texts_at(out, 5)[0].hop_start == 5
    out = m.submit(0, text(BROADCAST_NUM, hop=1), 100.0) + run(m)
    assert [len(texts_at(out, i)) for i in range(6)] == [0, 1, 1, 0, 0, 0]
    assert texts_at(out, 2)[0].hop_start == 1
    out = m.submit(0, text(node_num(4), want_ack=True, hop=2), 200.0) + run(m)
    assert not texts_at(out, 4)  # 3 hops away: out of reach with an explicit limit of 2
    assert [e for _, _, e in routing_at(out, 0)] == [Err.MAX_RETRANSMIT]
