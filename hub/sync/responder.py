"""The sending half of the sync engine: answers to requests, pushes of new own entries,
summaries and checkpoints, all charged to one airtime ledger. Sans-IO.

- **Answers.** Every hub holding what a request asks plans an answer at a deterministic
  back-off (the feed's own hub first, the others in an order hashed from the request); one
  that overhears an answer covering the request cancels its own.
- **Push on write.** When the own feed grows, its new entries go out as an entries frame
  after a quarter slot (writes close together share a frame), so neighbours in earshot
  take them without a summary and a request.
- **Checkpoints** of the own feed go with a summary, only the newest, at most one per
  ``checkpoint_every``, and only when the own feed grew since the last one sent.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from hub.sync import frames as fr
from hub.sync import stream
from hub.sync.records import HOUR, Action, Send, SyncPolicy, rank
from hub.sync.store_port import SyncStore


class Ledger:
    """Everything sync sends, against its share of the radio's duty-cycle budget."""

    def __init__(
        self, airtime: Callable[[int], float], budget: float, count: Callable[[str], None]
    ) -> None:
        self.airtime = airtime
        self.budget = budget
        self.count = count
        self.spent: deque[tuple[float, float]] = deque()
        self.sent_bytes = 0

    def afford(self, now: float) -> bool:
        """May sync send one more full frame now without passing its share of airtime?"""
        ok = self.spent_in_hour(now) + self.airtime(fr.MAX_FRAME) <= self.budget
        if not ok:
            self.count("deferred-airtime")
        return ok

    def send(self, payload: bytes, now: float) -> list[Action]:
        self.spent.append((now, self.airtime(len(payload))))
        self.sent_bytes += len(payload)
        self.count("sent-frames")
        return [Send(payload)]

    def spent_in_hour(self, now: float) -> float:
        while self.spent and now - self.spent[0][0] >= HOUR:
            self.spent.popleft()
        return sum(a for _, a in self.spent)


class Responder:
    """Answers, pushes, summaries and checkpoints of one hub (see the module docstring)."""

    def __init__(self, own: bytes, store: SyncStore, policy: SyncPolicy, ledger: Ledger) -> None:
        self.own, self.store, self.policy, self.ledger = own, store, policy, ledger
        self.answers: dict[tuple[bytes, int], tuple[float, int]] = {}  # (id, start) -> due
        self.push_from: int | None = None
        self.push_due: float | None = None
        self.checkpoint_sent = store.size(own)  # what a restart sent before is not resent
        self.checkpoint_at = -1e18
        self._rotate = 0

    def wakes(self) -> list[float]:
        times = [due for due, _ in self.answers.values()]
        return times + ([self.push_due] if self.push_due is not None else [])

    # -- planning ------------------------------------------------------------------------
    def plan(self, r: fr.Request, feed: bytes, now: float, delay: float) -> None:
        """Someone asked: answer after ``delay`` unless someone else does first."""
        size = self.store.size(feed)
        if r.start >= size or (r.feed, r.start) in self.answers:
            return
        self.answers[(r.feed, r.start)] = (now + delay, min(r.count, size - r.start))

    def place(self, r: fr.Request, feed: bytes) -> int:
        """Our place in line for this request: the feed's own hub first."""
        return 0 if feed == self.own else 1 + rank(self.own, r.feed, r.start, 7)

    def heard(self, fid: bytes, lo: int, hi: int) -> int:
        """Someone sent positions ``[lo, hi)`` of ``fid``: drop answers they overlap."""
        # any piece of the range: one lost frame must not make a second hub answer it all
        gone = [
            k for k, (_, n) in self.answers.items() if k[0] == fid and lo < k[1] + n and k[1] < hi
        ]
        for key in gone:
            del self.answers[key]
        if (
            fid == self.own[: fr.FEED_ID]
            and self.push_from is not None
            and lo <= self.push_from < hi
        ):
            self.push_from = hi if hi < self.store.size(self.own) else None
            self.push_due = self.push_due if self.push_from is not None else None
        return len(gone)

    def appended(self, now: float, slot: float) -> None:
        """The own feed grew: push the new entries soon (writes close together share)."""
        if self.push_from is None:
            self.push_from = self.store.size(self.own) - 1
        if self.push_due is None:
            self.push_due = now + slot / 4

    # -- sending -------------------------------------------------------------------------
    def due(self, now: float) -> list[Action]:
        out: list[Action] = []
        if self.push_due is not None and now >= self.push_due and self.ledger.afford(now):
            start, self.push_due = self.push_from, None
            self.push_from = None
            if start is not None and start < self.store.size(self.own):
                out += self.entries(self.own, start, self.store.size(self.own) - start, now)
        for key, (due, count) in sorted(self.answers.items(), key=lambda kv: kv[1][0]):
            if now >= due:
                if not self.ledger.afford(now):
                    break
                del self.answers[key]
                feed = next((k for k in self.store.feeds() if k[: fr.FEED_ID] == key[0]), None)
                if feed is not None:
                    out += self.entries(feed, key[1], count, now)
        return out

    def entries(self, feed: bytes, start: int, count: int, now: float) -> list[Action]:
        """Entries ``[start, start + count)`` as one stream of full frames (an answer or a
        push), as many as ``answer_frames`` and the ledger allow."""
        raws = self.store.read(feed, start, start + count)
        if not raws:
            return []
        frames, _ = stream.pack(feed[: fr.FEED_ID], start, raws, self.policy.answer_frames)
        out: list[Action] = []
        for frame in frames:
            if out and not self.ledger.afford(now):
                break
            out += self.ledger.send(fr.encode(frame), now)
        return out

    def summary(self, now: float) -> list[Action]:
        """The summary (and, when due, the own checkpoint) for a Trickle firing."""
        out = self.ledger.send(self._summary(), now)
        size = self.store.size(self.own)
        every = self.policy.checkpoint_every
        due = size != self.checkpoint_sent and now - self.checkpoint_at >= every
        if due and self.ledger.afford(now):
            size, root, sig = self.store.signed_checkpoint()
            cp = fr.SignedCheckpoint(self.own[: fr.FEED_ID], size, root, sig)
            out += self.ledger.send(fr.encode(cp), now)
            self.checkpoint_sent, self.checkpoint_at = size, now
        return out

    def _summary(self) -> bytes:
        own = self.own[: fr.FEED_ID]
        rows = [self._frontier(self.own)]
        others = [k for k in self.store.feeds() if k != self.own]
        per_frame = (fr.MAX_FRAME - 1 - fr.FEED_ID) // (fr.FEED_ID + 5 + fr.ROOT_ID) - 1
        if len(others) > per_frame:  # too many to list at once: take turns
            self._rotate = (self._rotate + per_frame) % len(others)
            others = (others + others)[self._rotate : self._rotate + per_frame]
        rows += [self._frontier(k) for k in others]
        return fr.encode(fr.Summary(own, tuple(rows)))

    def _frontier(self, feed: bytes) -> fr.Frontier:
        root = self.store.root(feed)[: fr.ROOT_ID]
        return fr.Frontier(feed[: fr.FEED_ID], self.store.size(feed), root)
