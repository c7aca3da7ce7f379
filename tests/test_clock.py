"""A Pi without a real-time clock: claimed times never go backwards, even across reboots."""

from __future__ import annotations

import json
import time
from pathlib import Path

from support import run_canopy, run_daemon


def test_daemon_never_claims_a_time_before_the_saved_clock(hub_dir: Path, tmp_path: Path) -> None:
    future = int(time.time()) + 365 * 86400  # the clock saved before a power cut
    (hub_dir / "clock.saved").write_text(f"{future}.0\n")
    with run_daemon(hub_dir, tmp_path / "daemon.log"):
        assert run_canopy("note", "after the power cut", data=hub_dir).code == 0
    entry = json.loads(run_canopy("log", "show", "--json", data=hub_dir).out)
    assert entry["timestamp"] >= future
    assert entry["time_source"] == "unsynced"  # held back: flagged, not trusted
    saved = float((hub_dir / "clock.saved").read_text())
    assert saved >= future  # saved again at shutdown, never lower


def test_damaged_clock_file_does_not_stop_the_hub(hub_dir: Path, tmp_path: Path) -> None:
    (hub_dir / "clock.saved").write_text("garbage\n")
    with run_daemon(hub_dir, tmp_path / "daemon.log"):
        assert run_canopy("note", "still writing", data=hub_dir).code == 0
    assert "does not hold a time" in (tmp_path / "daemon.log").read_text()
