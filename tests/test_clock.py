"""A Pi without a real-time clock: claimed times never go backwards, even across reboots."""

from __future__ import annotations

import json
import time
from pathlib import Path

from support import DaemonFactory, daemon_thread, run_canopy


def test_daemon_never_claims_a_time_before_the_saved_clock(
    hub_dir: Path, running_daemon: DaemonFactory
) -> None:
    future = int(time.time()) + 365 * 86400  # the clock saved before a power cut
    (hub_dir / "clock.saved").write_text(f"{future}.0\n")
    with running_daemon(hub_dir):
        assert run_canopy("note", "after the power cut", data=hub_dir).code == 0
    entry = json.loads(run_canopy("log", "show", "--json", data=hub_dir).out)
    assert entry["timestamp"] >= future
    assert entry["time_source"] == "unsynced"  # held back: flagged, not trusted
    saved = float((hub_dir / "clock.saved").read_text())
    assert saved >= future  # saved again at shutdown, never lower


def test_damaged_clock_file_does_not_stop_the_hub(
    hub_dir: Path, tmp_path: Path, running_daemon: DaemonFactory
) -> None:
    (hub_dir / "clock.saved").write_text("garbage\n")
    with running_daemon(hub_dir, log=tmp_path / "daemon.log"):
        assert run_canopy("note", "still writing", data=hub_dir).code == 0
    assert "does not hold a time" in (tmp_path / "daemon.log").read_text()


def test_gps_time_from_the_radio_is_claimed_and_handed_to_chrony(
    hub_dir: Path, tmp_path: Path
) -> None:
    import socket
    import struct

    from hub.daemon import Daemon
    from hub.local import DataDir

    chrony = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    chrony.bind(str(tmp_path / "gps.sock"))
    chrony.settimeout(5)
    local = [time.time()]  # the Pi's clock, which chrony will step
    daemon = Daemon(DataDir(hub_dir), clock=lambda: local[0])
    daemon.chrony_sock = tmp_path / "gps.sock"
    with chrony, daemon_thread(daemon):
        gps = local[0] + 7200.0  # the radio knows better than the Pi's clock
        daemon.submit(lambda: daemon.gps_time(gps))
        done = daemon.submit(lambda: daemon.core.log.append("note", {"text": "fix"}))
        assert done.body.time_source.name == "GPS"
        assert abs(done.body.time - gps) < 5
        local[0] = gps  # chrony steps the system clock to the GPS time: not counted twice
        again = daemon.submit(lambda: daemon.core.log.append("note", {"text": "later"}))
        assert again.body.time_source.name == "GPS"
        assert abs(again.body.time - gps) < 5
        sample = chrony.recv(64)
        _sec, _usec, offset, _pulse, _leap, _pad, magic = struct.unpack("@lldiiii", sample)
        assert magic == 0x534F434B and abs(offset - 7200.0) < 5
