"""The log as an outbox: how far each feed has been published, and what is in flight.

Invariants:

- ``published[feed] = n`` means entries ``0 … n-1`` of that feed were all acknowledged by
  the broker (PUBACK). It only grows, one contiguous step at a time, and is what gets saved
  (batched, in one TinyDB document) so a restart resumes there.
- Entries are handed to the client in index order per feed, at most ``window`` messages in
  flight in total. The MQTT client keeps unacknowledged QoS 1 messages across reconnects and
  re-sends them in order, so the outbox never re-sends by itself while the process lives:
  no gaps, and no duplicates unless the broker lost a PUBACK. After a crash, entries that
  were acknowledged but not yet saved are published again (at-least-once; subscribers
  deduplicate by ``(feed, index)``).
- Acknowledgements are applied by the publisher thread, which also records each message id
  right after publishing it: a PUBACK can never be matched before its publish is recorded.
  Message ids the outbox did not record (status, alerts, radio traffic) are ignored.

Thread-safe: the publisher thread calls :meth:`take`, :meth:`sent` and :meth:`acked`; the
daemon loop saves :meth:`snapshot`; status may be read from any thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from tinydb import TinyDB
from tinydb.table import Document

from hub.mqtt.settings import is_feed_hex

TABLE = "mqtt_cursor"


@dataclass(slots=True)
class FeedCursor:
    published: int = 0
    next: int = 0
    acked_above: set[int] = field(default_factory=set)


class Outbox:
    def __init__(self, published: dict[str, int], window: int) -> None:
        self.window = window
        self._lock = threading.Lock()
        self._feeds: dict[str, FeedCursor] = {f: FeedCursor(n, n) for f, n in published.items()}
        self._inflight: dict[int, tuple[str, int]] = {}
        self._dirty = False
        self.acks = 0

    # -- persistence (daemon loop thread) -----------------------------------------------
    @staticmethod
    def load(db: TinyDB) -> dict[str, int]:
        doc = db.table(TABLE).get(doc_id=1)
        feeds = dict(doc).get("feeds") if isinstance(doc, dict) else None
        out: dict[str, int] = {}
        if isinstance(feeds, dict):
            for feed, n in feeds.items():
                if is_feed_hex(str(feed)) and isinstance(n, int) and n >= 0:
                    out[str(feed)] = n
        return out

    @staticmethod
    def save(db: TinyDB, snapshot: dict[str, int]) -> None:
        db.table(TABLE).upsert(Document({"feeds": snapshot}, doc_id=1))

    def snapshot(self) -> dict[str, int] | None:
        """The cursors to save, or None when nothing changed since the last call."""
        with self._lock:
            if not self._dirty:
                return None
            self._dirty = False
            return {f: c.published for f, c in self._feeds.items()}

    # -- publishing -----------------------------------------------------------------------
    def clamp(self, feed: str, length: int) -> bool:
        """A saved cursor beyond the feed's end (restored data): start over at the end."""
        with self._lock:
            c = self._feeds.setdefault(feed, FeedCursor())
            if c.published <= length:
                return False
            self._feeds[feed] = FeedCursor(length, length)
            self._dirty = True
            return True

    def take(self, feed: str, available: int) -> range:
        """Reserve the next indices of ``feed`` to publish, within the free window."""
        with self._lock:
            c = self._feeds.setdefault(feed, FeedCursor())
            # reserved but not yet contiguously acknowledged, over all feeds
            busy = sum(f.next - f.published for f in self._feeds.values())
            free = self.window - busy
            stop = min(available, c.next + max(0, free))
            r = range(c.next, stop)
            c.next = max(c.next, stop)
            return r

    def rewind(self, feed: str, index: int) -> None:
        """Give back reserved indices from ``index`` on (the client refused to queue them)."""
        with self._lock:
            c = self._feeds[feed]
            c.next = max(c.published, min(c.next, index))

    def sent(self, mid: int, feed: str, index: int) -> None:
        """Record the message id of an entry's publish."""
        with self._lock:
            self._inflight[mid] = (feed, index)

    def acked(self, mid: int) -> None:
        """Apply a PUBACK; ids not recorded by :meth:`sent` are ignored."""
        with self._lock:
            item = self._inflight.pop(mid, None)
            if item is None:
                return
            feed, index = item
            c = self._feeds[feed]
            self.acks += 1
            if index < c.published:
                return
            c.acked_above.add(index)
            while c.published in c.acked_above:
                c.acked_above.discard(c.published)
                c.published += 1
                self._dirty = True

    # -- status ---------------------------------------------------------------------------
    def in_flight(self) -> int:
        with self._lock:
            return len(self._inflight)

    def published(self) -> dict[str, int]:
        with self._lock:
            return {f: c.published for f, c in self._feeds.items()}

    def status(self, lengths: dict[str, int]) -> dict[str, Any]:
        pub = self.published()
        return {
            "published": {f[:16]: n for f, n in pub.items()},
            "backlog": sum(max(0, n - pub.get(f, 0)) for f, n in lengths.items()),
            "in_flight": self.in_flight(),
        }
