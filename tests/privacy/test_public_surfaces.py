"""A scripted patrol on real parts (daemon, simulated mesh, handhelds, Mosquitto, the
portal), then a scan of every public surface for what must never be on one: a sealed
detail, a delayed text before its time, a steward radio's node number or key, a client IP.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from mqttkit import Collector
from portal_helpers import get, run_portal
from steward_e2e import Handheld, canopy_json, canopy_ok, run_canopy
from support import BrokerFactory, DaemonFactory, SimFactory, WaitFor

DETAILS = "man asleep in the doorway of 23 Elm St, seemed unwell"
PAGES = [
    "/",
    "/log",
    "/log?kind=report",
    "/alerts",
    "/charter",
    "/protocols",
    "/partners",
    "/hubs",
    "/compact",
    "/verify",
    "/audits",
    "/kit",
    "/privacy",
    "/privacy?lang=es",
    "/steward/checkin",
    "/healthz",
    "/api/v1/entries?limit=200",
]


def _radio_needles(node: int, pkey_hex: str) -> list[str]:
    key = bytes.fromhex(pkey_hex)
    return [
        str(node),
        f"!{node:08x}",
        f"{node:08x}",
        pkey_hex,
        base64.b64encode(key).decode(),
    ]


def test_no_public_surface_shows_details_live_routes_radios_or_addresses(
    tmp_path: Path,
    sim: SimFactory,
    broker: BrokerFactory,
    running_daemon: DaemonFactory,
    wait_for: WaitFor,
) -> None:
    data, keys = tmp_path / "hub", tmp_path / "reviewer"
    canopy_ok("init", "--name", "Corner Shop", data=data)
    assert run_canopy("review", "keygen", "--out", str(keys)).code == 0
    # no neighbourhood pin secret (`--pin`) is ever configured: the hub seals radios with
    # its own (tests/privacy/test_pins.py covers an installed one)
    canopy_ok("review", "set-key", str(keys / "review.pub"), data=data)
    assert not (data / "pin.key").exists()
    mosquitto = broker()
    sub = Collector(mosquitto.port, topics=("#",)).start()
    mesh = sim(nodes=2, topology="full", speed=50.0)
    hub_num = mesh.node_num(0)
    radio = ["--radio", f"tcp://127.0.0.1:{mesh.ports[0]}", "--mqtt", mosquitto.url]
    with running_daemon(data, *radio):
        alice = Handheld(mesh.ports[1], mesh.node_num(1), hub_num)
        try:
            inv = canopy_json("roster", "invite", "--handle", "alice", data=data)
            assert alice.ask(f"JOIN {inv['code']}").startswith("Welcome, alice!")
            assert alice.ask("IN 45 north loop").startswith("On duty (#")
            reply = alice.ask(f"INC medical Elm St: {DETAILS}")
            assert reply.startswith("Incident recorded (#") and "details sealed" in reply
            assert alice.ask("INC noise Market Sq").startswith("Incident recorded (#")
            assert alice.ask("OUT via market square").startswith("Off duty (#")
        finally:
            alice.close()
        [member] = canopy_json("roster", "list", data=data)["members"]
        assert member["node"] == alice.num
        size = len(canopy_json("log", "show", data=data))
        wait_for(lambda: sub.count("/log/") >= size, what="every entry on MQTT")

        pages: dict[str, bytes] = {}
        with run_portal(data, tmp_path / "portal.log", workers=1, front=False) as base:
            for path in [*PAGES, *[f"/log/{i}" for i in range(size)]]:
                status, headers, body = get(base, path)
                assert status == 200, (path, status)
                assert "set-cookie" not in headers or "expires" not in headers["set-cookie"].lower()
                pages[path] = body
            for i in range(size):
                status, _, body = get(base, f"/api/v1/entries/{i}")
                assert status == 200
                pages[f"/api/v1/entries/{i}"] = body
        exported = run_canopy("log", "export", "--out", str(tmp_path / "bundle"), data=data)
        assert exported.code == 0, exported.err
        assert "held back until their texts are public" in exported.out
        shown = canopy_ok("log", "show", data=data) + canopy_ok("log", "show", "--json", data=data)

    # the reviewer, and only the reviewer, reads the details
    reviewed = canopy_ok("review", "show", "--key", str(keys / "review.key"), data=data)
    assert DETAILS in reviewed

    mqtt_payloads = b"\n".join(p for t, p, _ in sub.messages if not t.endswith("/sync"))
    # hub-to-hub sync frames carry signed entries whole: delayed texts travel early there
    # (docs/privacy.md says so); sealed details and radio identifiers still must not
    sync_frames = b"\n".join(p for t, p, _ in sub.messages if t.endswith("/sync"))
    bundle = b"".join(p.read_bytes() for p in (tmp_path / "bundle").iterdir())
    public = {
        "portal": b"\n".join(pages.values()),
        "mqtt": mqtt_payloads,
        "log show": shown.encode(),
        "mqtt sync": sync_frames,
    }
    never = [DETAILS, "asleep", "seemed unwell"]
    live = ["north loop", "via market square"]  # check-in/out texts inside the delay
    radios = _radio_needles(alice.num, member["pkey"])
    for surface, blob in public.items():
        text = blob.decode("utf-8", errors="replace")
        assert [n for n in never if n in text] == [], surface
        if surface not in ("log show", "mqtt sync"):  # the operator's view shows them
            assert [n for n in live if n in text] == [], surface
        if surface not in ("mqtt", "mqtt sync"):  # node info is public on the air anyway
            assert [n for n in radios if n in text] == [], surface
        assert "127.0.0.1" not in text or surface.startswith("mqtt"), surface
    # the MQTT entry payloads themselves carry no radio identifier
    for e in sub.entries():
        assert "node" not in e and "pkey" not in e, e
        if e.get("kind") == "enrol":
            assert "entry" not in e and e["withheld"] == ["node", "pkey"]
    # exported: no sealed detail, nothing still delayed (those entries are held back), and
    # the enrolment's pin sealed: neither the radio's key nor its number as CBOR holds it
    assert [n for n in never + live if n.encode() in bundle] == []
    assert bytes.fromhex(member["pkey"]) not in bundle
    assert b"\x1a" + alice.num.to_bytes(4, "big") not in bundle
    assert "enrol-sealed" in shown and '"kind": "enrol"' not in shown
    # the portal logs no client address
    log_text = (tmp_path / "portal.log").read_text(errors="replace")
    assert [ln for ln in log_text.splitlines() if "127.0.0.1" in ln and "GET" in ln] == []
    api = json.loads(pages["/api/v1/entries?limit=200"])
    kinds = [e["kind"] for e in api["entries"]]
    assert kinds.count("report") == 2
    sealed = [e for e in api["entries"] if e["kind"] == "report" and "withheld" in e]
    assert len(sealed) == 1 and sealed[0]["place"] == "Elm St" and "entry" in sealed[0]
