"""Fixtures for the steward tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from steward_helpers import Desk


@pytest.fixture
def desk() -> Iterator[Desk]:
    """The steward desk on an in-memory log: sans-IO, nothing touches the disk."""
    d = Desk()
    yield d
    d.close()


@pytest.fixture
def hub_desk(tmp_path: Path) -> Iterator[Desk]:
    """The steward desk on a real hub core in a data dir, for tests that call its ops."""
    d = Desk(tmp_path / "hub")
    yield d
    d.close()
