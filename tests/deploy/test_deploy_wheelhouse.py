"""deploy/wheelhouse.sh builds an offline wheelhouse; install.sh installs from it, twice."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_deploy_install import WHEELHOUSE, install, tree_hash


@pytest.mark.slow
def test_offline_install_from_a_wheelhouse_twice(tmp_path: Path) -> None:
    """wheelhouse.sh (for this machine's platform) then install.sh with no index at all."""
    wheels = tmp_path / "wheelhouse"
    built = subprocess.run(
        ["bash", str(WHEELHOUSE), "--out", str(wheels), "--arch", "native"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    native = wheels / "native"
    assert any(native.glob("canopy_hub-*.whl")) and any(native.glob("segno-*.whl"))
    root = tmp_path / "root"
    root.mkdir()
    env_args = ("--root", str(root), "--wheelhouse", str(native), "--name", "Wheel Shop")
    install(*env_args, timeout=240)
    venv_canopy = root / "opt/canopy/venv/bin/canopy"
    assert venv_canopy.exists()
    done = subprocess.run(
        [str(root / "opt/canopy/venv/bin/python"), "-c", "import segno, hub.deploy.cli"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    h1 = tree_hash(root)
    install(*env_args, timeout=240)
    assert tree_hash(root) == h1
