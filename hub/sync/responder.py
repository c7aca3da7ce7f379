"""The sending half of the sync engine: answers to requests, pushes of new own entries,
summaries and checkpoints, all charged to one airtime ledger. Sans-IO.

- **Answers.** Every hub holding what a request asks plans an answer at a deterministic
  back-off (the feed's own hub first, the others in an order hashed from the request); one
  that overhears an answer covering the request cancels its own. The same request heard
  again while our answer to it is still leaving the radio is not answered twice.
- **Push on write.** When the own feed grows, its new entries go out as an entries frame
  after a quarter slot (writes close together share a frame), so neighbours in earshot
  take them without a summary and a request.
- **Checkpoints** of the own feed: only the newest, once the feed has been quiet a
  minute (or ``checkpoint_every`` after it began to grow), never two within
  ``checkpoint_every``, and only when it grew since the last one sent.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Container

from hub.sync import frames as fr
from hub.sync import stream
from hub.sync.pacer import spacing
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
        self.air_until = -1e18  # when what we handed the radio has left it (half duplex)

    def afford(self, now: float) -> bool:
        """May sync send one more full frame now without passing its share of airtime?"""
        ok = self.spent_in_hour(now) + self.airtime(fr.MAX_FRAME) <= self.budget
        if not ok:
            self.count("deferred-airtime")
        return ok

    def send(self, payload: bytes, now: float) -> list[Action]:
        air = self.airtime(len(payload))
        self.spent.append((now, air))
        self.air_until = max(self.air_until, now) + air
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
        self.planned: dict[tuple[bytes, int], float] = {}  # (id, start) -> its back-off
        self.ranges: dict[tuple[bytes, int], tuple[int, int]] = {}  # repairs: (skip, upto)
        self.askers: dict[tuple[bytes, int], set[int]] = {}  # radios that asked for it
        self.push_from: int | None = None
        self.push_due: float | None = None
        self.checkpoint_sent = store.size(own)  # what a restart sent before is not resent
        self.checkpoint_at = -1e18
        self.checkpoint_due: float | None = None
        self.pending_since: float | None = None
        self._rotate = 0
        # per feed id: the answer last handed to the radio, [start, end), and when it is out
        self.sending: dict[bytes, tuple[int, int, float]] = {}
        self.told: dict[bytes, int] = {}  # the sizes our last summary told
        self.holders: dict[bytes, dict[bytes, int]] = {}  # feed id -> peer -> size it holds

    def wakes(self) -> list[float]:
        times = [due for due, _ in self.answers.values()]
        times += [self.push_due] if self.push_due is not None else []
        return times + ([self.checkpoint_due] if self.checkpoint_due is not None else [])

    # -- planning ------------------------------------------------------------------------
    def plan(self, r: fr.Request, feed: bytes, now: float, delay: float, sender: int = 0) -> int:
        """Someone asked: answer after ``delay`` unless someone else does first. A request
        from further on tells that the asker holds what it asked for before: an answer
        planned for nobody else is dropped. Returns how many were dropped so."""
        stale = [k for k, who in self.askers.items() if k[0] == r.feed and k[1] < r.start]
        dropped = 0
        for k in stale:
            self.askers[k].discard(sender)
            if not self.askers[k]:
                dropped += k in self.answers
                self._forget(k)
        self._plan(r, feed, now, delay)
        if (r.feed, r.start) in self.answers:
            self.askers.setdefault((r.feed, r.start), set()).add(sender)
        return dropped

    def _forget(self, key: tuple[bytes, int]) -> None:
        self.answers.pop(key, None)
        self.planned.pop(key, None)
        self.ranges.pop(key, None)
        self.askers.pop(key, None)

    def _plan(self, r: fr.Request, feed: bytes, now: float, delay: float) -> None:
        size = self.store.size(feed)
        key, count = (r.feed, r.start), min(r.count, size - r.start)
        upto = r.upto if count == r.count else 0
        if r.start >= size:
            return
        lo, hi, until = self.sending.get(r.feed, (0, 0, -1e18))
        if (r.start, r.skip, r.upto) == (lo, 0, 0) and r.start + count <= hi and now < until:
            self.ledger.count("held-repeat")  # asked again before our answer could arrive
            return
        if key in self.answers:  # asked again (by another hub): send what either lacks
            due, was = self.answers[key]
            skip, upto_was = self.ranges.get(key, (0, 0))
            same_end = was == count and upto and upto_was
            self.answers[key] = (due, max(was, count))
            self.ranges[key] = (min(skip, r.skip), max(upto, upto_was) if same_end else 0)
            return
        self.answers[key] = (now + delay, count)
        self.ranges[key] = (r.skip, upto)
        self.planned[key] = delay

    def holding(self, s: fr.Summary, kept: Container[bytes]) -> None:
        """A peer's summary: what it holds of each feed we keep (``kept``: their ids), for
        :meth:`place`."""
        if s.hub == self.own[: fr.FEED_ID] or s.hub not in kept:
            return  # only peers stand in line: a stranger's summary cannot push us back
        for f in s.feeds:
            if f.feed in kept:
                held = self.holders.setdefault(f.feed, {})
                held[s.hub] = max(held.get(s.hub, 0), f.size)

    def place(self, r: fr.Request, feed: bytes) -> int:
        """Our place in line for this request: the feed's own hub first, then the others
        in an order hashed from the request (seven ranks). Across relays only the peers
        whose summaries showed they hold what is asked stand in line before us: the
        others cannot answer, and waiting out all seven ranks cost up to a minute a
        request on a chain. Where every hub hears every other (hop limit 0) the whole
        spread stays: it leaves the time to hear an answer's first frames even when one
        is lost, and a shorter line sent duplicate answers at 10 % loss."""
        if feed == self.own:
            return 0
        mine = rank(self.own, r.feed, r.start, 7)
        if self.policy.hop_limit == 0:
            return 1 + mine
        me = (mine, self.own[: fr.FEED_ID])
        held = self.holders.get(r.feed, {}).items()
        ahead = [h for h, n in held if n > r.start and (rank(h, r.feed, r.start, 7), h) < me]
        return 1 + min(mine, len(ahead))

    def heard(self, fid: bytes, lo: int, hi: int) -> int:
        """Someone sent positions ``[lo, hi)`` of ``fid``: drop answers they overlap."""
        # any piece of the range: one lost frame must not make a second hub answer it all
        gone = [
            k for k, (_, n) in self.answers.items() if k[0] == fid and lo < k[1] + n and k[1] < hi
        ]
        for key in gone:
            self._forget(key)
        if (
            fid == self.own[: fr.FEED_ID]
            and self.push_from is not None
            and lo <= self.push_from < hi
        ):
            self.push_from = hi if hi < self.store.size(self.own) else None
            self.push_due = self.push_due if self.push_from is not None else None
        return len(gone)

    def appended(self, now: float, slot: float) -> None:
        """The own feed grew: push the new entries soon (writes close together share), and
        plan the checkpoint: once the feed has been quiet ``checkpoint_quiet`` seconds, or
        ``checkpoint_every`` after the first new entry, never two within ``checkpoint_every``."""
        p = self.policy
        self.pending_since = now if self.pending_since is None else self.pending_since
        soon = min(now + p.checkpoint_quiet, self.pending_since + p.checkpoint_every)
        self.checkpoint_due = max(self.checkpoint_at + p.checkpoint_every, soon)
        if self.push_from is None:
            self.push_from = self.store.size(self.own) - 1
        if self.push_due is None:
            self.push_due = now + slot / 4

    # -- sending -------------------------------------------------------------------------
    def due(self, now: float, queued: int = 0) -> list[Action]:
        """What is due now; ``queued`` frames are ahead of these, waiting to be paced."""
        out: list[Action] = []
        if self.push_due is not None and now >= self.push_due and self.ledger.afford(now):
            start, self.push_due = self.push_from, None
            self.push_from = None
            if start is not None and start < self.store.size(self.own):
                out += self.entries(self.own, start, self.store.size(self.own) - start, now)
        cp = self.checkpoint_due
        if cp is not None and now >= cp and self.ledger.afford(now):
            out += self._checkpoint(now)
        for key, (due, count) in sorted(self.answers.items(), key=lambda kv: kv[1][0]):
            if now >= due:
                deaf = self.ledger.air_until - (due - self.planned[key])
                if key[0] != self.own[: fr.FEED_ID] and deaf > 0:
                    # we were transmitting while another hub may have begun this answer:
                    # wait as long again after our own frames, to hear it and stay quiet
                    self.answers[key] = (self.ledger.air_until + self.planned[key], count)
                    self.planned[key] = 0.0
                    continue
                if not self.ledger.afford(now):
                    break
                skip, upto = self.ranges.get(key, (0, 0))
                self._forget(key)
                feed = next((k for k in self.store.feeds() if k[: fr.FEED_ID] == key[0]), None)
                if feed is not None:
                    sent = self.entries(feed, key[1], count, now, skip, upto)
                    pace = spacing(self.ledger.airtime(fr.MAX_FRAME), self.policy.hop_limit > 0)
                    ahead = queued + len(out) + len(sent)  # it is out once these have left
                    self.sending[key[0]] = (key[1], key[1] + count, now + ahead * pace)
                    out += sent
        return out

    def entries(
        self, feed: bytes, start: int, count: int, now: float, skip: int = 0, upto: int = 0
    ) -> list[Action]:
        """Entries ``[start, start + count)`` as one stream of full frames (an answer or a
        push), as many as ``answer_frames`` and the ledger allow; a repair leaves out the
        ``skip`` first and the last entry's bytes from ``upto`` on, which the asker holds."""
        raws = self.store.read(feed, start, start + count)
        if not raws:
            return []
        airs = [len(stream.to_air(r)) for r in (raws[0], raws[-1])]
        skip = skip if skip < airs[0] else 0  # a range no entry has: send it whole
        upto = upto if upto < airs[1] and len(raws) == count else 0
        fid, most = feed[: fr.FEED_ID], self.policy.answer_frames
        frames, _ = stream.pack(fid, start, raws, most, skip, upto)
        out: list[Action] = []
        for frame in frames:
            if out and not self.ledger.afford(now):
                break
            out += self.ledger.send(fr.encode(frame), now)
        return out

    def summary(self, now: float) -> list[Action]:
        """The summary for a Trickle firing."""
        self.told = self.frontier()
        return self.ledger.send(self._summary(), now)

    def untold(self) -> bool:
        """Has a feed's size changed since our last summary told it?"""
        return self.told != self.frontier()

    def frontier(self) -> dict[bytes, int]:
        """The size of every feed kept, as a summary tells it."""
        return {k: self.store.size(k) for k in self.store.feeds()}

    def _checkpoint(self, now: float) -> list[Action]:
        self.checkpoint_due = self.pending_since = None
        size, root, sig = self.store.signed_checkpoint()
        if size == self.checkpoint_sent:
            return []
        self.checkpoint_sent, self.checkpoint_at = size, now
        cp = fr.SignedCheckpoint(self.own[: fr.FEED_ID], size, root, sig)
        return self.ledger.send(fr.encode(cp), now)

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
