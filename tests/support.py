"""Helpers shared by the tests: run the `canopy` CLI, wait for the daemon's socket."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CANOPY = [sys.executable, "-m", "hub"]


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_canopy(*args: str, data: Path | None = None, timeout: float = 60) -> Result:
    cmd = [*CANOPY, *args]
    if data is not None:
        cmd += ["--data", str(data)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    return Result(p.returncode, p.stdout, p.stderr)


def wait_for_socket(
    data: Path, proc: subprocess.Popen[bytes], log: Path, timeout: float = 15
) -> None:
    from hub.control import DaemonNotRunning, call

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"daemon exited early: {log.read_text(errors='replace')}")
        try:
            call(data / "hub.sock", "ping", timeout=2)
            return
        except DaemonNotRunning:
            time.sleep(0.05)
    raise AssertionError("daemon did not open its control socket")
