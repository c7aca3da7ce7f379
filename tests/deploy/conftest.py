"""Fixtures for the deploy tests: a tree rendered with test options."""

from __future__ import annotations

from pathlib import Path

import pytest
from deploy_helpers import CANOPY, render_tree


@pytest.fixture
def rendered(tmp_path: Path) -> Path:
    """A tree rendered with test options whose ExecStart binaries exist."""
    return render_tree(
        tmp_path / "out",
        "--name",
        "Test Shop",
        "--iface",
        "wlan0",
        "--canopy-bin",
        str(CANOPY),
        "--radio",
        "serial:///dev/ttyUSB0",
    )
