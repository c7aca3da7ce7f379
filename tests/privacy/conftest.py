"""Fixtures for the privacy tests: a hub on a real data directory with a review key."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

# helpers of the areas a patrol crosses: the steward desk's hand-driven desk (tests/stewards),
# the MQTT collector (tests/mqtt) and `canopy portal` (tests/portal)
for area in ("stewards", "mqtt", "portal"):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / area))


@pytest.fixture
def reviewed(tmp_path: Path) -> Any:
    """A hub with a review key set (its private half kept away from the data directory)."""
    from privacy_helpers import ReviewedHub

    return ReviewedHub.make(tmp_path)
