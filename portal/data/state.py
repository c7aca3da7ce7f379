"""What the public pages show, derived from the hub's own feed and updated incrementally.

The feed is append-only, so the derived state only ever needs the entries it has not
seen yet: each request costs one ``refresh`` of the feed reader (a stat-sized read of
nothing when the log has not grown), never a re-decode of the whole log. The state keeps
indexes (entry numbers), not entry texts, so a worker's memory grows by a few bytes per
entry; pages read the handful of entries they show from the feed file.

Rules (see docs/portal.md):

- on duty and active alerts: exactly the hub's rules (:class:`hub.state.patrol.Patrol`,
  :class:`hub.state.alerts.AlertBook`), so the portal and the radio never disagree;
- charter, protocol (per slug) and vow (per partner name): the latest entry wins;
- corrections are listed by the index of the entry they correct.
"""

from __future__ import annotations

import bisect
import threading
from array import array
from collections import deque

from hub.log.view import LoggedEntry, LogView
from hub.state.alerts import Alert, AlertBook
from hub.state.patrol import Patrol

DAY = 86400


class LogState:
    """Derived state of the own feed; call :meth:`update` before reading it."""

    def __init__(self, view: LogView) -> None:
        self.view = view
        self.size = 0
        self.times = array("q")
        self.by_kind: dict[int, array[int]] = {}
        self.patrol = Patrol()
        self.alerts = AlertBook()
        self.charter: int | None = None
        self.protocols: dict[str, int] = {}
        self.vows: dict[str, int] = {}
        self.compact_count = 0
        self.compact_recent: deque[int] = deque(maxlen=12)
        self.corrections: dict[int, list[int]] = {}
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
        b, i = e.body, e.index
        self.times.append(b.time)
        self.by_kind.setdefault(b.kind, array("I")).append(i)
        f = b.named_fields()
        name = b.kind_name
        # who is on duty and which alerts are active: the hub's own rules, not a copy
        self.patrol.apply(i, b)
        self.alerts.apply(i, b)
        if name == "charter":
            self.charter = i
        elif name == "protocol" and isinstance(f.get("slug"), str):
            self.protocols[str(f["slug"])] = i
        elif name == "vow" and isinstance(f.get("name"), str):
            self.vows[str(f["name"])] = i
        elif name == "compact":
            self.compact_count += 1
            self.compact_recent.append(i)
        elif name == "correction":
            target = f.get("target")
            if isinstance(target, int):
                self.corrections.setdefault(target, []).append(i)

    # -- queries ------------------------------------------------------------------
    def on_duty(self) -> list[int]:
        """Entry indexes of the open check-ins, oldest first."""
        return sorted(s.index for s in self.patrol.on_duty())

    def active_alerts(self) -> list[Alert]:
        return self.alerts.active()

    def past_alerts(self) -> list[Alert]:
        return [a for a in self.alerts.all() if not a.active]

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
