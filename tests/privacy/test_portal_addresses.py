"""The portal keeps no client address past its expiry (docs/privacy.md)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from portal.web import ClientStore


def test_an_expired_address_is_deleted_at_the_next_look_up(tmp_path: Path) -> None:
    path = tmp_path / "clients.sqlite"
    store = ClientStore(path, ttl=100.0)
    store.accept("10.77.0.23", None, now=1000.0)
    assert store.is_accepted("10.77.0.23", None, now=1050.0)
    # someone else looks after the expiry: the address is gone, not merely ignored
    assert not store.is_accepted("10.77.0.99", None, now=1101.0)
    rows = sqlite3.connect(path).execute("SELECT ip FROM clients").fetchall()
    assert rows == []
    sqlite3.connect(path).execute("PRAGMA wal_checkpoint(TRUNCATE)")
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert b"10.77.0.23" not in blob
