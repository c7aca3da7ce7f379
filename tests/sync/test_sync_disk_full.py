"""The disk full while syncing: a replica write refused by the disk (ENOSPC) leaves the store
whole, the daemon says so, a steward on the radio is still answered, and the replica catches
up once there is room again.

Real parts: two `canopy run` daemons syncing over a real Mosquitto, the hub's radio on the
simulator and a steward on the real `meshtastic` library; the full disk is a 64 kB tmpfs,
bind-mounted over the one replica file, so the hub's own log keeps its room."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from support import (
    BrokerFactory,
    DaemonFactory,
    Handheld,
    SimFactory,
    WaitFor,
    feed_texts,
    new_hub,
    run_canopy,
)

FAST_SYNC = ("--sync-imin", "5", "--sync-imax", "60")


def _mount(*args: str) -> None:
    r = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    assert r.returncode == 0, f"mount {' '.join(args)}: {r.stderr} (run as root)"


def test_a_full_disk_under_a_replica_corrupts_nothing_and_stewards_are_answered(
    tmp_path: Path,
    broker: BrokerFactory,
    sim: SimFactory,
    running_daemon: DaemonFactory,
    wait_for: WaitFor,
) -> None:
    a, aid = new_hub(tmp_path, "Bakery")
    b, bid = new_hub(tmp_path, "Laundry")
    assert run_canopy("peer", "add", bid["vkey"], data=a).code == 0
    assert run_canopy("peer", "add", aid["vkey"], data=b).code == 0
    disk = tmp_path / "disk"
    disk.mkdir()
    _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk))
    replica = a / "feeds" / f"{bid['feed']}.log"
    try:
        (disk / "replica.log").touch()
        filler = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while os.write(filler, b"x" * 4096):
                pass
        except OSError as e:
            assert "No space left" in str(e)
        finally:
            os.close(filler)
        replica.touch()
        _mount("--bind", str(disk / "replica.log"), str(replica))
        mosquitto = broker()
        mesh = sim(nodes=2, topology="full")
        log = tmp_path / "bakery.log"
        with (
            running_daemon(
                a,
                "--mqtt",
                mosquitto.url,
                "--radio",
                f"tcp://127.0.0.1:{mesh.ports[0]}",
                *FAST_SYNC,
                log=log,
            ),
            running_daemon(b, "--mqtt", mosquitto.url, *FAST_SYNC),
        ):
            for i in range(3):  # pushed to the bakery at once, where the disk is full
                assert run_canopy("note", f"early {i}", data=b).code == 0
            wait_for(lambda: "disk full" in log.read_text(), timeout=30, what="a clear line")
            assert "Traceback" not in log.read_text()
            assert feed_texts(a, bid["feed"], must_read=True) == []  # nothing half-written
            steward = Handheld(mesh.ports[1], mesh.node_num(1), mesh.node_num(0))
            try:
                assert steward.ask("WHO") == "Nobody is on duty."
            finally:
                steward.close()
            assert run_canopy("note", "own log still writes", data=a).code == 0
            (disk / "filler").unlink()  # room again
            assert run_canopy("note", "after", data=b).code == 0
            # the peer entry, its pin-share and the witness key, then the notes
            want = [None, None, None, "early 0", "early 1", "early 2", "after"]
            wait_for(
                lambda: feed_texts(a, bid["feed"], must_read=True) == want,
                timeout=60,
                what="the replica to catch up",
            )
        text = log.read_text()
        assert "disk full: entry not stored" in text and "Traceback" not in text
        assert "own log still writes" in str(feed_texts(a, aid["feed"], must_read=True))
    finally:
        subprocess.run(["umount", "-l", str(replica)], check=False)
        subprocess.run(["umount", "-l", str(disk)], check=False)
