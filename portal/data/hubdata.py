"""The portal's window on the hub: read the log directly, hand every write to the daemon.

Like ``get_db`` in the Flask tutorial, :func:`get_hub` returns the app's one
:class:`PortalHub`, built lazily in each worker process. Reads go straight to the feed
files (safe while the daemon appends). Writes go over the daemon's control socket; when
nobody answers, :class:`WritesPaused` is raised so a page can say so plainly. The portal
never writes the log itself.
"""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from crypto.entrysig import ZERO_HASH, verify_entry
from crypto.errors import CryptoError
from crypto.keys import PublicKey
from crypto.note import Checkpoint, parse_note
from hub.daemon import DaemonNotRunning, call
from hub.errors import DaemonError, HubError, fault_of
from hub.local import DataDir, Identity
from hub.log import LoggedEntry, LogView
from portal.data.content import render_markdown
from portal.data.state import LogState

ENTRY_CACHE = 1024


class PortalWriteError(Exception):
    """The daemon refused a write; the message is safe to show (it is escaped).

    ``fault`` names the daemon's error class (:data:`hub.errors.FAULTS`): bad input is the
    visitor's to fix (HTTP 400), anything else is the hub's (HTTP 503).
    """

    def __init__(self, message: str, fault: str = "daemon") -> None:
        super().__init__(message)
        self.fault = fault

    @property
    def status(self) -> int:
        return 400 if self.fault in ("input", "entry") else 503


class WritesPaused(PortalWriteError):
    """The daemon is not running: nothing can be written until it is back."""


class PortalHub:
    """Per-process access to one data directory.

    The feed reader behind :class:`LogView` refreshes itself on use and is not
    thread-safe, so every read goes through one re-entrant lock (gunicorn's threads share
    it). Reads are short: a page touches a handful of entries.
    """

    def __init__(self, root: Path) -> None:
        self.datadir = DataDir(root)
        self._view: LogView | None = None
        self._state: LogState | None = None
        self._entries: OrderedDict[tuple[str, int], LoggedEntry] = OrderedDict()
        self._io = threading.RLock()

    @property
    def view(self) -> LogView:
        with self._io:
            if self._view is None:
                self._view = LogView(self.datadir)
            return self._view

    @property
    def identity(self) -> Identity:
        return self.view.identity

    def state(self) -> LogState:
        """The derived state, brought up to date with the feed."""
        with self._io:
            if self._state is None:
                self._state = LogState(self.view)
            self._state.update()
            return self._state

    def folded(self) -> LogState:
        """The derived state as the request's first :meth:`state` call left it (no refresh:
        for helpers called once per entry line)."""
        with self._io:
            return self._state if self._state is not None else self.state()

    def entry(self, index: int, feed: str | None = None) -> LoggedEntry:
        """One decoded entry of the own feed or a held replica; entries never change, so
        they are kept (bounded LRU, keyed by feed and index)."""
        key = (feed or self.identity.feed.hex(), index)
        with self._io:
            e = self._entries.get(key)
            if e is None:
                e = self._entries[key] = self.view.entry(index, key[0])
                if len(self._entries) > ENTRY_CACHE:
                    self._entries.popitem(last=False)
            else:
                self._entries.move_to_end(key)
            return e

    def entries(self, indexes: list[int], feed: str | None = None) -> list[LoggedEntry]:
        return [self.entry(i, feed) for i in indexes]

    def entries_at(self, refs: list[tuple[str, int]]) -> list[LoggedEntry]:
        """Entries named by ``(feed, index)``, in that order."""
        return [self.entry(i, feed) for feed, i in refs]

    def read_range(self, start: int, stop: int, feed: str | None = None) -> list[bytes]:
        """The exact stored bytes of entries ``[start, stop)`` of a feed (default: own)."""
        with self._io:
            return self.view.reader(feed).read_range(start, stop)

    def markdown(self, index: int) -> str:
        """Sanitised HTML of a charter/protocol/vow entry's text (cached per entry)."""
        return _markdown_cached(self, index)

    def signature_ok(self, index: int, feed: str | None = None) -> tuple[bool, str]:
        """Check an entry's signature over its feed's key, position and predecessor."""
        feed = feed or self.identity.feed.hex()
        with self._io:
            reader = self.view.reader(feed)
            prev = reader.leaves[index - 1] if index > 0 else ZERO_HASH
            raw = reader.read(index)
        try:
            verify_entry(PublicKey.from_hex(feed), index, prev, raw)
        except CryptoError as e:
            return False, str(e)
        return True, ""

    def proof(self, index: int, feed: str | None = None) -> dict[str, Any]:
        """RFC 9162 inclusion proof of entry ``index`` in its feed's current tree."""
        with self._io:
            reader = self.view.reader(feed)
            size = len(reader)
            path = self.view.inclusion(index, size, feed)
            leaf = reader.leaves[index]
            root = self.view.root(feed, size)
        return {
            "leaf_index": index,
            "tree_size": size,
            "leaf_hash": _b64(leaf),
            "root": _b64(root),
            "inclusion_path": [_b64(p) for p in path],
        }

    # -- writes, through the daemon ---------------------------------------------------
    def request(self, op: str, **args: Any) -> dict[str, Any]:
        """Run a daemon op; raises :class:`WritesPaused` or :class:`PortalWriteError`."""
        try:
            return call(self.datadir.socket, op, timeout=10.0, **args)
        except DaemonNotRunning as e:
            raise WritesPaused(str(e)) from e
        except HubError as e:
            raise PortalWriteError(str(e), fault_of(e)) from e

    def daemon_up(self) -> bool:
        try:
            call(self.datadir.socket, "ping", timeout=2.0)
        except DaemonError:
            return False
        return True

    def checkpoint(self) -> tuple[str, int]:
        """The daemon's signed checkpoint note and its tree size."""
        note = str(self.request("checkpoint")["checkpoint"])
        try:
            size = Checkpoint.parse(parse_note(note).text).size
        except CryptoError as e:
            raise PortalWriteError(f"the hub sent an unreadable checkpoint: {e}") from e
        return note, size


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@lru_cache(maxsize=256)
def _markdown_cached(hub: PortalHub, index: int) -> str:
    text = hub.entry(index).body.named_fields().get("text")
    return render_markdown(text if isinstance(text, str) else "")


def init_app(app: Flask) -> None:
    app.extensions["canopy_hub"] = PortalHub(Path(app.config["DATA"]))


def get_hub() -> PortalHub:
    hub: PortalHub = current_app.extensions["canopy_hub"]
    return hub
