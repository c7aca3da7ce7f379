"""Steward web check-in end to end: portal (gunicorn) -> daemon -> code DM'd by radio -> portal.

The simulated LoRa mesh (`radio.sim`), the hub daemon on one node with its radio, and the
real meshtastic library as the steward's handheld on the other.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from portal_helpers import CANOPY, ROOT, csrf_from, post_form, request, run_portal, seed_hub
from support import DaemonFactory, Handheld, SimFactory

from hub.local import DataDir
from hub.log import LogView


def test_steward_checks_in_from_the_portal_with_a_radio_code(
    tmp_path: Path, sim: SimFactory, running_daemon: DaemonFactory
) -> None:
    data = tmp_path / "hub"
    seed_hub(data)
    mesh = sim(nodes=2, topology="full", speed=50.0)
    hub_num = mesh.node_num(0)
    with running_daemon(data, "--radio", f"tcp://127.0.0.1:{mesh.ports[0]}"):
        args = ["roster", "invite", "--handle", "bob", "--role", "steward", "--json"]
        invite = subprocess.run(
            [*CANOPY, *args, "--data", str(data)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert invite.returncode == 0, invite.stderr
        code = json.loads(invite.stdout)["code"]
        bob = Handheld(mesh.ports[1], mesh.node_num(1), hub_num)
        try:
            assert bob.ask(f"JOIN {code}", lambda t: "Welcome, bob!" in t)
            with run_portal(data, tmp_path / "portal.log") as base:
                _, _, html = request(base, "GET", "/steward/checkin")
                assert b"Writing is paused" not in html
                token = csrf_from(html.decode())
                form = {"csrf": token, "handle": "zed", "step": "1"}
                status, _, body = post_form(base, "/steward/checkin", form)
                assert status == 400 and b"not an enrolled steward" in body
                since = bob.mark()
                form["handle"] = "bob"
                status, _, body = post_form(base, "/steward/checkin", form)
                assert status == 200 and b"A code was sent to your radio" in body
                dm = bob.wait(lambda t: "web check-in code" in t, since)
                code = dm.split("code: ")[1][:6]
                form.update(step="2", code="000000" if code != "000000" else "111111")
                status, _, body = post_form(base, "/steward/checkin", form)
                assert status == 400 and b"wrong code" in body
                form["code"] = code
                status, _, body = post_form(base, "/steward/checkin", form)
                assert status == 200 and b"You are checked in, bob." in body
                _, _, home = request(base, "GET", "/")
                duty = home.split(b'id="duty-h"')[1].split(b"</section>")[0]
                assert b"bob" in duty
        finally:
            bob.close()
    last = list(LogView(DataDir(data)).entries())[-1]
    assert last.body.kind_name == "checkin" and last.body.author == "bob"
    assert b"127.0.0.1" not in last.raw
