"""Helpers shared by the tests: run the `canopy` CLI, wait for the daemon's socket."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
    from hub.daemon.control import DaemonNotRunning, call

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


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it does not exit within 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def run_daemon(data: Path, log: Path, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    """`canopy run --data DATA [ARGS]` in a subprocess, logging to LOG, until the block ends."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*CANOPY, "run", "--data", str(data), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            wait_for_socket(data, proc, log)
            yield proc
        finally:
            stop(proc)
