"""Stewards on the radio, end to end: `canopy sim`, `canopy run --radio`, real meshtastic
handhelds. Timed behaviour (overdue) uses the hub's hidden clock-offset file, not sleeps."""

from __future__ import annotations

from pathlib import Path

import pytest
from meshtastic.protobuf.portnums_pb2 import TEXT_MESSAGE_APP
from steward_e2e import Handheld, canopy_json, canopy_ok, hub_options, run_canopy
from support import DaemonFactory, SimFactory, WaitFor

from hub.daemon import call
from radio.sim import RunningSim

HUB, COORD, ALICE, BOB, SPOOF, STRANGER = range(6)


@pytest.fixture
def mesh(tmp_path: Path, sim: SimFactory) -> tuple[RunningSim, Path, Path]:
    data = tmp_path / "hub"
    assert run_canopy("init", "--name", "Corner Shop", data=data).code == 0
    clock = tmp_path / "clock-offset"
    clock.write_text("0")
    # node SPOOF claims ALICE's node number, without her key
    return sim(nodes=6, topology="full", speed=50.0, spoof=[(SPOOF, ALICE)]), data, clock


def entries(data: Path, kind: str) -> list[dict[str, object]]:
    out = canopy_json("log", "show", "--kind", kind, data=data)
    return out if isinstance(out, list) else [out]


def test_stewards_on_the_radio(
    mesh: tuple[RunningSim, Path, Path], running_daemon: DaemonFactory, wait_for: WaitFor
) -> None:
    sim, data, clock = mesh
    hub_num = sim.node_num(HUB)
    extra = ("--alert-ack-timeout", "2", "--alert-max-pages", "2", "--overdue-grace", "60")
    log = data.parent / "daemon.log"
    with running_daemon(data, *hub_options(sim.ports[HUB], *extra, clock_file=clock), log=log):
        radios = {i: Handheld(sim.ports[i], sim.node_num(i), hub_num) for i in range(1, 6)}
        coord, alice, bob = radios[COORD], radios[ALICE], radios[BOB]
        try:
            # -- enrolment
            for radio, handle, role in (
                (coord, "coord", "coordinator"),
                (alice, "alice", "steward"),
                (bob, "bob", "steward"),
            ):
                inv = canopy_json("roster", "invite", "--handle", handle, "--role", role, data=data)
                assert inv["handle"] == handle and len(inv["code"]) == 8
                welcome = radio.ask(f"JOIN {inv['code']}")
                assert welcome.startswith(f"Welcome, {handle}! Enrolled as {role}")
            roster = canopy_json("roster", "list", data=data)
            pinned = {m["handle"]: m["node"] for m in roster["members"]}
            assert pinned == {"coord": coord.num, "alice": alice.num, "bob": bob.num}
            assert all(m["pkey"] and len(m["pkey"]) == 64 for m in roster["members"])
            assert "coord" in canopy_ok("roster", "list", data=data)

            # -- paged ALERTS / MORE (nobody on duty yet, so nobody is re-paged)
            numbers = []
            for i in range(4):
                out = canopy_ok(
                    "alert", f"Road closed at junction {i}: " + "detour " * 12, data=data
                )
                numbers.append(int(out.split("#")[1].split()[0]))
            for radio in (coord, alice, bob, radios[STRANGER]):
                radio.wait(lambda t: t.startswith(f"\aALERT #{numbers[-1]}:"))
            page1 = coord.ask("ALERTS")
            assert page1.startswith(f"Alerts (4): #{numbers[-1]} ") and page1.endswith("MORE)")
            page2 = coord.ask("more")
            assert f"#{numbers[-2]} " in page1 + page2
            for n in numbers:
                canopy_ok("alert", "--cancel", str(n), "reopened", data=data)
            assert coord.ask("ALERTS") == "No active alerts."

            # -- shifts, notes, incidents, WHO
            assert alice.ask("IN 45 north loop").startswith("On duty (#")
            assert bob.ask("in").startswith("On duty (#")
            assert alice.ask("INC damage Elm St").startswith("Incident recorded (#")
            assert alice.ask("LOG 🚲 all quiet, שלום").startswith("Note recorded (#")
            who = coord.ask("WHO")
            assert who.startswith("On duty (2): alice 0m; bob 0m;")
            checkins = entries(data, "checkin")
            assert [(c["author"], c.get("minutes")) for c in checkins] == [
                ("alice", 45),
                ("bob", None),
            ]
            assert entries(data, "note")[-1]["text"] == "🚲 all quiet, שלום"

            # -- an alert reaching every radio, ACK tracking and re-paging
            sent = coord.ask("ALERT Smoke at the school, keep clear")
            n = int(sent.split("#")[1].split()[0])
            for radio in radios.values():
                radio.wait(lambda t: t.startswith(f"\aALERT #{n}: Smoke at the school"))
            since_bob = bob.mark()
            assert bob.ask(f"ACK {n}") == f"ACK recorded (#{n + 1}) for alert #{n}."
            page = alice.wait(lambda t: t.startswith(f"\aALERT #{n} ("), timeout=20)
            assert "Reply ACK" in page
            [alert] = [a for a in canopy_json("alerts", data=data) if a["alert"] == n]
            assert [a["handle"] for a in alert["acks"]] == ["bob"]
            assert alert["pages"].get("alice", 0) >= 1
            assert alice.ask("ACK").startswith("ACK recorded")
            assert coord.ask(f"CANCEL {n}").startswith(f"Alert #{n} cancelled")
            bob.wait(lambda t: t.startswith(f"Alert #{n} cancelled"))
            assert not [
                t for t in bob.texts(hub_num)[since_bob:] if t.startswith(f"\aALERT #{n} (")
            ]
            assert alice.ask(f"ACK {n}") == f"No active alert #{n} (cancelled)."

            # -- web check-in: a code DM'd to the steward's radio
            since = bob.mark()
            call(data / "hub.sock", "webcheckin_start", handle="bob")
            code_dm = bob.wait(lambda t: "web check-in code" in t, since)
            code = code_dm.split("code: ")[1][:6]
            with pytest.raises(Exception, match="wrong code"):
                call(
                    data / "hub.sock",
                    "webcheckin_confirm",
                    handle="bob",
                    code="000000" if code != "000000" else "111111",
                )
            res = call(data / "hub.sock", "webcheckin_confirm", handle="bob", code=code, minutes=20)
            assert entries(data, "checkin")[-1] == {
                **entries(data, "checkin")[-1],
                "author": "bob",
                "minutes": 20,
                "index": res["index"],
            }

            # -- refusals
            before = len(entries(data, "note"))
            since = alice.mark()
            radios[SPOOF].send("LOG spoofed as alice")  # alice's number, no PKI key
            assert alice.wait(lambda t: t.startswith("Not accepted: send an encrypted DM"), since)
            stranger = radios[STRANGER]
            assert "not enrolled" in stranger.ask("LOG hello")
            assert stranger.ask("WHO").startswith("On duty (2)")  # read-only: answered
            since = coord.mark()
            coord.send_channel("IN")
            coord.wait(lambda t: t == "Send commands to the hub as a direct message.", since)
            assert alice.ask("LOG \u202etxt.exe").startswith("Not accepted: the text has control")
            assert alice.ask("florp").startswith("Unknown command. Try:")
            # not UTF-8 on the text port: dropped by the adapter, the hub carries on
            alice.iface.sendData(
                b"LOG \xff\xfe bad", destinationId=hub_num, portNum=TEXT_MESSAGE_APP
            )
            assert alice.ask("WHO").startswith("On duty (2)")
            assert len(entries(data, "note")) == before

            # -- overdue: alice said IN 45; move the hub's clock, not the test's
            since_a, since_c = alice.mark(), coord.mark()
            clock.write_text(str(45 * 60 + 5))
            assert "due back" in alice.wait(lambda t: "due back" in t, since_a, timeout=20)
            clock.write_text(str(45 * 60 + 70))
            alarm = coord.wait(lambda t: "OVERDUE: alice" in t, since_c, timeout=20)
            assert alarm.startswith("\aOVERDUE: alice was due back")
            stages = [(e["handle"], e["stage"]) for e in entries(data, "overdue")]
            assert [s for s in stages if s[0] == "alice"] == [
                ("alice", "reminder"),
                ("alice", "escalated"),
            ]
            assert ("bob", "reminder") in stages  # his web check-in said 20 minutes
            assert alice.ask("OUT home safe").startswith("Off duty (#")

            # -- revocation
            canopy_ok("roster", "revoke", "bob", "--reason", "moved away", data=data)
            assert bob.ask("IN") == "Not accepted: your enrolment was revoked."

            # -- the system clock steps 3 h back, then 6 h forward, under the running daemon
            now = 45 * 60 + 70
            assert alice.ask("IN 30 east loop").startswith("On duty (#")
            shift = entries(data, "checkin")[-1]
            clock.write_text(str(now - 3 * 3600))
            assert alice.ask("LOG after the clock went back").startswith("Note recorded (#")
            note = entries(data, "note")[-1]
            assert note["timestamp"] >= shift["timestamp"]  # nothing dated earlier
            assert note["time_source"] == "unsynced"  # and flagged
            wait_for(lambda: "system clock went back 3 h" in log.read_text(), what="a log line")
            since_a, since_c = alice.mark(), coord.mark()
            clock.write_text(str(now + 3 * 3600))  # alice is now 2.5 h past due
            alice.wait(lambda t: "due back" in t, since_a)
            assert "system clock jumped forward 6 h" in log.read_text()
            clock.write_text(str(now + 3 * 3600 + 70))
            coord.wait(lambda t: "OVERDUE: alice" in t, since_c)
            steps = [e for e in entries(data, "overdue") if e["handle"] == "alice"][-2:]
            assert [e["stage"] for e in steps] == ["reminder", "escalated"]
            # reminded first, alarmed only after the grace: not every alarm at once
            assert int(str(steps[1]["timestamp"])) - int(str(steps[0]["timestamp"])) >= 60
            assert alice.ask("OUT").startswith("Off duty (#")

            # -- a burst of 30 from one radio: answered or refused, the hub keeps going
            def counted() -> tuple[int, int]:
                c = call(data / "hub.sock", "status")["services"]["radio"]["commands"]
                return c.get("LOG", 0), c.get("refused:burst", 0)

            logs0, burst0 = counted()
            since = alice.mark()
            for i in range(30):
                alice.send(f"LOG burst {i}")
            alice.wait(lambda t: t == "Too many messages; wait a minute.", since, timeout=30)
            wait_for(
                lambda: sum(counted()) - logs0 - burst0 >= 30,
                timeout=20,
                what="all 30 of the burst answered or refused",
                interval=0.05,
            )
            logs, bursts = counted()
            assert (logs - logs0) + (bursts - burst0) == 30
            assert bursts > burst0
            burst = [e for e in entries(data, "note") if str(e["text"]).startswith("burst")]
            assert len(burst) == logs - logs0
            assert call(data / "hub.sock", "status")["services"]["radio"]["connected"] is True
            assert all(e["author"] == "alice" for e in entries(data, "note"))
        finally:
            for radio in radios.values():
                radio.close()
