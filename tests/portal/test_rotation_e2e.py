"""A mandate end to end: `canopy sim`, `canopy run --radio --mqtt`, the portal (gunicorn),
real meshtastic handhelds and a real Mosquitto.
A proposal from the CLI, votes from three radios, the mandate taking effect, the new
coordinator alerting, the term ending (the hub's clock-offset file) and the same radio
refused, by radio and by the CLI alike; radio ROLES, the CLI, MQTT's status and the
portal's calendar agree on who is a coordinator throughout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mqtt.mqttkit import Collector
from portal_helpers import request, run_portal
from support import BrokerFactory, DaemonFactory, Handheld, SimFactory, WaitFor, run_canopy

DAY = 86_400


def canopy_json(*args: str, data: Path) -> Any:
    r = run_canopy(*args, "--json", data=data)
    assert r.code == 0, r.err
    return json.loads(r.out)


def canopy_ok(*args: str, data: Path) -> str:
    r = run_canopy(*args, data=data)
    assert r.code == 0, r.err
    return r.out


def _mqtt_coordinators(sub: Collector) -> list[str] | None:
    with sub.lock:
        statuses = [json.loads(p) for t, p, _ in sub.messages if t.endswith("/status")]
    online = [s for s in statuses if s.get("online")]
    return online[-1].get("coordinators") if online else None


def _agree(
    wait_for: WaitFor,
    data: Path,
    base: str | None,
    sub: Collector,
    radio: Handheld,
    want: list[str],
) -> None:
    """Radio ROLES, the CLI's roster, MQTT's status and the portal's calendar say ``want``
    (the portal reads the wall clock, not the hub's offset one: ``base=None`` skips it)."""
    wait_for(lambda: _mqtt_coordinators(sub) == want, what=f"MQTT coordinators == {want}")
    roles = radio.ask("ROLES")
    assert sorted(h for h in ("ana", "bo", "cy") if f"coordinator {h} " in roles) == want
    roster = canopy_json("roster", "list", data=data)["members"]
    assert sorted(m["handle"] for m in roster if m["role"] == "coordinator") == want
    if base is not None:
        _, _, html = request(base, "GET", "/calendar")
        table = html.decode().split("<h2>Open votes")[0]
        assert sorted(h for h in ("ana", "bo", "cy") if f"<td>{h}</td>" in table) == want
        _, _, body = request(base, "GET", "/api/v1/calendar")
        held = json.loads(body)["holders"]
        assert sorted(h["handle"] for h in held if h["role"] == "coordinator") == want


def test_a_mandate_from_the_assembly(
    tmp_path: Path,
    sim: SimFactory,
    broker: BrokerFactory,
    running_daemon: DaemonFactory,
    wait_for: WaitFor,
) -> None:
    data = tmp_path / "hub"
    assert run_canopy("init", "--name", "Corner Shop", data=data).code == 0
    clock = tmp_path / "clock-offset"
    clock.write_text("0")
    mesh = sim(nodes=5, topology="full", speed=50.0)
    hub_num = mesh.node_num(0)
    mosquitto = broker()
    options = ["--radio", f"tcp://127.0.0.1:{mesh.ports[0]}", "--mqtt", mosquitto.url]
    options += ["--clock-offset-file", str(clock)]
    with (
        running_daemon(data, *options),
        run_portal(data, tmp_path / "portal.log") as base,
    ):
        sub = Collector(mosquitto.port, topics=("canopy/#",)).start()
        radios = [Handheld(mesh.ports[i], mesh.node_num(i), hub_num) for i in range(1, 5)]
        ana, bo, cy, stranger = radios
        try:
            for radio, handle in ((ana, "ana"), (bo, "bo"), (cy, "cy")):
                inv = canopy_json("roster", "invite", "--handle", handle, data=data)
                assert radio.ask(f"JOIN {inv['code']}").startswith(f"Welcome, {handle}!")
            assert cy.ask("ALERT not yet") == "Only coordinators can ALERT."
            _agree(wait_for, data, base, sub, ana, [])

            res = canopy_json(
                "mandate",
                "propose",
                "--handle",
                "cy",
                "--term",
                "30d",
                "--text",
                "rotation",
                data=data,
            )
            n = res["vote"]
            assert res["voters"] == ["ana", "bo", "cy"] and res["open"] is True

            def reply(t: str) -> bool:  # each voter is also told the vote opened, any time
                return not t.startswith(f"Vote #{n} open:")

            assert ana.ask("VOTES", reply).startswith(f"Open votes (1): #{n} cy coordinator 30d")
            assert stranger.ask(f"VOTE {n} YES").startswith("Not accepted: this radio is not")
            assert ana.ask(f"VOTE {n} YES", reply) == (
                f"Vote YES counted (#{n + 1}). #{n}: 1 yes 0 no of 3, quorum 2."
            )
            carried = bo.ask(f"VOTE {n} YES", reply)
            assert f"Vote #{n} carried: cy is coordinator until" in carried
            late = cy.ask(f"VOTE {n} YES", reply)
            assert late == f"Refused: vote #{n} is decided: carried."

            listed = canopy_json("mandate", "list", data=data)
            [vote] = listed["votes"]
            assert (vote["yes"], vote["no"], vote["carried"]) == (2, 0, True)
            roster = canopy_json("roster", "list", data=data)
            [cy_row] = [m for m in roster["members"] if m["handle"] == "cy"]
            roles = {r["role"]: r["until"] for r in cy_row["roles"]}
            assert roles["coordinator"] == listed["terms"][0]["until"]
            assert cy.ask("ROLES").startswith("Roles (1): coordinator cy to ")
            _agree(wait_for, data, base, sub, ana, ["cy"])

            sent = cy.ask("ALERT Water main burst on 5th")
            assert sent.startswith("Alert #")
            for radio in (ana, bo, stranger):
                radio.wait(lambda t: t.startswith("\aALERT #") and "Water main" in t)
            assert canopy_ok("alert", "--as", "cy", "road closed", data=data).startswith("alert #")

            # the term ends: the hub's clock moves 30 days and a minute
            clock.write_text(str(30 * DAY + 60))
            assert cy.ask("ALERT too late") == "Only coordinators can ALERT."
            r = run_canopy("alert", "--as", "cy", "too late", data=data)
            assert r.code != 0 and "not a coordinator" in r.err
            roster = canopy_json("roster", "list", data=data)
            [cy_row] = [m for m in roster["members"] if m["handle"] == "cy"]
            assert cy_row["role"] == "steward"
            assert [r["role"] for r in cy_row["roles"]] == ["steward"]
            assert cy.ask("ROLES") == "No roles held."
            _agree(wait_for, data, None, sub, ana, [])
        finally:
            for radio in radios:
                radio.close()
            sub.client.loop_stop()
