"""Per-client portal state shared by every gunicorn worker: who tapped Enter, and rate limits.

Kept in SQLite (WAL) at ``DIR/portal/clients.sqlite``, which handles several processes
writing at once; each process opens its own connection lazily (after gunicorn forks).
A client is its IP address plus, where the hub can see it, its MAC address from the ARP
table: if a different device later gets the same IP from DHCP, the MAC differs and it
sees the portal again. Acceptance expires after ``ttl`` seconds, and an expired address is
deleted (with SQLite's ``secure_delete``) at the next look-up. Nothing here ever reaches
the public log.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from pathlib import Path

from hub.errors import HubError
from hub.local import private_file

SCHEMA = """
CREATE TABLE IF NOT EXISTS clients (ip TEXT PRIMARY KEY, mac TEXT, accepted REAL NOT NULL);
CREATE INDEX IF NOT EXISTS clients_mac ON clients (mac);
CREATE TABLE IF NOT EXISTS hits (key TEXT PRIMARY KEY, win INTEGER NOT NULL, n INTEGER NOT NULL);
"""
MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def arp_mac(ip: str, arp_path: Path) -> str | None:
    """The MAC address the kernel's ARP table holds for ``ip``, if any."""
    try:
        with open(arp_path, encoding="ascii", errors="replace") as f:
            next(f, None)  # header line
            for line in f:
                parts = line.split()
                if len(parts) >= 4 and parts[0] == ip:
                    mac = parts[3].lower()
                    return mac if MAC_RE.match(mac) and mac != "00:00:00:00:00:00" else None
    except OSError:
        return None
    return None


class ClientStoreFull(HubError):
    """The disk under the portal's client store is full; the portal answers 503 and says so."""


class ClientStore:
    """Captive-portal acceptance and per-client rate limits, safe across processes."""

    def __init__(self, path: Path, ttl: float = 86400.0) -> None:
        self.path = path
        self.ttl = ttl
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            private_file(self.path)  # addresses of people: 0600 (SQLite's -wal/-shm follow)
            conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA secure_delete=ON")  # an expired address leaves no trace
            conn.executescript(SCHEMA)
            self._local.conn = conn
            self._local.pid = os.getpid()
        return conn

    def accept(self, ip: str, mac: str | None, now: float | None = None) -> None:
        """Remember that this client tapped Enter.

        :raises ClientStoreFull: the disk is full (the client stays captive).
        """
        try:
            self._accept(ip, mac, time.time() if now is None else now)
        except sqlite3.OperationalError as e:
            if "full" in str(e):
                raise ClientStoreFull(f"{self.path}: {e}") from e
            raise

    def _accept(self, ip: str, mac: str | None, t: float) -> None:
        db = self._db()
        db.execute("DELETE FROM clients WHERE accepted < ?", (t - self.ttl,))
        if mac:
            db.execute("DELETE FROM clients WHERE mac = ? AND ip != ?", (mac, ip))
        db.execute(
            "INSERT INTO clients (ip, mac, accepted) VALUES (?, ?, ?) "
            "ON CONFLICT(ip) DO UPDATE SET mac = excluded.mac, accepted = excluded.accepted",
            (ip, mac, t),
        )

    def is_accepted(self, ip: str, mac: str | None, now: float | None = None) -> bool:
        t = time.time() if now is None else now
        db = self._db()
        db.execute("DELETE FROM clients WHERE accepted < ?", (t - self.ttl,))  # kept no longer
        row = db.execute("SELECT mac, accepted FROM clients WHERE ip = ?", (ip,)).fetchone()
        if row is not None and row[1] >= t - self.ttl and (not mac or not row[0] or row[0] == mac):
            return True
        if mac:  # same device, new address
            row = db.execute(
                "SELECT accepted FROM clients WHERE mac = ? ORDER BY accepted DESC LIMIT 1", (mac,)
            ).fetchone()
            return row is not None and row[0] >= t - self.ttl
        return False

    def hit(self, key: str, limit: int, window: int, now: float | None = None) -> bool:
        """Count one request for ``key``; False once more than ``limit`` in this window.

        :raises ClientStoreFull: the disk is full (nothing was counted).
        """
        win = int((time.time() if now is None else now) // window)
        try:
            return self._hit(key, limit, win)
        except sqlite3.OperationalError as e:
            if "full" in str(e):
                raise ClientStoreFull(f"{self.path}: {e}") from e
            raise

    def _hit(self, key: str, limit: int, win: int) -> bool:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT win, n FROM hits WHERE key = ?", (key,)).fetchone()
            n = row[1] + 1 if row is not None and row[0] == win else 1
            db.execute(
                "INSERT INTO hits (key, win, n) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET win = excluded.win, n = excluded.n",
                (key, win, n),
            )
            if n == 1 and win % 16 == 0:
                db.execute("DELETE FROM hits WHERE win < ?", (win - 1,))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # a failed COMMIT (disk full) has ended it already
                db.execute("ROLLBACK")
            raise
        return n <= limit
