"""Sync over MQTT, where hubs share a (bridged) broker: peers' entries and sync frames in.

Hubs publish every entry of their own feed on ``canopy/v1/<hub>/log/<feed16>`` (the outbox)
and every sync frame they send on ``canopy/v1/<hub>/sync``. This module takes other hubs'
messages on those topics (client thread: parse, bound, rate-limit) and hands them to the
sync service on the daemon's loop, where they meet the same verifier as frames from the
radio. Entries already held are replays and stored once, whichever path brought them first.
"""

from __future__ import annotations

import base64
import binascii
import json
import time as _time
from collections.abc import Callable
from typing import TYPE_CHECKING

from hub.mqtt.commands import TokenBucket
from hub.mqtt.topics import PREFIX

if TYPE_CHECKING:
    from hub.daemon import Daemon

PEER_LOG = f"{PREFIX}/+/log/+"
PEER_SYNC = f"{PREFIX}/+/sync"
MAX_MESSAGE = 100_000  # a JSON entry of at most 64 KiB, base64'd, with its fields
Count = Callable[..., None]


class PeerInbound:
    def __init__(self, own_hub: str, count: Count) -> None:
        self.own_hub = own_hub  # the first 16 hex of the own feed: our own topics
        self.daemon: Daemon | None = None
        self._count = count
        self._bucket = TokenBucket(20.0, 200.0)

    def wants(self, topic: str) -> bool:
        """Is ``topic`` another hub's log or sync topic?"""
        parts = topic.split("/")
        if len(parts) < 4 or "/".join(parts[:2]) != PREFIX or parts[2] == self.own_hub:
            return False
        return (len(parts) == 4 and parts[3] == "sync") or (len(parts) == 5 and parts[3] == "log")

    def on_message(self, topic: str, payload: bytes) -> None:
        """Client thread: check, then hand over to the loop (or count and drop)."""
        if not self._bucket.take(_time.monotonic()):
            self._count("sync_flood", "peer messages over the rate limit", warn=True)
            return
        if len(payload) > MAX_MESSAGE:
            self._count("sync_oversized")
            return
        daemon = self.daemon
        if daemon is None:
            return
        if topic.endswith("/sync"):
            daemon.call_soon(lambda: self._frame(payload))
            return
        try:
            doc = json.loads(payload)
            feed, index = doc["feed"], doc["index"]
            raw = base64.b64decode(doc["entry"], validate=True)
            if not isinstance(feed, str) or len(feed) != 64 or int(feed, 16) < 0:
                raise ValueError("feed")
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < 2**32:
                raise ValueError("index")
        except (ValueError, KeyError, TypeError, binascii.Error, RecursionError):
            self._count("sync_bad_entry")
            return
        daemon.call_soon(lambda: self._entries(feed.lower(), index, raw))

    def _frame(self, payload: bytes) -> None:
        witness = self.daemon.core.witness if self.daemon is not None else None
        if witness is not None and payload[:1] and payload[0] in witness.WIRE_TYPES:
            witness.on_frame(payload, 0)  # cosignatures and heads share the sync topic
            self._count("witness_frames")
            return
        sync = self.daemon.core.sync if self.daemon is not None else None
        if sync is None:
            self._count("sync_off")
            return
        sync.on_frame(payload, 0)
        self._count("sync_frames")

    def _entries(self, feed: str, index: int, raw: bytes) -> None:
        sync = self.daemon.core.sync if self.daemon is not None else None
        if sync is None:
            self._count("sync_off")
            return
        sync.take_entries(feed, index, [raw])
        self._count("sync_entries")
