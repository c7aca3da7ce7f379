"""Scripted partitions: links that go down during [t0, t1) of simulated time and heal after,
in the sans-IO medium, in topology files, and through `canopy sim`."""

from __future__ import annotations

import itertools
import json
import math
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from meshtastic.protobuf import mesh_pb2, portnums_pb2
from sim_helpers import RawClient
from support import SimFactory, WaitFor

from radio.sim import (
    BROADCAST_NUM,
    Delivery,
    Link,
    Medium,
    TopologyError,
    build_config,
    config_from_dict,
    load_topology,
    node_num,
    sim_cmd,
)

TEXT = portnums_pb2.PortNum.TEXT_MESSAGE_APP
ROUTING = portnums_pb2.PortNum.ROUTING_APP
Err = mesh_pb2.Routing.Error


def text(to: int, *, want_ack: bool = False, id: int = 0) -> mesh_pb2.MeshPacket:
    p = mesh_pb2.MeshPacket(to=to, want_ack=want_ack, id=id)  # hop_limit 0: the node's
    p.decoded.portnum = TEXT
    p.decoded.payload = b"across the gap?"
    return p


def run(medium: Medium) -> list[Delivery]:
    out: list[Delivery] = []
    while (t := medium.next_deadline()) is not None:
        out += medium.advance(t)
    return out


def heard(out: list[Delivery]) -> list[int]:
    """Nodes whose clients got a text."""
    return sorted(d.node for d in out if d.packet.decoded.portnum == TEXT)


def routing_errors(out: list[Delivery], node: int) -> list[int]:
    return [
        mesh_pb2.Routing.FromString(d.packet.decoded.payload).error_reason
        for d in out
        if d.node == node and d.packet.decoded.portnum == ROUTING
    ]


def test_link_is_down_from_t0_up_to_but_not_including_t1() -> None:
    link = Link(down=((5.0, 10.0), (20.0, math.inf)))
    assert [link.is_up(t) for t in (0.0, 4.999, 5.0, 9.999, 10.0, 19.9, 20.0, 1e9)] == [
        True, True, False, False, True, True, False, False
    ]  # fmt: skip
    assert Link().is_up(0.0) and Link().down == ()


def test_chain_partition_blocks_during_the_interval_and_heals_after() -> None:
    cfg = build_config(3, "chain", preset="SHORT_FAST")
    cfg.link_down(1, 2, 10.0, 60.0)
    m = Medium(cfg)
    assert heard(m.submit(0, text(BROADCAST_NUM), 0.0) + run(m)) == [1, 2]
    assert heard(m.submit(0, text(BROADCAST_NUM), 20.0) + run(m)) == [1]  # 2 is cut off
    out = m.submit(0, text(node_num(2), want_ack=True), 30.0) + run(m)
    assert heard(out) == [] and routing_errors(out, 0) == [Err.MAX_RETRANSMIT]
    assert m.now < 60.0  # every retransmission fell inside the partition
    assert heard(m.submit(0, text(BROADCAST_NUM), 60.0) + run(m)) == [1, 2]  # healed at t1
    out = m.submit(0, text(node_num(2), want_ack=True), 70.0) + run(m)
    assert heard(out) == [2] and routing_errors(out, 0) == [Err.NONE]
    # planning keeps seeing the static topology
    assert cfg.hops_away(0) == {0: 0, 1: 1, 2: 2}
    assert [dst for dst, _ in cfg.neighbours(1)] == [0, 2]


def test_a_directed_outage_cuts_one_way_only() -> None:
    cfg = build_config(2, "full", preset="SHORT_FAST")
    cfg.link_down(0, 1, 0.0, directed=True)  # down for good, 0 -> 1 only
    m = Medium(cfg)
    assert heard(m.submit(0, text(BROADCAST_NUM), 0.0) + run(m)) == []
    assert heard(m.submit(1, text(BROADCAST_NUM), 10.0) + run(m)) == [0]


def test_partition_splits_a_full_mesh_and_heals() -> None:
    cfg = build_config(4, "full", preset="SHORT_FAST")
    cfg.partition({0, 1}, 0.0, 100.0)
    m = Medium(cfg)
    assert heard(m.submit(0, text(BROADCAST_NUM), 0.0) + run(m)) == [1]
    assert heard(m.submit(3, text(BROADCAST_NUM), 50.0) + run(m)) == [2]
    assert heard(m.submit(1, text(BROADCAST_NUM), 100.0) + run(m)) == [0, 2, 3]
    assert cfg.links[(0, 2)].down == ((0.0, 100.0),) and cfg.links[(0, 1)].down == ()


def test_link_down_after_the_medium_is_built_still_applies() -> None:
    cfg = build_config(2, "full", preset="SHORT_FAST")
    m = Medium(cfg)
    cfg.link_down(0, 1, 5.0, 15.0)
    assert heard(m.submit(0, text(BROADCAST_NUM), 6.0) + run(m)) == []
    assert heard(m.submit(0, text(BROADCAST_NUM), 15.0) + run(m)) == [1]


def test_intervals_are_merged_and_bad_ones_refused() -> None:
    cfg = build_config(2, "full")
    cfg.link_down(0, 1, 30.0, 40.0)
    cfg.link_down(0, 1, 5.0, 10.0)
    cfg.link_down(0, 1, 8.0, 20.0)
    cfg.link_down(0, 1, 20.0, 25.0)
    assert cfg.links[(1, 0)].down == ((5.0, 25.0), (30.0, 40.0))
    for t0, t1 in ((-1.0, 5.0), (7.0, 7.0), (9.0, 3.0), (math.nan, 3.0), (math.inf, math.inf)):
        with pytest.raises(TopologyError, match="link 0->1"):
            cfg.link_down(0, 1, t0, t1)
    assert cfg.links[(0, 1)].down == ((5.0, 25.0), (30.0, 40.0))  # unchanged by refusals
    with pytest.raises(TopologyError, match="no link"):
        build_config(3, "chain").link_down(0, 2, 0.0, 1.0)
    with pytest.raises(TopologyError, match="unknown nodes"):
        cfg.partition({5}, 0.0, 1.0)
    with pytest.raises(TopologyError):
        Link(down=((3.0, 1.0),))


def test_topology_file_down_intervals(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    doc = {
        "preset": "SHORT_FAST",
        "nodes": 3,
        "links": [
            {"a": 0, "b": 1, "down": [[50, 60], [10, 20.5], [15, 30]]},
            {"a": 1, "b": 2, "directed": True, "down": []},
        ],
    }
    path.write_text(json.dumps(doc))
    cfg = load_topology(path)
    assert cfg.links[(0, 1)].down == ((10.0, 30.0), (50.0, 60.0)) == cfg.links[(1, 0)].down
    assert cfg.links[(1, 2)].down == ()
    m = Medium(cfg)
    assert heard(m.submit(1, text(BROADCAST_NUM), 0.0) + run(m)) == [0, 2]
    assert heard(m.submit(1, text(BROADCAST_NUM), 25.0) + run(m)) == [2]
    assert heard(m.submit(1, text(BROADCAST_NUM), 30.0) + run(m)) == [0, 2]


HOSTILE_DOWNS: list[tuple[Any, str]] = [
    ([[-1, 5]], "finite time >= 0"),
    ([[5, 1]], "t0 < t1"),
    ([[5, 5]], "t0 < t1"),
    ([["1", 5]], "not a time"),
    ([[0, None]], "not a time"),
    ([[True, 5]], "not a time"),
    ([[0, 5, 9]], "not a [t0, t1] pair"),
    ([5], "not a [t0, t1] pair"),
    ("soon", "list of [t0, t1] pairs"),
    ({"from": 0, "to": 5}, "list of [t0, t1] pairs"),
]


@pytest.mark.parametrize(("down", "message"), HOSTILE_DOWNS)
def test_hostile_down_intervals_are_refused(down: Any, message: str) -> None:
    doc = {"nodes": 2, "links": [{"a": 0, "b": 1, "down": down}]}
    with pytest.raises(TopologyError, match="link 0-1") as caught:
        config_from_dict(doc)
    assert message in str(caught.value)


def test_hostile_topology_file_is_refused_by_canopy_sim(tmp_path: Path) -> None:
    runner = CliRunner()
    for i, (down, message) in enumerate(HOSTILE_DOWNS[:4]):
        bad = tmp_path / f"bad{i}.json"
        bad.write_text(json.dumps({"nodes": 2, "links": [{"a": 0, "b": 1, "down": down}]}))
        result = runner.invoke(sim_cmd, ["--topology", str(bad), "--base-port", "1"])
        assert result.exit_code != 0, down
        assert "Traceback" not in result.output
        assert "link 0-1" in result.output and message in result.output
    nan = tmp_path / "nan.json"
    nan.write_text('{"nodes": 2, "links": [{"a": 0, "b": 1, "down": [[NaN, 5]]}]}')
    result = runner.invoke(sim_cmd, ["--topology", str(nan), "--base-port", "1"])
    assert result.exit_code != 0 and "not a time" in result.output


def _broadcast_frame(packet_id: int) -> mesh_pb2.ToRadio:
    p = mesh_pb2.MeshPacket(to=BROADCAST_NUM, id=packet_id)
    p.decoded.portnum = TEXT
    p.decoded.payload = f"probe {packet_id}".encode()
    return mesh_pb2.ToRadio(packet=p)


def test_canopy_sim_partition_from_a_topology_file_blocks_then_heals(
    sim: SimFactory, wait_for: WaitFor, tmp_path: Path
) -> None:
    speed, heal = 50.0, 350.0  # the link comes back 7 s of wall time after the start
    topology = tmp_path / "split.json"
    topology.write_text(json.dumps({"nodes": 2, "links": [{"a": 0, "b": 1, "down": [[0, heal]]}]}))
    before = time.monotonic()  # the simulated clock starts after this
    mesh = sim(topology=topology, speed=speed)
    rx, tx = RawClient(mesh.ports[1]), RawClient(mesh.ports[0])
    try:
        rx.handshake()
        tx.handshake()
        tx.send(_broadcast_frame(1))
        assert (time.monotonic() - before) * speed < heal - 50, "sent too late to test"
        ids = itertools.count(2)

        def probe() -> bool:
            tx.send(_broadcast_frame(next(ids)))
            return rx.read_until(lambda m: m.HasField("packet"), timeout=0.5)

        wait_for(probe, timeout=heal / speed + 20, what="a packet across the healed link")
        # at the first arrival the simulated time (at most this bound) had reached `heal`
        assert (time.monotonic() - before) * speed >= heal
        got = [m.packet.id for m in rx.received if m.HasField("packet")]
        assert got and 1 not in got  # what was sent while the link was down never crossed
    finally:
        rx.close()
        tx.close()
    stats = mesh.stop()
    sent, received = stats["nodes"][0]["packets_sent"], stats["nodes"][1]["packets_received"]
    assert received >= 1 and sent > received  # the probes sent during the outage went unheard
