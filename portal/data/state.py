"""What the public pages show: the hub's one state, plus the indexes pages are cut from.

A view of :class:`hub.state.model.HubState` (the same fold the radio desk, MQTT and the CLI
read, so the portal and the radio never disagree about who is on duty), folded in the same
order as the daemon's (:attr:`hub.daemon.core.HubCore.state`): the own feed first, because
its ``peer`` and ``unpeer`` entries say whose entries count, then the new entries of each
federated hub's replica (``DIR/feeds/<hex>.log``).

Kept current incrementally: feeds are append-only, so each request costs one ``refresh``
per feed reader (a stat-sized read of nothing when the feed has not grown), never a
re-decode of the logs. One exception: when the own feed changes the federation of a hub
whose entries are already folded (removed, or federated again), whose entries count changes
after the fact, so the fold starts again from nothing, exactly as a fresh worker would.

Besides the state it keeps page indexes (:mod:`portal.data.timeline`), not entry texts, so
a worker's memory grows by a few bytes per entry; pages read the handful of entries they
show from the feed files.
"""

from __future__ import annotations

import logging
import threading
import time as _time
from array import array
from collections.abc import Callable

from hub.errors import StoreError
from hub.log import FeedReader, LoggedEntry, LogView, iter_entries
from hub.state import Alert, FeedState, HubState
from portal.data.timeline import MAX_TIME, FeedIndex, Timeline, ref_of, split_ref

log = logging.getLogger("canopy.portal")
FEDERATION_KINDS = ("peer", "unpeer")


class LogState:
    """The fold of every feed the hub holds and counts; call :meth:`update` before reading."""

    def __init__(self, view: LogView, clock: Callable[[], float] = _time.time) -> None:
        self.view = view
        self.clock = clock
        self._lock = threading.Lock()
        self._start()

    def _start(self) -> None:
        self.hub = HubState(self.view.own_feed, self.view.identity.name)
        self.indexes: dict[str, FeedIndex] = {}  # every feed folded, own first
        self.order: list[str] = []  # feed numbers of the timeline's refs
        self.timeline = Timeline()  # entries that count, every feed, by claimed time
        self.kind_lines: dict[int, Timeline] = {}
        self.unreadable: dict[str, str] = {}  # replica -> why its fold stopped
        self.counting: dict[str, int] = {}  # feed -> entries that count here

    def update(self) -> int:
        """Take in entries appended to any feed since the last call; return the own size."""
        with self._lock:
            pending: list[tuple[int, int, int]] = []
            if self._fold(self.hub.own, pending):
                self._start()
                pending = []
                self._fold(self.hub.own, pending)
            for feed in list(self.hub.peers):
                if feed not in self.unreadable:
                    self._fold(feed, pending)
            self._merge(pending)
            return self.size

    def _reader(self, feed: str) -> FeedReader | None:
        new = feed != self.hub.own and feed not in self.indexes
        if new and not self.view.datadir.feed_path(feed).exists():
            return None  # federated, nothing received yet
        return self.view.reader(feed)

    def _fold(self, feed: str, pending: list[tuple[int, int, int]]) -> bool:
        """Fold a feed's new entries; True if the own feed re-federated a folded feed."""
        reader = self._reader(feed)
        if reader is None:
            return False
        fi = self.indexes.get(feed)
        if fi is None:
            fi = self.indexes[feed] = FeedIndex()
            self.order.append(feed)
        size, refolded = len(reader), False
        if size <= fi.size:
            return False
        try:
            for e in iter_entries(reader, feed, fi.size, size):
                if feed == self.hub.own and e.body.kind_name in FEDERATION_KINDS:
                    target = e.body.named_fields().get("feed")
                    if isinstance(target, bytes) and self.held(target.hex()):
                        refolded = True
                self._apply(e, fi, pending)
        except StoreError as e:
            if feed == self.hub.own:
                raise
            log.warning("replica %s… stops folding: %s", feed[:16], e)
            self.unreadable[feed] = str(e)
        return refolded

    def _apply(self, e: LoggedEntry, fi: FeedIndex, pending: list[tuple[int, int, int]]) -> None:
        self.hub.apply(e)
        fi.add(e)
        if e.feed == self.hub.own or self.hub.counts(e):
            no = self.order.index(e.feed) if e.feed != self.hub.own else 0
            self.counting[e.feed] = self.counting.get(e.feed, 0) + 1
            pending.append((min(e.body.time, MAX_TIME), ref_of(no, e.index), e.body.kind))

    def _merge(self, pending: list[tuple[int, int, int]]) -> None:
        if not pending:
            return
        self.timeline.extend([(t, r) for t, r, _ in pending])
        by_kind: dict[int, list[tuple[int, int]]] = {}
        for t, r, kind in pending:
            by_kind.setdefault(kind, []).append((t, r))
        for kind, keys in by_kind.items():
            self.kind_lines.setdefault(kind, Timeline()).extend(keys)

    def version(self) -> tuple[int, int, int]:
        """What a cached page depends on: entries folded from every feed (any feed's growth
        moves it), the roles that ended since, and this hub finding (or clearing) its own
        rollback (a file, not an entry: docs/witness.md; every page warns of it)."""
        try:
            rolled = (self.view.datadir.root / "witness" / "rollback.json").stat().st_mtime_ns
        except OSError:
            rolled = 0
        return (*self.hub.epoch(self.clock()), rolled)

    # -- the feeds --------------------------------------------------------------------
    def held(self, feed: str) -> int:
        """Entries of ``feed`` folded here (0 for a feed not held)."""
        fi = self.indexes.get(feed)
        return fi.size if fi is not None else 0

    def feeds(self) -> list[str]:
        """Feeds held and folded: the own feed first, then in the order they were federated."""
        return list(self.order)

    def resolve(self, name: str) -> str | None:
        """The held feed a URL names by its 16 or full 64 lowercase hex digits."""
        if len(name) not in (16, 64) or any(c not in "0123456789abcdef" for c in name):
            return None
        return next((f for f in self.order if f.startswith(name)), None)

    def shown(self) -> list[str]:
        """Feeds whose alerts the pages show: this hub's and the hubs federated now."""
        return [self.hub.own, *(f for f in self.hub.federated() if f in self.indexes)]

    def counted(self, e: LoggedEntry) -> bool:
        """Does this entry count here (the own feed's always do)?"""
        return e.feed == self.hub.own or self.hub.counts(e)

    # -- the own feed (charter, protocols, vows, compact, corrections) ------------------
    @property
    def own_index(self) -> FeedIndex:
        return self.indexes.get(self.hub.own) or FeedIndex()

    @property
    def size(self) -> int:
        return self.own_index.size

    @property
    def times(self) -> array[int]:
        return self.own_index.times

    @property
    def by_kind(self) -> dict[int, array[int]]:
        return self.own_index.by_kind

    @property
    def mine(self) -> FeedState:
        return self.hub.mine

    @property
    def charter(self) -> int | None:
        return self.mine.charter

    @property
    def protocols(self) -> dict[str, int]:
        return self.mine.protocols

    @property
    def vows(self) -> dict[str, int]:
        return self.mine.vows

    @property
    def compact_count(self) -> int:
        return self.mine.compact_count

    @property
    def compact_recent(self) -> list[int]:
        return list(self.mine.compact_recent)

    @property
    def corrections(self) -> dict[int, list[int]]:
        return self.mine.corrections

    # -- queries ------------------------------------------------------------------
    def on_duty(self) -> list[tuple[str, int]]:
        """``(feed, entry)`` of the check-ins of those on duty now, at any federated hub,
        longest on duty first."""
        return [(s.feed, s.index) for s in self.hub.on_duty(self.clock())]

    def alerts(self, active: bool) -> list[tuple[str, Alert]]:
        """Active (or past) alerts of this hub and the hubs federated now, newest first."""
        found = [
            (feed, a)
            for feed in self.shown()
            if feed in self.hub.feeds  # a federated hub whose entries do not count yet
            for a in self.hub.feeds[feed].alerts.alerts.values()
            if a.active == active
        ]
        return sorted(found, key=lambda fa: (-fa[1].time, -fa[1].index))

    def active_alerts(self) -> list[Alert]:
        """The own feed's active alerts, newest first."""
        return self.hub.alerts.active()

    def past_alerts(self) -> list[Alert]:
        return [a for a in self.hub.alerts.all() if not a.active]

    def day_range(self, day_start: int) -> tuple[int, int]:
        return self.own_index.day_range(day_start)

    def select(self, kind: int | None, day_start: int | None) -> tuple[int, int, array[int] | None]:
        return self.own_index.select(kind, day_start)

    def page(
        self, kind: int | None, day_start: int | None, page: int, per_page: int
    ) -> tuple[list[int], int]:
        """Own-feed entry numbers of one page, newest first, and the number of matches."""
        return self.own_index.page(kind, day_start, page, per_page)

    def page_all(
        self, kind: int | None, day_start: int | None, page: int, per_page: int
    ) -> tuple[list[tuple[str, int]], int]:
        """``(feed, entry)`` of one page of every entry that counts here, newest first."""
        line = self.timeline if kind is None else self.kind_lines.get(kind, Timeline())
        refs, total = line.page(day_start, page, per_page)
        return [(self.order[no], i) for no, i in map(split_ref, refs)], total
