"""Finding a fork a copy already holds (docs/sync.md, "Finding a fork"). Sans-IO.

A hub whose copy of a feed took another history hears it only indirectly: a summary of
the same size with another root, or the next entries failing to chain onto its copy
(their previous hash is not its own, so their signatures fail). Either starts a search:
ask for the entry just before; while the first entry of the answer again does not chain,
ask twice as far back, down to entry 0. The store raises ``ForkFound`` at the first entry
that differs from ours and verifies; an answer that matches our copy ends the search.
One search per feed per ``every()`` seconds, so junk frames cannot keep the radio busy.
The state lives in each feed's :class:`hub.sync.records.FeedSync` (``probe*``).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from hub.sync import frames as fr
from hub.sync.records import FeedSync
from hub.sync.store_port import SyncStore


class ForkSearch:
    """One per sync engine; ``slot`` is the engine's answer back-off step, now."""

    def __init__(
        self,
        store: SyncStore,
        count: Callable[[str], None],
        slot: Callable[[], float],
        rng: random.Random,
        retry: float,
    ) -> None:
        self.store, self.count, self.slot, self.rng, self.retry = store, count, slot, rng, retry

    def every(self) -> float:
        return self.retry * self.slot() * 4

    def delay(self) -> float:
        return self.slot() * (0.5 + self.rng.uniform(0, 0.25))

    def hint(self, fs: FeedSync, at: int, now: float) -> None:
        """Something below position ``at`` may differ from the other hubs' copies."""
        mine = self.store.size(fs.feed)
        searching = fs.probe is not None and now - fs.probe_began < self.every()
        if searching and at == fs.probe and fs.probe_due is None:
            if at == 0:  # entry 0 follows nothing: a bad entry 0 is junk, not a fork
                self.end(fs, "probe-junk")
                return
            fs.probe = max(0, mine - 2 * (mine - at))
        elif not searching and 0 < at <= mine and now - fs.probe_began >= self.every():
            fs.probe, fs.probe_began = at - 1, now
            self.count("probe")
        else:
            return
        fs.probe_due = now + self.delay()

    def refused(self, fs: FeedSync, start: int, raws: list[bytes], now: float, reason: str) -> None:
        """The store refused one of the entries from ``start`` for ``reason``."""
        mine = self.store.size(fs.feed)
        if reason != "bad-signature" or start > mine:
            return
        if self.store.read(fs.feed, start, start + 1) != raws[:1]:
            self.hint(fs, start, now)  # the first did not chain: ours before it may differ
        elif fs.probe == start:  # it chained onto our copy: merely a bad entry
            self.end(fs, "probe-junk")

    def stored(self, fs: FeedSync, start: int, mine: int) -> None:
        """Entries from ``start`` were taken (or matched what we hold, up to ``mine``)."""
        if fs.probe == start and start < mine:
            self.end(fs, "probe-clean")  # the answer matches our copy: no fork there

    def end(self, fs: FeedSync, why: str | None = None) -> None:
        fs.probe = fs.probe_due = None
        if why is not None:
            self.count(why)

    def due(self, fs: FeedSync, now: float, batch: int) -> fr.Request | None:
        """The search's next request, when it is time to send it."""
        if fs.probe is None or fs.probe_due is None or now < fs.probe_due:
            return None
        fs.probe_due = None
        count = min(batch, max(1, self.store.size(fs.feed) - fs.probe))
        return fr.Request(fs.feed[: fr.FEED_ID], fs.probe, count)
