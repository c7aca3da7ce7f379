"""A mandate end to end: `canopy sim`, `canopy run --radio`, real meshtastic handhelds.
A proposal from the CLI, votes from three radios, the mandate taking effect, the new
coordinator alerting, the term ending (the hub's clock-offset file) and the same radio
refused, by radio and by the CLI alike."""

from __future__ import annotations

from pathlib import Path

from steward_e2e import Handheld, canopy_json, canopy_ok, hub_options, run_canopy
from support import DaemonFactory, SimFactory

DAY = 86_400


def test_a_mandate_from_the_assembly(
    tmp_path: Path, sim: SimFactory, running_daemon: DaemonFactory
) -> None:
    data = tmp_path / "hub"
    assert run_canopy("init", "--name", "Corner Shop", data=data).code == 0
    clock = tmp_path / "clock-offset"
    clock.write_text("0")
    mesh = sim(nodes=5, topology="full", speed=50.0)
    hub_num = mesh.node_num(0)
    with running_daemon(data, *hub_options(mesh.ports[0], clock_file=clock)):
        radios = [Handheld(mesh.ports[i], mesh.node_num(i), hub_num) for i in range(1, 5)]
        ana, bo, cy, stranger = radios
        try:
            for radio, handle in ((ana, "ana"), (bo, "bo"), (cy, "cy")):
                inv = canopy_json("roster", "invite", "--handle", handle, data=data)
                assert radio.ask(f"JOIN {inv['code']}").startswith(f"Welcome, {handle}!")
            assert cy.ask("ALERT not yet") == "Only coordinators can ALERT."

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
            assert ana.ask("VOTES").startswith(f"Open votes (1): #{n} cy coordinator 30d")
            assert stranger.ask(f"VOTE {n} YES").startswith("Not accepted: this radio is not")
            assert ana.ask(f"VOTE {n} YES") == (
                f"Vote YES counted (#{n + 1}). #{n}: 1 yes 0 no of 3, quorum 2."
            )
            carried = bo.ask(f"VOTE {n} YES")
            assert f"Vote #{n} carried: cy is coordinator until" in carried
            late = cy.ask(f"VOTE {n} YES")
            assert late == f"Refused: vote #{n} is decided: carried."

            listed = canopy_json("mandate", "list", data=data)
            [vote] = listed["votes"]
            assert (vote["yes"], vote["no"], vote["carried"]) == (2, 0, True)
            roster = canopy_json("roster", "list", data=data)
            [cy_row] = [m for m in roster["members"] if m["handle"] == "cy"]
            roles = {r["role"]: r["until"] for r in cy_row["roles"]}
            assert roles["coordinator"] == listed["terms"][0]["until"]
            assert cy.ask("ROLES").startswith("Roles (1): coordinator cy to ")

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
        finally:
            for radio in radios:
                radio.close()
