"""Fixtures for the portal tests: a seeded hub, the Flask app and its test client."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from portal_helpers import seed_hub

from portal.app import create_app


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    root = tmp_path / "hub"
    return root, seed_hub(root)


@pytest.fixture
def data(seeded: tuple[Path, dict[str, int]]) -> Path:
    return seeded[0]


@pytest.fixture
def idx(seeded: tuple[Path, dict[str, int]]) -> dict[str, int]:
    return seeded[1]


@pytest.fixture
def arp(tmp_path: Path) -> Path:
    """A stand-in for /proc/net/arp (the format of the kernel's table)."""
    p = tmp_path / "arp"
    p.write_text("IP address       HW type     Flags       HW address            Mask     Device\n")
    return p


@pytest.fixture
def app(data: Path, arp: Path) -> Flask:
    return create_app({"DATA": str(data), "TESTING": True, "ARP_PATH": str(arp)})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
