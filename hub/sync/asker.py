"""The asking half of the sync engine, sans-IO: requests for what a hub lacks.

- **When.** A hub that learns a feed is longer elsewhere asks ``(feed, start = what it
  holds, count)`` after a short back-off in a place hashed from the request, so several
  lagging hubs do not ask at once (one overhearing another's request stays quiet; the
  engine sees to that); across relays at a random point 0.5-2 slots later, drawn afresh
  for every ask, so two requests that collided do not collide again. It never asks while
  an answer is still arriving: entries of the feed, or of any feed (answers queue behind
  one another where hubs hear each other), taken within a slot. It asks again when an
  earlier request got nothing for ``retry`` slots; the engine wakes for that, with no
  frame heard to wake it. Out of airtime, it looks again a slot later.
- **One at a time when airtime is scarce.** Across relays, once sync has spent
  ``ask_alone`` of its hourly share, a hub asks for one feed at a time: the answers to two
  requests can come from hubs on two sides of it that cannot hear each other, collide at
  it (it hears both through two relays), and each collision costs a repeat.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable

from hub.sync import frames as fr
from hub.sync.records import Action, FeedSync, SyncPolicy, asking, rank
from hub.sync.responder import Ledger
from hub.sync.store_port import SyncStore


class Asker:
    """Plans and sends one hub's requests (see the module docstring)."""

    def __init__(
        self,
        own: bytes,
        store: SyncStore,
        policy: SyncPolicy,
        ledger: Ledger,
        rng: random.Random,
        slot: Callable[[], float],
    ) -> None:
        self.own, self.store, self.policy, self.ledger = own, store, policy, ledger
        self.rng, self.slot = rng, slot
        self.any_progress_at = -1e18  # the latest progress_at of any feed

    def progressed(self, fs: FeedSync, now: float) -> None:
        """Entries of ``fs`` were taken: its answer (and so any queued behind it) is still
        arriving."""
        fs.progress_at = self.any_progress_at = now

    def claim(self, fs: FeedSync, size: int, now: float) -> None:
        """Someone holds ``size`` entries of this feed: fetch what we lack."""
        if size > fs.heard_size:
            fs.heard_size = size
            fs.heard_at = now
        self.plan(fs, now)

    def plan(self, fs: FeedSync, now: float) -> None:
        ready = self.wake(fs)
        if ready is None or now < ready:
            return  # nothing to ask; or asked for, or an answer is still arriving
        mine, slot = self.store.size(fs.feed), self.slot()
        fs.request_start = mine
        if self.policy.hop_limit:  # a fresh draw each time: a collision is not repeated
            fs.request_due = now + slot * self.rng.uniform(0.5, 2.0)
            return
        place = rank(self.own, fs.feed[: fr.FEED_ID], mine, 4)
        fs.request_due = now + slot * (0.5 + place) + self.rng.uniform(0, slot / 4)

    def wake(self, fs: FeedSync) -> float | None:
        """When :meth:`plan` may next ask for ``fs`` (None: it lacks nothing, or a request
        is planned): once an ask that got nothing has had ``retry`` slots, and entries of
        it, or of any feed, have stopped coming for a slot (asking again mid-answer would
        double it). The engine wakes then, with no frame heard to wake it."""
        if fs.request_due is not None or fs.feed == self.own:
            return None
        held, slot = self.store.size(fs.feed), self.slot()
        if fs.heard_size <= held:
            return None
        again = fs.asked_at + self.policy.retry * slot if fs.request_start == held else -1e18
        return max(again, self.any_progress_at + slot)  # any feed's: this feed's included

    def due(self, fs: FeedSync, now: float, feeds: Iterable[FeedSync]) -> list[Action]:
        """The request for ``fs`` if it is due; or plan one again if an earlier ask got
        nothing (the engine wakes for that at :meth:`wake`)."""
        due = fs.request_due is not None and now >= fs.request_due
        if due and self._alone(fs, now, feeds):
            fs.request_due = now + self.slot() / 2
        elif due:
            fs.request_due = None
            mine = self.store.size(fs.feed)
            want = min(self.policy.batch, fs.heard_size - mine, fs.hole(mine))
            if want > 0 and not self.ledger.afford(now):
                fs.request_due = now + self.slot()  # out of airtime: look again a slot on
            elif want > 0:
                skip, upto = fs.repair(mine, want)
                req = fr.Request(fs.feed[: fr.FEED_ID], mine, want, skip, upto)
                fs.asked_at, fs.request_start, fs.served_at = now, mine, now
                return self.ledger.send(fr.encode(req), now)
        else:
            self.plan(fs, now)  # a no-op unless an earlier ask got nothing and may be repeated
        return []

    def _alone(self, fs: FeedSync, now: float, feeds: Iterable[FeedSync]) -> bool:
        """Wait: airtime is scarce across relays, and another ask of ours is out."""
        p, slot = self.policy, self.slot()
        if not p.hop_limit or self.ledger.spent_in_hour(now) < p.ask_alone * self.ledger.budget:
            return False
        return asking(feeds, fs, self.store.size, now, p.retry * slot, slot)
