"""Page indexes: where a page's entries are, never their texts.

- :class:`FeedIndex`: one feed's claimed times (by entry number) and entry numbers by kind.
  Claimed time never goes backwards within a feed a hub signs, so a day is a contiguous
  range found by bisection.
- :class:`Timeline`: entries of several feeds merged by claimed time, as two parallel
  arrays sorted by ``(time, ref)``, where ``ref = feed number << 40 | entry number``. Entries
  of the own feed arrive at the end; a replica's catch-up lands near the end (bisection and
  a short move), and a large batch (a worker's first fold) is sorted once.

A few bytes per entry, so a worker's memory stays small however long the logs grow.
"""

from __future__ import annotations

import bisect
from array import array

from hub.log import LoggedEntry

DAY = 86400
REF_BITS = 40
MAX_TIME = 2**40 - 1  # a replica may claim any 64-bit time; pages index it clamped
BULK = 256  # a batch at least this long is sorted in, not inserted one by one


def ref_of(feed_no: int, index: int) -> int:
    return feed_no << REF_BITS | index


def split_ref(ref: int) -> tuple[int, int]:
    return ref >> REF_BITS, ref & (2**REF_BITS - 1)


def page_span(lo: int, hi: int, page: int, per_page: int) -> range:
    """Positions ``[lo, hi)`` of one page, newest (highest) first."""
    top = hi - (page - 1) * per_page
    if top <= lo:
        return range(0)
    return range(top - 1, max(lo, top - per_page) - 1, -1)


class FeedIndex:
    """One feed's entries by claimed time and by kind; fed in feed order with :meth:`add`."""

    def __init__(self) -> None:
        self.times = array("q")
        self.by_kind: dict[int, array[int]] = {}

    @property
    def size(self) -> int:
        return len(self.times)

    def add(self, e: LoggedEntry) -> None:
        self.times.append(min(e.body.time, MAX_TIME))
        self.by_kind.setdefault(e.body.kind, array("I")).append(e.index)

    def day_range(self, day_start: int) -> tuple[int, int]:
        """Entry numbers ``[lo, hi)`` claimed on the UTC day starting at ``day_start``."""
        lo = bisect.bisect_left(self.times, day_start)
        hi = bisect.bisect_left(self.times, day_start + DAY, lo)
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
        """Entry numbers of one page, newest first, and the number of matches."""
        lo, hi, idx = self.select(kind, day_start)
        span = page_span(lo, hi, page, per_page)
        return (list(span) if idx is None else [idx[j] for j in span]), hi - lo


class Timeline:
    """Entries of several feeds in claimed-time order (see the module docstring)."""

    def __init__(self) -> None:
        self.times = array("q")
        self.refs = array("Q")

    def __len__(self) -> int:
        return len(self.times)

    def extend(self, keys: list[tuple[int, int]]) -> None:
        """Take in ``(time, ref)`` pairs, each once."""
        if len(keys) >= BULK:
            merged = sorted([*zip(self.times, self.refs, strict=True), *keys])
            self.times = array("q", (t for t, _ in merged))
            self.refs = array("Q", (r for _, r in merged))
            return
        for t, ref in keys:
            self.add(t, ref)

    def add(self, t: int, ref: int) -> None:
        times, refs = self.times, self.refs
        if not times or (t, ref) > (times[-1], refs[-1]):
            times.append(t)
            refs.append(ref)
            return
        lo = bisect.bisect_left(times, t)
        hi = bisect.bisect_right(times, t, lo)
        pos = bisect.bisect_left(refs, ref, lo, hi)
        times.insert(pos, t)
        refs.insert(pos, ref)

    def page(self, day_start: int | None, page: int, per_page: int) -> tuple[list[int], int]:
        """Refs of one page, newest first, and the number of matches."""
        if day_start is None:
            lo, hi = 0, len(self.times)
        else:
            lo = bisect.bisect_left(self.times, day_start)
            hi = bisect.bisect_left(self.times, day_start + DAY, lo)
        return [self.refs[j] for j in page_span(lo, hi, page, per_page)], hi - lo
