"""Two hubs on a simulated mesh keep each other's logs: a note written at one shop appears
at the other, a steward enrolled at one hub checks in at the other, and votes there in a
vote the first hub opened.

Real parts: two `canopy run` daemons on virtual radios of one `canopy sim` mesh, the
steward on the real `meshtastic` library, the `canopy` CLI for everything a person does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support import DaemonFactory, Handheld, SimFactory, WaitFor, new_hub, run_canopy

FAST_SYNC = ("--sync-imin", "5", "--sync-imax", "60")


def _json(*args: str, data: Path) -> Any:
    r = run_canopy(*args, "--json", data=data)
    assert r.code == 0, r.err
    return json.loads(r.out)


def _entries(data: Path, feed: str) -> list[dict[str, Any]]:
    r = run_canopy("log", "show", "--feed", feed, "--json", data=data)
    if r.code != 0:
        return []
    return [json.loads(line) for line in r.out.splitlines() if line.strip()]


def test_two_hubs_keep_each_others_logs_and_recognise_each_others_stewards(
    tmp_path: Path, sim: SimFactory, running_daemon: DaemonFactory, wait_for: WaitFor
) -> None:
    bakery, bid = new_hub(tmp_path, "Bakery")
    laundry, lid = new_hub(tmp_path, "Laundry")
    r = run_canopy("peer", "add", lid["vkey"], data=bakery)
    assert r.code == 0 and "laundry" in r.out, r.err
    assert run_canopy("peer", "add", bid["vkey"], "--name", "Bakery", data=laundry).code == 0
    peers = _json("peer", "list", data=bakery)["peers"]
    assert [(p["name"], p["feed"], p["federated"]) for p in peers] == [
        ("laundry", lid["feed"], True)
    ]

    mesh = sim(nodes=3, topology="full")
    radio = [f"tcp://127.0.0.1:{p}" for p in mesh.ports]
    with (
        running_daemon(bakery, "--radio", radio[0], *FAST_SYNC),
        running_daemon(laundry, "--radio", radio[1], *FAST_SYNC),
    ):
        assert run_canopy("note", "Lights out on Elm St", data=bakery).code == 0
        wait_for(
            lambda: any(
                e.get("text") == "Lights out on Elm St" for e in _entries(laundry, bid["feed"])
            ),
            timeout=60,
            what="the bakery's note at the laundry",
        )
        # a steward enrolled at the bakery ...
        invite = _json("roster", "invite", "--handle", "mara", data=bakery)
        mara = Handheld(mesh.ports[2], mesh.node_num(2), mesh.node_num(0))
        try:
            mara.ask(f"JOIN {invite['code']}", lambda t: "Welcome, mara!" in t)
            # her radio is sealed under the bakery's own pin secret (no neighbourhood
            # secret was ever configured); the laundry opens it with the secret the
            # bakery's `pin-share` (written by `peer add`) sealed to it
            wait_for(
                lambda: any(e["kind"] == "enrol-sealed" for e in _entries(laundry, bid["feed"])),
                timeout=60,
                what="the enrolment at the laundry",
            )
            # ... checks in at the laundry, which never enrolled her
            mara.hub = mesh.node_num(1)
            answer = mara.ask("IN 30", lambda t: "On duty" in t or "Not accepted" in t)
            assert "On duty" in answer, answer
            [member] = _json("roster", "list", data=bakery)["members"]
            assert member["node"] == mesh.node_num(2)
            radio_ids = [str(member["node"]), f"{member['node']:08x}", member["pkey"]]
            replica = _entries(laundry, bid["feed"])
            assert "pin-share" in [e["kind"] for e in replica]
            shown = json.dumps(replica)
            assert [n for n in radio_ids if n in shown] == [], "a radio in the replica's log"
            assert all(e["kind"] != "enrol" for e in replica)
            own = _entries(laundry, lid["feed"])
            assert [(e["kind"], e["author"]) for e in own if e["kind"] == "checkin"] == [
                ("checkin", "mara")
            ]
            # the replica exports with the bakery's own signed checkpoint, and verifies
            out = tmp_path / "bundle"

            def exported() -> bool:
                r = run_canopy(
                    "log", "export", "--out", str(out), "--feed", bid["feed"], data=laundry
                )
                return r.code == 0

            wait_for(exported, timeout=60, what="a bakery checkpoint the replica matches")
            v = run_canopy("log", "verify", str(out), "--vkey", bid["vkey"])
            assert v.code == 0 and "OK" in v.out, v.out + v.err
            bundle = b"".join(p.read_bytes() for p in out.iterdir())  # what anyone may copy
            assert bytes.fromhex(member["pkey"]) not in bundle
            assert member["node"].to_bytes(8, "big") not in bundle
            assert b"\x1a" + member["node"].to_bytes(4, "big") not in bundle
            status = _json("sync", "status", data=laundry)
            held = {f["feed"]: f for f in status["feeds"]}
            assert held[bid["feed"]]["lag"] == 0 and held[bid["feed"]]["held"] >= 2
            assert 0 < status["airtime_s_this_hour"] <= status["airtime_budget_s"]
            # the bakery opens a vote; she casts hers at the laundry, and the bakery,
            # holding the laundry's log, counts it and settles
            n = _json("mandate", "propose", "--handle", "mara", "--role", "facilitator",
                      "--term", "30d", data=bakery)["vote"]  # fmt: skip
            wait_for(
                lambda: any(e["kind"] == "proposal" for e in _entries(laundry, bid["feed"])),
                timeout=60,
                what="the bakery's proposal at the laundry",
            )
            answer = mara.ask(f"VOTE {n} YES", lambda t: "counted" in t or "Refused" in t)
            assert f"#{n} at Bakery: 1 yes 0 no of 1" in answer, answer
            # the laundry's CLI lists the bakery's vote as its radio does
            [there] = _json("mandate", "list", data=laundry)["votes"]
            assert (there["vote"], there["hub"], there["yes"]) == (n, "Bakery", 1)
            listed = run_canopy("mandate", "list", data=laundry).out
            assert f"#{n} mara as facilitator (at Bakery) for 30d" in listed, listed
            wait_for(
                lambda: _json("mandate", "list", data=bakery)["votes"][0]["carried"] is True,
                timeout=60,
                what="the bakery settling its vote with the laundry's entry",
            )
            [member] = _json("roster", "list", data=bakery)["members"]
            assert [r["role"] for r in member["roles"]] == ["facilitator", "steward"]
        finally:
            mara.close()
