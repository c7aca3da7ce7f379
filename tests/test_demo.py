"""`make demo` runs `canopy demo`: the scripted neighbourhood must work end to end."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from support import ROOT

from radio.sim import free_port_range


def test_demo_once_runs_the_neighbourhood_and_verifies(tmp_path: Path) -> None:
    port = free_port_range(1)
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "hub",
            "demo",
            "--once",
            "--data",
            str(tmp_path / "demo"),
            "--portal-port",
            str(port),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    out = p.stdout
    assert "Welcome, alice!" in out and "Welcome, coord!" in out
    assert "ALERT #" in out and "ACK recorded" in out
    assert "log verification: OK" in out
    assert "at the Bakery:" in out and "at the Laundromat:" in out
    assert "on the Bakery's portal:" in out
    assert "meshtastic --host 127.0.0.1:" in out
    assert "/status" in out  # the retained hub status, read back from Mosquitto


def test_demo_refuses_to_wipe_a_directory_it_did_not_make(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine")
    p = subprocess.run(
        [sys.executable, "-m", "hub", "demo", "--once", "--data", str(precious)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert p.returncode != 0 and "not a demo directory" in p.stderr
    assert (precious / "keep.txt").read_text() == "mine"


DEMO = [sys.executable, "-m", "hub", "demo", "--once"]


def test_a_portal_that_cannot_start_is_reported_at_once_with_its_log(tmp_path: Path) -> None:
    """The port the portal should bind is taken: its process exits, and the demo says so
    and where the log is, without waiting out the start-up timeout."""
    port = free_port_range(1)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        started = time.monotonic()
        p = subprocess.run(
            [*DEMO, "--data", str(tmp_path / "demo"), "--portal-port", str(port)],
            capture_output=True,
            text=True,
            timeout=240,
            cwd=ROOT,
        )
        took = time.monotonic() - started
    assert p.returncode != 0
    assert "the portal exited" in p.stderr and "portal.log" in p.stderr, p.stderr
    assert took < 55  # the start-up timeout is 60 s
