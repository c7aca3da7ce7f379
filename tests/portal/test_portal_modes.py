"""The data directory's modes say what is private: people's addresses are the hub's alone."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from support import run_canopy

from hub.local import PRIVATE
from portal.web import ClientStore


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_client_addresses_are_private_even_with_a_loose_umask(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    assert run_canopy("init", "--name", "Corner Shop", data=data).code == 0
    old = os.umask(0o002)
    try:
        store = ClientStore(data / "portal" / "clients.sqlite")
        store.accept("10.0.0.7", "aa:bb:cc:dd:ee:ff")
        assert store.is_accepted("10.0.0.7", "aa:bb:cc:dd:ee:ff")
    finally:
        os.umask(old)
    found = 0
    for rel, mode in PRIVATE.items():
        p = data / rel
        if p.exists():
            found += 1
            assert _mode(p) & 0o077 == 0 and _mode(p) <= mode, f"{rel} is {_mode(p):o}"
    assert found >= 5  # key, state, portal/, the database and its WAL


def test_an_old_world_readable_database_is_tightened(tmp_path: Path) -> None:
    db = tmp_path / "portal" / "clients.sqlite"
    db.parent.mkdir(mode=0o755)
    ClientStore(db).accept("10.0.0.8", None)
    db.chmod(0o644)
    db.parent.chmod(0o755)
    ClientStore(db).accept("10.0.0.9", None)  # a new process opens it
    assert _mode(db) == 0o600 and _mode(db.parent) == 0o700
