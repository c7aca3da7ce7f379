"""The data directory: where everything lives, and the one-writer lock.

Layout::

    DIR/identity.json      hub name, feed key, origin (written once by ``canopy init``)
    DIR/hub.key            Ed25519 seed, mode 0600
    DIR/state.json         TinyDB (AtomicJSONStorage): settings, cursors, roster, …
    DIR/feeds/<hex>.log    one append-only file per feed
    DIR/writer.lock        flock held by whichever process writes
    DIR/hub.sock           the daemon's control socket, while ``canopy run`` runs
    DIR/requests.jsonl     the daemon's answers to recent control requests, by request id,
                           so a retry after a restart is answered, not run again
    DIR/portal/            the portal's own files: clients.sqlite (client IP and MAC
                           addresses, captive acceptance, rate limits) and its WAL

Modes say what is private (:data:`PRIVATE`): the key, the TinyDB state (invite hashes, node
list), the lock and everything under ``portal/`` (people's addresses) are the hub user's
alone; identity and feeds are public (published anyway) and readable by the group.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from hub.errors import Busy, DataDirError

PRIVATE: dict[str, int] = {
    "hub.key": 0o600,
    "state.json": 0o600,
    "writer.lock": 0o600,
    "requests.jsonl": 0o600,
    "portal": 0o700,
    "portal/clients.sqlite": 0o600,
    "portal/clients.sqlite-wal": 0o600,
    "portal/clients.sqlite-shm": 0o600,
}
"""Paths under the data directory that hold secrets or people's data, and their modes."""


def private_file(path: Path) -> None:
    """Create ``path`` (and its directory) owner-only before anything writes into it, and
    tighten a file left world-readable by an older version."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    for side in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if side.exists():
            os.chmod(side, 0o600)


def default_data_dir() -> Path:
    env = os.environ.get("CANOPY_DATA")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return Path(base) / "canopy"


class DataDir:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def identity(self) -> Path:
        return self.root / "identity.json"

    @property
    def key(self) -> Path:
        return self.root / "hub.key"

    @property
    def state(self) -> Path:
        return self.root / "state.json"

    @property
    def feeds(self) -> Path:
        return self.root / "feeds"

    @property
    def lock_path(self) -> Path:
        return self.root / "writer.lock"

    @property
    def socket(self) -> Path:
        return self.root / "hub.sock"

    @property
    def requests(self) -> Path:
        return self.root / "requests.jsonl"

    def feed_path(self, feed_hex: str) -> Path:
        return self.feeds / f"{feed_hex}.log"

    def require_initialised(self) -> None:
        if not self.identity.exists():
            raise DataDirError(
                f"no hub in {self.root}: run `canopy init --name NAME --data {self.root}` first"
            )


class WriterLock:
    """An exclusive, non-blocking flock on ``writer.lock``; released when the process dies."""

    def __init__(self, datadir: DataDir) -> None:
        self.datadir = datadir
        self._fd: int | None = None

    def acquire(self, wait: float = 0.0) -> None:
        """Take the lock, retrying for up to ``wait`` seconds; raises :class:`Busy`."""
        try:
            fd = os.open(self.datadir.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:
            raise DataDirError(f"cannot open {self.datadir.lock_path}: {e.strerror}") from e
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as e:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise Busy(
                        f"another canopy process is writing {self.datadir.root} "
                        "and does not answer on its control socket"
                    ) from e
                time.sleep(0.02)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WriterLock:
        self.acquire(wait=10.0)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
