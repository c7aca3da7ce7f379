"""Shared fixtures: a `canopy` runner, an initialised hub, and a running daemon."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

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


@pytest.fixture
def canopy() -> object:
    return run_canopy


@pytest.fixture
def hub_dir(tmp_path: Path) -> Path:
    d = tmp_path / "hub"
    r = run_canopy("init", "--name", "Corner Shop", data=d)
    assert r.code == 0, r.err
    return d


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


@pytest.fixture
def daemon(hub_dir: Path, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`canopy run` on the hub in a subprocess, stopped with SIGTERM afterwards."""
    log = open(tmp_path / "daemon.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [*CANOPY, "run", "--data", str(hub_dir)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        wait_for_socket(hub_dir, proc, tmp_path / "daemon.log")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
