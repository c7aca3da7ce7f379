"""The radio service in the real daemon loop, in-process, with a hand-driven clock.

The daemon, its control socket, the adapter and the simulator are real; only the wall clock
is ours, so overdue and re-paging times pass without sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from steward_e2e import Handheld, canopy_json, run_canopy
from steward_helpers import FakeClock
from support import SimFactory, daemon_thread, wait_for

from hub.daemon import Daemon
from hub.local import DataDir
from radio.events import TextReceived
from radio.service import RadioService


@dataclass
class Rig:
    daemon: Daemon
    service: RadioService
    clock: FakeClock
    data: Path
    hub: int
    coord: Handheld
    alice: Handheld

    def kinds(self) -> list[str]:
        return [e["kind"] for e in canopy_json("log", "show", data=self.data)]


@pytest.fixture
def rig(tmp_path: Path, sim: SimFactory) -> Iterator[Rig]:
    data = tmp_path / "hub"
    assert run_canopy("init", "--name", "Corner Shop", data=data).code == 0
    # written while no daemon runs: logged now, broadcast when the radio comes up
    assert run_canopy("alert", "Water main burst on Elm St", data=data).code == 0
    clock = FakeClock(time.time() + 1)
    mesh = sim(nodes=3, topology="full", speed=50.0)
    coord = Handheld(mesh.ports[1], mesh.node_num(1), mesh.node_num(0))
    alice = Handheld(mesh.ports[2], mesh.node_num(2), mesh.node_num(0))
    daemon = Daemon(DataDir(data), clock=clock)
    service = RadioService(f"tcp://127.0.0.1:{mesh.ports[0]}", tick=0.05)
    daemon.services.append(service)
    with daemon_thread(daemon):
        # the radio hands a received text only to a client already connected (the simulator,
        # like current firmware): a steward's JOIN sent before that would be lost
        wait_for(lambda: service.connected, 30.0, what="the hub's radio to connect")
        try:
            yield Rig(daemon, service, clock, data, mesh.node_num(0), coord, alice)
        finally:
            coord.close()
            alice.close()


def enrol(rig: Rig, radio: Handheld, handle: str, role: str = "steward") -> None:
    inv = canopy_json("roster", "invite", "--handle", handle, "--role", role, data=rig.data)
    assert radio.ask(f"JOIN {inv['code']}").startswith(f"Welcome, {handle}!")


def test_offline_alert_broadcast_when_radio_comes_up(rig: Rig) -> None:
    text = rig.alice.wait(lambda t: "Water main" in t)
    assert text == "\aALERT #0: Water main burst on Elm St (reply ACK 0)"


def test_overdue_and_repaging_follow_the_hub_clock(rig: Rig) -> None:
    enrol(rig, rig.coord, "coord", "coordinator")
    enrol(rig, rig.alice, "alice")
    assert rig.alice.ask("IN 5").startswith("On duty")
    since = rig.alice.mark()
    rig.clock.advance(121)  # alert #0 (sent offline) is now unacknowledged past the timeout
    page = rig.alice.wait(lambda t: t.startswith("\aALERT #0 ("), since)
    assert "Water main" in page
    rig.clock.advance(180)  # 5 minutes since IN 5
    assert "due back" in rig.alice.wait(lambda t: "due back" in t, since)
    since_c = rig.coord.mark()
    rig.clock.advance(600)
    assert "OVERDUE: alice" in rig.coord.wait(lambda t: "OVERDUE" in t, since_c)
    assert rig.kinds().count("overdue") == 2


def test_unauthenticated_path_changes_nothing_and_costs_no_airtime(rig: Rig) -> None:
    enrol(rig, rig.alice, "alice")
    member = rig.daemon.submit(lambda: rig.daemon.core.state.roster.get("alice"))
    assert member is not None and member.pkey is not None

    def mqtt_text(text: str, packet_id: int) -> TextReceived:
        # claims everything a radio DM would, but it came over MQTT
        return TextReceived(
            rig.alice.num,
            rig.hub,
            packet_id,
            0,
            text,
            True,
            member.pkey,
            None,
            None,
            None,
            None,
            None,
            via="mqtt",
        )

    since = rig.alice.mark()
    rig.service.handle_unauthenticated(mqtt_text("LOG via the broker", 77))
    rig.service.handle_unauthenticated(mqtt_text("WHO", 78))
    # a real radio DM afterwards is answered: the MQTT texts were not, and left no trace.
    # They reached the desk on the loop before this DM, so an answer to them would have been
    # queued first; the adapter's queue and the simulated air are FIFO, so once this answer
    # is heard an earlier one would have been heard too: no need to wait any longer.
    rig.alice.send("WHO")
    assert rig.alice.wait(lambda t: t == "Nobody is on duty.", since)
    assert [t for t in rig.alice.texts()[since:] if t == "Nobody is on duty."] == [
        "Nobody is on duty."
    ]
    assert "note" not in rig.kinds()
    status = rig.daemon.status()["services"]["radio"]
    assert status["connected"] is True
    assert status["commands"]["unauthenticated-path"] == 2
