"""The real meshtastic library and CLI against `canopy sim` subprocesses."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from meshtastic.protobuf import channel_pb2, config_pb2
from sim_helpers import OFFLINE_ENV, VENV_BIN, inbox, interfaces
from support import SimFactory, WaitFor

from radio.sim import build_config


def meshtastic_cli(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "meshtastic"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=OFFLINE_ENV,
        check=False,
    )


def test_library_handshake_sees_every_node_and_the_config(sim: SimFactory) -> None:
    keys = [n.public_key for n in build_config(3, "chain").nodes]
    mesh = sim(nodes=3, topology="chain", region="EU_868")
    with (
        interfaces([mesh.ports[1]]) as [iface],
    ):
        assert iface.myInfo.my_node_num == mesh.node_num(1) == 0x5EED0001
        assert iface.metadata.firmware_version == "2.7.11.sim"
        assert set(iface.nodes) == {"!5eed0000", "!5eed0001", "!5eed0002"}
        users = {n["num"]: n["user"] for n in iface.nodes.values()}
        assert users[0x5EED0002]["longName"] == "Sim Node 2"
        assert users[0x5EED0002]["shortName"] == "S02"
        assert [iface.nodesByNum[0x5EED0000 + i]["user"]["publicKey"] for i in range(3)] == [
            __import__("base64").b64encode(k).decode() for k in keys
        ]
        lora = iface.localNode.localConfig.lora
        assert lora.hop_limit == 3 and lora.tx_enabled
        assert lora.region == config_pb2.Config.LoRaConfig.RegionCode.EU_868
        assert lora.modem_preset == config_pb2.Config.LoRaConfig.ModemPreset.SHORT_FAST
        ch = iface.localNode.getChannelByChannelIndex(0)
        assert ch.role == channel_pb2.Channel.Role.PRIMARY and ch.settings.psk == b"\x01"


def test_cli_info_and_sendtext_with_ack_and_pki(sim: SimFactory, wait_for: WaitFor) -> None:
    keys = [n.public_key for n in build_config(3, "chain").nodes]
    mesh = sim(nodes=3, topology="chain")
    with (
        inbox() as box,
        interfaces([mesh.ports[2]]) as [dest],
    ):
        info = meshtastic_cli("--host", f"127.0.0.1:{mesh.ports[0]}", "--info")
        assert info.returncode == 0, info.stderr
        assert "Owner: Sim Node 0 (S00)" in info.stdout
        assert '"!5eed0002"' in info.stdout and "2.7.11.sim" in info.stdout
        sent = meshtastic_cli(
            "--host", f"127.0.0.1:{mesh.ports[0]}", "--sendtext", "hi there",
            "--dest", mesh.node_id(2), "--ack",
        )  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        assert "Received an ACK." in sent.stdout
        [got] = wait_for(lambda: box.texts(dest), what="DM at node 2")
        assert got["decoded"]["text"] == "hi there"
        assert got["from"] == mesh.node_num(0) and got["to"] == mesh.node_num(2)
        assert got["raw"].pki_encrypted and got["raw"].public_key == keys[0]
        assert (got["hopStart"], got["hopLimit"]) == (3, 2)


def test_chain_of_four_multi_hop_delivered_once(sim: SimFactory, wait_for: WaitFor) -> None:
    mesh = sim(nodes=4, topology="chain")
    with (
        inbox() as box,
        interfaces(mesh.ports) as ifaces,
    ):
        ifaces[0].sendText("over the hills")
        wait_for(lambda: box.texts(ifaces[3]), what="text at node 3")
        # Room for any duplicate to show up: node 3 answers back down the chain. Each node
        # sends in order (FIFO), so every relay of the first text is on the air before the
        # answer passes it; once nodes 0-2 hear the answer, any duplicate would have arrived.
        ifaces[3].sendText("marker")

        def heard(iface: object, text: str) -> list[dict[str, object]]:
            return [p for p in box.texts(iface) if p["decoded"]["text"] == text]

        wait_for(lambda: all(heard(i, "marker") for i in ifaces[:3]), what="the answer back")
        got = [heard(i, "over the hills") for i in ifaces]
        assert [len(g) for g in got] == [0, 1, 1, 1]
        assert [g[0]["hopLimit"] for g in got[1:]] == [3, 2, 1]
        assert all(g[0]["hopStart"] == 3 and g[0]["fromId"] == "!5eed0000" for g in got[1:])
        assert not got[1][0]["raw"].pki_encrypted  # channel messages carry no proof
        assert all("rxSnr" in g[0] and g[0]["rxRssi"] == -80 for g in got[1:])


def test_beyond_hop_limit_nothing_arrives_and_dm_naks(sim: SimFactory, wait_for: WaitFor) -> None:
    mesh = sim(nodes=6, topology="chain", speed=200.0)
    with (
        inbox() as box,
        interfaces([mesh.ports[0], mesh.ports[4], mesh.ports[5]]) as [src, near, far],
    ):
        src.sendText("broadcast")
        wait_for(lambda: box.texts(near), what="text 4 hops away")
        p = src.sendText("dm", destinationId=mesh.node_id(5), wantAck=True)
        [nak] = wait_for(lambda: box.routing_for(src, p.id), what="NAK", timeout=30)
        assert nak["decoded"]["routing"]["errorReason"] == "MAX_RETRANSMIT"
        assert box.texts(far) == []


def test_total_loss_drops_and_naks_and_stats_count_it(
    tmp_path: Path, sim: SimFactory, wait_for: WaitFor
) -> None:
    mesh = sim(nodes=2, topology="full", loss=1.0, speed=200.0, workdir=tmp_path)
    with inbox() as box, interfaces(mesh.ports) as [a, b]:
        p = a.sendText("lost", destinationId=mesh.node_id(1), wantAck=True)
        [nak] = wait_for(lambda: box.routing_for(a, p.id), what="NAK", timeout=30)
        assert nak["decoded"]["routing"]["errorReason"] == "MAX_RETRANSMIT"
        assert box.texts(b) == []
    stats = mesh.stop()
    assert stats["nodes"][0]["packets_sent"] == 4
    assert stats["nodes"][1]["packets_dropped"] == 4
    assert stats["nodes"][1]["packets_received"] == 0
    assert stats["totals"]["packets_sent"] == 4
    assert json.loads((tmp_path / "sim-stats.json").read_text()) == stats


def test_spoofed_dm_has_no_pki_but_genuine_dm_has(sim: SimFactory, wait_for: WaitFor) -> None:
    mesh = sim(nodes=3, topology="full", spoof=[(2, 0)])
    with (
        inbox() as box,
        interfaces(mesh.ports) as [real, victim, attacker],
    ):
        attacker.sendText("I am node 0", destinationId=mesh.node_id(1))
        [fake] = wait_for(lambda: box.texts(victim), what="spoofed DM")
        assert fake["from"] == mesh.node_num(0)
        assert not fake["raw"].pki_encrypted and not fake["raw"].public_key
        real.sendText("really node 0", destinationId=mesh.node_id(1))
        genuine = wait_for(lambda: box.texts(victim)[1:], what="genuine DM")[0]
        assert genuine["from"] == mesh.node_num(0) and genuine["raw"].pki_encrypted
        key = victim.nodesByNum[mesh.node_num(0)]["user"]["publicKey"]
        assert __import__("base64").b64encode(genuine["raw"].public_key).decode() == key


def test_legacy_node_from_topology_file(tmp_path: Path, sim: SimFactory, wait_for: WaitFor) -> None:
    topo = tmp_path / "topo.json"
    topo.write_text(
        json.dumps(
            {"nodes": [{}, {"legacy": True, "long_name": "Old Timer"}], "links": [{"a": 0, "b": 1}]}
        )
    )
    mesh = sim(nodes=2, topology=topo)
    with (
        inbox() as box,
        interfaces(mesh.ports) as [a, b],
    ):
        assert "publicKey" not in a.nodesByNum[mesh.node_num(1)]["user"]
        assert a.nodesByNum[mesh.node_num(1)]["user"]["longName"] == "Old Timer"
        b.sendText("old style", destinationId=mesh.node_id(0))
        [got] = wait_for(lambda: box.texts(a), what="legacy DM")
        assert not got["raw"].pki_encrypted


def test_duty_cycle_limit_nak_on_eu_868(tmp_path: Path, sim: SimFactory, wait_for: WaitFor) -> None:
    topo = tmp_path / "eu.json"
    # 10 % of a 20 s window = 2 s of airtime: two LONG_FAST packets of ~0.8 s, not three.
    topo.write_text(
        json.dumps(
            {
                "nodes": 2,
                "links": [{"a": 0, "b": 1}],
                "region": "EU_868",
                "preset": "LONG_FAST",
                "hop_limit": 0,
                "duty_cycle_window_s": 20,
            }
        )
    )
    mesh = sim(nodes=2, topology=topo, preset="LONG_FAST", region="EU_868", speed=5.0)
    with inbox() as box, interfaces(mesh.ports[:1]) as [a]:
        sent = [a.sendText(f"message number {k} " + "x" * 50, hopLimit=0) for k in range(3)]
        [nak] = wait_for(lambda: box.routing_for(a, sent[2].id), what="duty-cycle NAK")
        assert nak["decoded"]["routing"]["errorReason"] == "DUTY_CYCLE_LIMIT"
        assert box.routing_for(a, sent[0].id) == box.routing_for(a, sent[1].id) == []
    stats = mesh.stop()
    assert stats["config"]["duty_cycle_percent"] == 10.0
    assert stats["nodes"][0]["duty_cycle_refusals"] == 1


def test_two_clients_on_one_node_both_receive(sim: SimFactory, wait_for: WaitFor) -> None:
    mesh = sim(nodes=2, topology="full")
    with (
        inbox() as box,
        interfaces([mesh.ports[0], mesh.ports[1], mesh.ports[1]]) as [a, b1, b2],
    ):
        a.sendText("to both")
        wait_for(lambda: box.texts(b1) and box.texts(b2), what="both clients")
        b1.close()  # one client leaving does not disturb the other
        a.sendText("to the one left")
        wait_for(lambda: len(box.texts(b2)) == 2, what="second text")


def test_interface_reconnects_after_sim_restart_on_same_ports(
    sim: SimFactory, wait_for: WaitFor
) -> None:
    mesh = sim(nodes=2, topology="full", reuse_port=True)
    with (
        inbox() as box,
        interfaces(mesh.ports[:1]) as [a],
    ):
        before = a.myInfo
        mesh.restart()
        # The library notices the closed socket, reconnects and redoes the config handshake.
        wait_for(lambda: a.myInfo is not None and a.myInfo is not before, what="new handshake")
        wait_for(lambda: a.localNode.channels, what="channels")
        with interfaces(mesh.ports[1:]) as [b]:
            assert b.myInfo.my_node_num == mesh.node_num(1)
            a.sendText("after restart")
            [got] = wait_for(lambda: box.texts(b), what="text after restart")
            assert got["from"] == mesh.node_num(0)
