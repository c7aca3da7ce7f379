"""Fixtures for the steward tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from steward_helpers import Desk


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = Desk(tmp_path / "hub")
    yield d
    d.close()
