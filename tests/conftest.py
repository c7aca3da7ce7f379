"""Shared fixtures: a `canopy` runner, an initialised hub, and a running daemon."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import CANOPY, ROOT, run_canopy, wait_for_socket


@pytest.fixture
def hub_dir(tmp_path: Path) -> Path:
    d = tmp_path / "hub"
    r = run_canopy("init", "--name", "Corner Shop", data=d)
    assert r.code == 0, r.err
    return d


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
