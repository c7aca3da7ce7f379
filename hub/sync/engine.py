"""The sync protocol's core, sans-IO: frames and time in, frames to send out.

One :class:`SyncEngine` per hub. It never touches a radio, a socket or a clock: the caller
hands it received payloads with ``now``, calls :meth:`SyncEngine.tick` when
:meth:`SyncEngine.next_wake` comes, and sends what they return. Feeds are reached through
the :class:`SyncStore` port, which verifies before it stores.

How hubs learn and fetch what they miss (``docs/sync.md`` has the details and numbers):

- **Summaries, Trickle-style.** Each hub broadcasts the frontier of every feed it keeps
  (4-byte feed id, size, 4 bytes of the Merkle root) on a Trickle timer: quiet when every
  summary heard agrees (one relayed from beyond does not silence news we have not told),
  fast (``imin``) when something changes.
- **Requests carry no session**: ``(feed, start, count)``. A restart or a lost packet costs
  that packet. A hub that overhears the same request (or one whose answer will cover it)
  does not send its own (:mod:`hub.sync.asker` plans and sends them).
- **One answer serves everyone**: answers are broadcast; any hub whose copy ends where an
  answer begins (or inside it) takes it. One responder per request by deterministic
  back-off: the feed's own hub first, then the others (across relays, the peers known to
  hold it) in an order hashed from the request, one slot apart; a hub that overhears an
  answer cancels its own (:mod:`hub.sync.responder` sends); entries travel as a byte
  stream (:mod:`hub.sync.stream`), split across frames where one is full.
- **Repairs** (:mod:`hub.sync.stream`): the heads and tails of entries split across a lost
  frame are kept, and the request names them, so the answer is the lost bytes only.
- **Pacing across relays** (:mod:`hub.sync.pacer`): one frame at a time, and quiet while
  another hub's frames arrive, so bursts do not collide at a relay with hidden hubs.
- **Forks a copy already holds** (:mod:`hub.sync.forks`): another root at one size, or
  entries that do not chain onto the copy, start a search back for where the two part.
- **Airtime**: what sync sends is charged to a ledger capped at ``share`` of the duty-cycle
  budget per sliding hour; over it, sync waits (alerts go through the radio's queue first).
- **Bad input** is counted by reason and dropped: nothing unverified is stored or answered
  beyond the budget and the per-sender request limit.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from hub.errors import InputError
from hub.log import ForkFound
from hub.sync import frames as fr
from hub.sync import stream
from hub.sync.asker import Asker
from hub.sync.forks import ForkSearch
from hub.sync.pacer import Pacer
from hub.sync.records import (
    HOUR,
    Action,
    FeedSync,
    ForkDetected,
    HubHeard,
    SenderLimit,
    SyncPolicy,
    all_asked,
    fetching,
)
from hub.sync.responder import Ledger, Responder
from hub.sync.store_port import SyncStore as SyncStore
from hub.sync.trickle import Trickle


class SyncEngine:
    """See the module docstring."""

    def __init__(
        self,
        own: bytes,
        store: SyncStore,
        airtime: Callable[[int], float],
        policy: SyncPolicy | None = None,
        rng: random.Random | None = None,
        name: str = "",
    ) -> None:
        self.own = own
        self.name = name
        self.store = store
        self.airtime = airtime
        self.policy = p = policy or SyncPolicy()
        self.rng = rng or random.Random()
        self.trickle = Trickle(p.imin, p.imax, p.k, self.rng)
        self.budget = p.share * p.duty * HOUR
        self.counts: dict[str, int] = {}
        self.ledger = Ledger(airtime, self.budget, self._count)
        self.forks = ForkSearch(store, self._count, lambda: self.slot, self.rng, p.retry)
        self.out = Responder(own, store, p, self.ledger)
        self.ask = Asker(own, store, p, self.ledger, self.rng, lambda: self.slot)
        self.pacer = Pacer(airtime, p.hop_limit)
        self.feeds: dict[bytes, FeedSync] = {}
        self.hubs: dict[bytes, HubHeard] = {}
        self.senders = SenderLimit(p.requests_per_sender, 600.0)
        self._announce_at = 0.0
        self._news_at = -1e18  # last heard: a hub holds more, or another root
        self.refresh()

    @property
    def slot(self) -> float:
        """The back-off step: four full frames of airtime with the radio's current preset."""
        p = self.policy.slot
        return p if p is not None else 4 * self.airtime(fr.MAX_FRAME)

    # -- the feeds ---------------------------------------------------------------------
    def refresh(self) -> None:
        """Take the store's list of feeds again (federation changed)."""
        keys = self.store.feeds()
        ids = {k[: fr.FEED_ID]: k for k in keys}
        self.feeds = {fid: self.feeds.get(fid) or FeedSync(k) for fid, k in ids.items()}

    # -- life ----------------------------------------------------------------------------
    def start(self, now: float) -> None:
        self.trickle.begin(now)
        self._announce_at = now + self.rng.uniform(0, self.policy.imin)

    def appended(self, now: float) -> None:
        """The own feed grew: push the new entries, and tell the neighbourhood soon."""
        self.out.appended(now, self.slot)
        self.trickle.reset(now)

    def next_wake(self) -> float:
        times = [self.trickle.next_wake(), self._announce_at, *self.out.wakes()]
        times += [f.request_due for f in self.feeds.values() if f.request_due is not None]
        times += [w for w in map(self.ask.wake, self.feeds.values()) if w is not None]
        times += [f.probe_due for f in self.feeds.values() if f.probe_due is not None]
        paced = self.pacer.wake()
        return min(times + ([paced] if paced is not None else []))

    # -- receiving -----------------------------------------------------------------------
    def on_frame(self, data: bytes, sender: int, now: float, relayed: bool = False) -> list[Action]:
        """A payload heard on the sync port (or topic) from radio ``sender``; ``relayed``:
        it reached us through another node's rebroadcast."""
        try:
            frame = fr.decode(data)
        except fr.FrameError as e:
            self._count(f"dropped-{e.reason}")
            return []
        self._count(f"heard-{type(frame).__name__.lower()}")
        self.pacer.heard(now)
        if isinstance(frame, fr.Summary):
            self._on_summary(frame, now, relayed)
        elif isinstance(frame, fr.Request):
            self._on_request(frame, sender, now)
        elif isinstance(frame, fr.Entries):
            return self._on_stream(frame, now)
        elif isinstance(frame, fr.SignedCheckpoint):
            self._on_checkpoint(frame)
        else:
            self.hubs[frame.feed] = HubHeard(frame.feed, frame.name, sender, now)
        return []

    def _on_summary(self, s: fr.Summary, now: float, relayed: bool) -> None:
        agree, common, neutral = True, 0, False
        self.out.holding(s, self.feeds)
        busy = self.policy.retry * self.slot
        for f in s.feeds:
            fs = self.feeds.get(f.feed)
            if fs is None:
                continue
            common += 1
            mine = self.store.size(fs.feed)
            self.ask.claim(fs, f.size, now)
            if f.size < mine and now - fs.served_at < busy:
                neutral = True  # it lags, and its requests are being answered: no news
            elif f.size < mine:
                agree, fs.lagged_at = False, now  # news for it, until it asks
            elif f.size > mine:
                agree, self._news_at = False, now
            elif f.root != self.store.root(fs.feed)[: fr.ROOT_ID]:
                agree, self._news_at = False, now
                if not fs.diverged:
                    fs.diverged = True
                    self._count("diverged")
                self.forks.hint(fs, mine, now)
        if not common:
            return
        self._count("relayed-summary", relayed)
        if not agree:
            self.trickle.reset(now)
        elif relayed and self.out.untold():
            self._count("untold-news")  # its sender's earshot is not ours: ours lack the news
        elif not neutral:
            self.trickle.consistent()

    def _on_request(self, r: fr.Request, sender: int, now: float) -> None:
        fs = self.feeds.get(r.feed)
        if fs is None:
            self._count("ignored-request")
            return
        if not self.senders.allow(sender, now):
            self._count("dropped-request-flood")
            return
        fs.served_at = now
        # someone asked already: the broadcast answer serves us too
        if fs.request_due is not None and r.start <= fs.request_start < r.start + r.count:
            fs.request_due = None
            fs.asked_at = now
            self._count("suppressed-request")
        if fs.feed != self.own:
            self.ask.claim(fs, r.start, now)  # the asker holds r.start entries
        place = self.out.place(r, fs.feed)
        delay = self.slot * (place + 0.25) + self.rng.uniform(0, self.slot / 4)
        self._count("obsolete-answer", self.out.plan(r, fs.feed, now, delay, sender))

    def take_entries(self, feed: bytes, start: int, raws: list[bytes], now: float) -> list[Action]:
        """Entries heard another way (MQTT), of a feed this hub keeps; else ignored."""
        fs = self.feeds.get(feed[: fr.FEED_ID])
        if fs is None or fs.feed != feed:
            self._count("ignored-entries")
            return []
        self._heard(fs, start, start + len(raws), now)
        return self._on_entries(fs, start, raws, now)

    def _on_stream(self, e: fr.Entries, now: float) -> list[Action]:
        """A piece of an answer (or push): whole entries, and an entry split across frames.
        Heads and tails of split entries are kept, so a repair need not send them again."""
        fs = self.feeds.get(e.feed)
        if fs is None:
            self._count("ignored-entries")
            return []
        mine = self.store.size(fs.feed)
        theirs = fs.feed != self.own
        head = fs.heads.get(e.index) if theirs and e.offset else None
        partial = stream.Partial(e.index, head) if head is not None else None
        try:
            got = stream.take(e, partial)
        except fr.FrameError as x:
            self._count(f"dropped-{x.reason}")
            return []
        self._heard(fs, e.index, got.end, now)
        raws, start = got.raws, got.start
        if theirs:
            if head is not None and len(head) == e.offset:
                del fs.heads[e.index]  # it was continued
            if got.partial is not None and got.partial != partial:
                fs.keep_piece(got.partial.data, got.partial.index, mine)
            if got.orphan is not None:
                fs.keep_piece(got.orphan, got.orphan.index, mine)
            self._count("orphan-piece", got.broken)
            joined = self._join(fs, got.partial)
            if joined is not None:
                at, raw = joined
                if raws and start + len(raws) == at:
                    raws = [*raws, raw]
                elif not raws:
                    start, raws = at, [raw]
                else:
                    fs.keep_early(at, [raw], mine)
        if not raws:
            return []
        return self._on_entries(fs, start, raws, now)

    def _join(self, fs: FeedSync, piece: stream.Partial | None) -> tuple[int, bytes] | None:
        """A head and a tail of one entry that meet: the whole entry (stored form)."""
        index = piece.index if piece is not None else -1
        air = fs.join(index)
        if air is None:
            return None
        try:
            return index, stream.from_air(air)
        except fr.FrameError:
            self._count("orphan-piece")
            return None

    def _heard(self, fs: FeedSync, lo: int, hi: int, now: float) -> None:
        """Someone sent positions ``[lo, hi)``: answers and asks of ours they cover go."""
        self._count("suppressed-answer", self.out.heard(fs.feed[: fr.FEED_ID], lo, hi))
        fs.served_at = now
        if fs.request_due is not None and lo <= fs.request_start < hi:
            fs.request_due = None

    def _on_entries(self, fs: FeedSync, start: int, raws: list[bytes], now: float) -> list[Action]:
        end = start + len(raws)
        if fs.feed == self.own:
            return self._check_own(start, raws)
        mine = self.store.size(fs.feed)
        if start > mine:
            self._count("gap")
            fs.keep_early(start, raws, mine)
            fs.gap_frames += 1  # an answer is still arriving: ask for the gap after it,
            if fs.gap_frames <= self.policy.answer_frames:  # but a stream of junk can't stall us
                self.ask.progressed(fs, now)
            self.ask.claim(fs, start, now)
            return []
        try:
            size = self.store.store(fs.feed, start, raws + fs.follow_on(end))
        except ForkFound as e:
            self.forks.end(fs)
            self._count("fork")
            return [ForkDetected(fs.feed, e.index, e.ours, e.theirs, e.prev)]
        except InputError as e:
            reason = getattr(e, "reason", "entry")
            self._count(f"rejected-{reason}")
            self._count("stored", max(0, self.store.size(fs.feed) - mine))  # verified before it
            self.forks.refused(fs, start, raws, now, reason)
            return []
        self.forks.stored(fs, start, mine)
        self._count("stored", max(0, size - mine))
        if mine < size >= fs.heard_size:
            self.trickle.reset(now)  # caught up with a feed: news for neighbours that lack it
        if size > mine:
            fs.gap_frames = 0
            self.ask.progressed(fs, now)
        if end <= mine:
            self._count("replayed")
        self.ask.claim(fs, max(end, size), now)
        return []

    def _check_own(self, start: int, raws: list[bytes]) -> list[Action]:
        """Someone sends our own feed: a replay is harmless; anything else is not ours."""
        held = self.store.read(self.own, start, start + len(raws))
        if held == raws[: len(held)] and len(held) == len(raws):
            self._count("replayed")
        else:
            self._count("rejected-own-feed")
        return []

    def _on_checkpoint(self, c: fr.SignedCheckpoint) -> None:
        fs = self.feeds.get(c.feed)
        if fs is None or fs.feed == self.own:
            self._count("ignored-checkpoint")
            return
        try:
            kept = self.store.take_checkpoint(fs.feed, c.size, c.root, c.signature)
        except InputError:
            self._count("rejected-checkpoint")
            return
        self._count("checkpoint-kept" if kept else "checkpoint-known")

    # -- sending -------------------------------------------------------------------------
    def tick(self, now: float) -> list[Action]:
        """Everything due at ``now``: requests, answers, the summary, the announcement."""
        out: list[Action] = []
        for fs in self.feeds.values():
            out += self.ask.due(fs, now, self.feeds.values())
            probe = self.forks.due(fs, now, self.policy.batch)
            if probe is not None and self.ledger.afford(now):
                out += self.ledger.send(fr.encode(probe), now)
        out += self.out.due(now, len(self.pacer) + len(out))
        if self.trickle.due(now) and self.ledger.afford(now):
            out += self._summary(now)
        if now >= self._announce_at:
            self._announce_at = now + self.policy.announce_every
            if self.name and self.ledger.afford(now):
                out += self.ledger.send(fr.encode(fr.Announce(self.own, self.name)), now)
        return self.pacer.put(out, now)

    def _summary(self, now: float) -> list[Action]:
        """Trickle's summary, unless it tells nothing: while we catch up (our requests say
        what we hold), or at ``imin`` only because hubs showed they lag and each has
        asked for that feed since, with our frontier as we last told it."""
        feeds = self.feeds.values()
        if fetching(feeds, self.store.size, now, self.policy.retry * self.slot):
            self._count("summary-skipped-fetching")
            return []
        start, interval = self.trickle.fired_in
        if (
            interval <= self.policy.imin
            and self._news_at < start
            and all_asked(feeds, start)
            and not self.out.untold()
        ):
            self._count("summary-skipped-asked")
            return []
        return self.out.summary(now)

    def airtime_spent(self, now: float) -> float:
        """Seconds of airtime sync used in the last hour."""
        return self.ledger.spent_in_hour(now)

    def _count(self, what: str, n: int = 1) -> None:
        if n:
            self.counts[what] = self.counts.get(what, 0) + n
