"""What the public pages show: the hub's one state, plus the indexes pages are cut from.

A view of :class:`hub.state.model.HubState` (the same fold the radio desk, MQTT and the CLI
read, so the portal and the radio never disagree about who is on duty), kept current
incrementally: the feed is append-only, so each request costs one ``refresh`` of the feed
reader (a stat-sized read of nothing when the log has not grown), never a re-decode of the
whole log. Besides the state it keeps page indexes (entry numbers by day and by kind), not
entry texts, so a worker's memory grows by a few bytes per entry; pages read the handful of
entries they show from the feed file.
"""

from __future__ import annotations

import bisect
import threading
import time as _time
from array import array
from collections.abc import Callable

from hub.log.entry import LoggedEntry
from hub.log.view import LogView
from hub.state.alerts import Alert
from hub.state.model import FeedState, HubState

DAY = 86400


class LogState:
    """The own feed's state and page indexes; call :meth:`update` before reading them."""

    def __init__(self, view: LogView, clock: Callable[[], float] = _time.time) -> None:
        self.view = view
        self.clock = clock
        self.hub = HubState(view.own_feed)
        self.size = 0
        self.times = array("q")
        self.by_kind: dict[int, array[int]] = {}
        self._lock = threading.Lock()

    def update(self) -> int:
        """Take in entries appended since the last call; return the feed size."""
        with self._lock:
            size = len(self.view.reader())
            if size > self.size:
                for e in self.view.entries(None, self.size, size):
                    self._apply(e)
                self.size = size
            return self.size

    def _apply(self, e: LoggedEntry) -> None:
        self.hub.apply(e)
        self.times.append(e.body.time)
        self.by_kind.setdefault(e.body.kind, array("I")).append(e.index)

    def version(self) -> tuple[int, int]:
        """What a cached page depends on: the log's size and the roles that ended since."""
        return self.hub.epoch(self.clock())

    # -- what the own feed says (charter, protocols, vows, compact, corrections) ----------
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
    def on_duty(self) -> list[int]:
        """Entry indexes of the own feed's check-ins of those on duty now, oldest first."""
        own = self.hub.own
        return sorted(s.index for s in self.hub.on_duty(self.clock()) if s.feed == own)

    def active_alerts(self) -> list[Alert]:
        return self.hub.alerts.active()

    def past_alerts(self) -> list[Alert]:
        return [a for a in self.hub.alerts.all() if not a.active]

    def day_range(self, day_start: int) -> tuple[int, int]:
        """Indexes [lo, hi) of entries claimed on the UTC day starting at ``day_start``.

        Claimed time never goes backwards within a feed, so the times are sorted.
        """
        lo = bisect.bisect_left(self.times, day_start, 0, self.size)
        hi = bisect.bisect_left(self.times, day_start + DAY, lo, self.size)
        return lo, hi

    def select(self, kind: int | None, day_start: int | None) -> tuple[int, int, array[int] | None]:
        """The matching entries as ``(lo, hi, indexes)``.

        With no kind filter the matches are the contiguous range ``[lo, hi)`` and
        ``indexes`` is None; with one, they are ``indexes[lo:hi]``.
        """
        lo, hi = (0, self.size) if day_start is None else self.day_range(day_start)
        if kind is None:
            return lo, hi, None
        idx = self.by_kind.get(kind, array("I"))
        return bisect.bisect_left(idx, lo), bisect.bisect_left(idx, hi), idx

    def page(
        self, kind: int | None, day_start: int | None, page: int, per_page: int
    ) -> tuple[list[int], int]:
        """Entry indexes of one page, newest first, and the number of matches."""
        lo, hi, idx = self.select(kind, day_start)
        total = hi - lo
        top = hi - (page - 1) * per_page
        bottom = max(lo, top - per_page)
        if top <= lo:
            return [], total
        if idx is None:
            return list(range(top - 1, bottom - 1, -1)), total
        return [idx[j] for j in range(top - 1, bottom - 1, -1)], total
