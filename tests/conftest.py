"""Shared fixtures: a `canopy` runner, an initialised hub, and a running daemon."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import run_canopy, run_daemon


@pytest.fixture
def hub_dir(tmp_path: Path) -> Path:
    d = tmp_path / "hub"
    r = run_canopy("init", "--name", "Corner Shop", data=d)
    assert r.code == 0, r.err
    return d


@pytest.fixture
def daemon(hub_dir: Path, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`canopy run` on the hub in a subprocess, stopped with SIGTERM afterwards."""
    with run_daemon(hub_dir, tmp_path / "daemon.log") as proc:
        yield proc
