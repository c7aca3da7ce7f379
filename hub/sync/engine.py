"""The sync protocol's core, sans-IO: frames and time in, frames to send out.

One :class:`SyncEngine` per hub. It never touches a radio, a socket or a clock: the caller
hands it received payloads with ``now``, calls :meth:`SyncEngine.tick` when
:meth:`SyncEngine.next_wake` comes, and sends what they return. Feeds are reached through
the :class:`SyncStore` port, which verifies before it stores.

How hubs learn and fetch what they miss (``docs/sync.md`` has the details and numbers):

- **Summaries, Trickle-style.** Each hub broadcasts the frontier of every feed it keeps
  (4-byte feed id, size, 4 bytes of the Merkle root) on a Trickle timer: quiet when every
  summary heard agrees, fast (``imin``) when something changes.
- **Requests carry no session**: ``(feed, start, count)``. A restart or a lost packet costs
  that packet. A hub that overhears the same request (or one whose answer will cover it)
  does not send its own.
- **One answer serves everyone**: answers are broadcast; any hub whose copy ends where an
  answer begins (or inside it) takes it. One responder per request by deterministic
  back-off: the feed's own hub first, then the others in an order hashed from the request,
  one slot apart; a hub that overhears an answer cancels its own.
- **Airtime**: everything sync sends is charged to a ledger capped at ``share`` of the
  duty-cycle budget per sliding hour; over the cap, sync waits (alerts never do: they go
  through the radio's queue first).
- **Bad input** is counted by reason and dropped: nothing unverified is stored, nothing is
  answered beyond the budget and the per-sender request limit.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from typing import Protocol

from hub.errors import InputError
from hub.log import ForkFound
from hub.sync import frames as fr
from hub.sync.records import (
    HOUR,
    Action,
    FeedSync,
    ForkDetected,
    HubHeard,
    Send,
    SenderLimit,
    SyncPolicy,
    assemble,
    rank,
)
from hub.sync.trickle import Trickle


class SyncStore(Protocol):
    """The feeds a hub keeps, as the engine sees them (32-byte feed keys)."""

    def feeds(self) -> list[bytes]:
        """The own feed first, then every feed this hub replicates."""
        ...

    def size(self, feed: bytes) -> int: ...

    def root(self, feed: bytes) -> bytes:
        """The RFC 9162 root of the feed at its size (32 zero bytes when empty)."""
        ...

    def read(self, feed: bytes, start: int, stop: int) -> list[bytes]: ...

    def store(self, feed: bytes, start: int, raws: list[bytes]) -> int:
        """Verify and store; return the new size. Raises :class:`hub.errors.InputError`
        with a ``reason`` (bad entry) or :class:`hub.log.replicas.ForkFound`."""
        ...

    def signed_checkpoint(self) -> tuple[int, bytes, bytes]:
        """The own feed's checkpoint now: size, root and its Ed25519 signature."""
        ...

    def take_checkpoint(self, feed: bytes, size: int, root: bytes, sig: bytes) -> bool:
        """Check and keep another hub's checkpoint; raises :class:`hub.errors.InputError`
        when it does not verify."""
        ...


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
        self.feeds: dict[bytes, FeedSync] = {}
        self.answers: dict[tuple[bytes, int], tuple[float, int]] = {}  # (id, start) -> due
        self.hubs: dict[bytes, HubHeard] = {}
        self.counts: dict[str, int] = {}
        self.spent: deque[tuple[float, float]] = deque()
        self.sent_bytes = 0
        self.senders = SenderLimit(p.requests_per_sender, 600.0)
        self._announce_at = 0.0
        self._rotate = 0
        self._checkpoint_sent = -1
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
        """The own feed grew: tell the neighbourhood soon."""
        self.trickle.reset(now)

    def next_wake(self) -> float:
        times = [self.trickle.next_wake(), self._announce_at]
        times += [due for due, _ in self.answers.values()]
        times += [f.request_due for f in self.feeds.values() if f.request_due is not None]
        return min(times)

    # -- receiving -----------------------------------------------------------------------
    def on_frame(self, data: bytes, sender: int, now: float) -> list[Action]:
        """A payload heard on the sync port (or topic) from radio ``sender``."""
        try:
            frame = fr.decode(data)
        except fr.FrameError as e:
            self._count(f"dropped-{e.reason}")
            return []
        self._count(f"heard-{type(frame).__name__.lower()}")
        if isinstance(frame, fr.Summary):
            self._on_summary(frame, now)
        elif isinstance(frame, fr.Request):
            self._on_request(frame, sender, now)
        elif isinstance(frame, fr.Entries):
            return self._on_entries(frame.feed, frame.start, list(frame.entries), now)
        elif isinstance(frame, fr.Part):
            return self._on_part(frame, now)
        elif isinstance(frame, fr.SignedCheckpoint):
            self._on_checkpoint(frame)
        else:
            self.hubs[frame.feed] = HubHeard(frame.feed, frame.name, sender, now)
        return []

    def _on_summary(self, s: fr.Summary, now: float) -> None:
        agree, common = True, 0
        for f in s.feeds:
            fs = self.feeds.get(f.feed)
            if fs is None:
                continue
            common += 1
            mine = self.store.size(fs.feed)
            self._claim(fs, f.size, now)
            if f.size != mine:
                agree = False
            elif f.root != self.store.root(fs.feed)[: fr.ROOT_ID]:
                agree = False
                if not fs.diverged:
                    fs.diverged = True
                    self._count("diverged")
        if not common:
            return
        if agree:
            self.trickle.consistent()
        else:
            self.trickle.reset(now)

    def _claim(self, fs: FeedSync, size: int, now: float) -> None:
        """Someone holds ``size`` entries of this feed: fetch what we lack."""
        if size > fs.heard_size:
            fs.heard_size = size
            fs.heard_at = now
        self._plan_request(fs, now)

    def _plan_request(self, fs: FeedSync, now: float) -> None:
        mine = self.store.size(fs.feed)
        if fs.heard_size <= mine or fs.request_due is not None or fs.feed == self.own:
            return
        asked = now - fs.asked_at < self.policy.retry * self.slot and fs.request_start == mine
        if asked or now - fs.progress_at < self.slot:
            return  # asked for, or an answer is still arriving: asking again would double it
        fid = fs.feed[: fr.FEED_ID]
        place = rank(self.own, fid, mine, 4)
        fs.request_start = mine
        fs.request_due = now + self.slot * (0.5 + place) + self.rng.uniform(0, self.slot / 4)

    def _on_request(self, r: fr.Request, sender: int, now: float) -> None:
        fs = self.feeds.get(r.feed)
        if fs is None:
            self._count("ignored-request")
            return
        if not self.senders.allow(sender, now):
            self._count("dropped-request-flood")
            return
        # someone asked already: the broadcast answer serves us too
        if fs.request_due is not None and r.start <= fs.request_start < r.start + r.count:
            fs.request_due = None
            fs.asked_at = now
            self._count("suppressed-request")
        if fs.feed != self.own:
            self._claim(fs, r.start, now)  # the asker holds r.start entries
        size = self.store.size(fs.feed)
        if r.start >= size or (r.feed, r.start) in self.answers:
            return
        place = 0 if fs.feed == self.own else 1 + rank(self.own, r.feed, r.start, 7)
        delay = self.slot * (place + 0.25) + self.rng.uniform(0, self.slot / 4)
        self.answers[(r.feed, r.start)] = (now + delay, min(r.count, size - r.start))

    def take_entries(self, feed: bytes, start: int, raws: list[bytes], now: float) -> list[Action]:
        """Entries heard another way (MQTT), of a feed this hub keeps; else ignored."""
        fs = self.feeds.get(feed[: fr.FEED_ID])
        if fs is None or fs.feed != feed:
            self._count("ignored-entries")
            return []
        return self._on_entries(feed[: fr.FEED_ID], start, raws, now)

    def _on_entries(self, fid: bytes, start: int, raws: list[bytes], now: float) -> list[Action]:
        fs = self.feeds.get(fid)
        if fs is None:
            self._count("ignored-entries")
            return []
        end = start + len(raws)
        for key in [k for k in self.answers if k[0] == fid and start <= k[1] < end]:
            del self.answers[key]  # someone answered: ours would be a duplicate
            self._count("suppressed-answer")
        if fs.request_due is not None and start <= fs.request_start < end:
            fs.request_due = None
        if fs.feed == self.own:
            return self._check_own(start, raws)
        mine = self.store.size(fs.feed)
        if start > mine:
            self._count("gap")
            fs.keep_early(start, raws, mine)
            self._claim(fs, start, now)
            return []
        try:
            size = self.store.store(fs.feed, start, raws + fs.follow_on(end))
        except ForkFound as e:
            self._count("fork")
            return [ForkDetected(fs.feed, e.index, e.ours, e.theirs)]
        except InputError as e:
            self._count(f"rejected-{getattr(e, 'reason', 'entry')}")
            return []
        self._count("stored", max(0, size - mine))
        fs.progress_at = now if size > mine else fs.progress_at
        if end <= mine:
            self._count("replayed")
        self._claim(fs, max(end, size), now)
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

    def _on_part(self, p: fr.Part, now: float) -> list[Action]:
        fs = self.feeds.get(p.feed)
        if fs is None or fs.feed == self.own:
            self._count("ignored-part")
            return []
        if p.index != self.store.size(fs.feed):
            self._claim(fs, p.index, now)
            return []
        if fs.part_index != p.index or fs.part_total != p.total:
            fs.parts, fs.part_index, fs.part_total = {}, p.index, p.total
        fs.parts[p.offset] = p.chunk
        raw = assemble(fs.parts, p.total)
        if raw is None:
            return []
        fs.parts, fs.part_index = {}, -1
        return self._on_entries(p.feed, p.index, [raw], now)

    # -- sending -------------------------------------------------------------------------
    def tick(self, now: float) -> list[Action]:
        """Everything due at ``now``: requests, answers, the summary, the announcement."""
        out: list[Action] = []
        for fs in self.feeds.values():
            if fs.request_due is not None and now >= fs.request_due:
                fs.request_due = None
                mine = self.store.size(fs.feed)
                want = min(self.policy.batch, fs.heard_size - mine, fs.hole(mine))
                if want > 0 and self._afford(now):
                    fid = fs.feed[: fr.FEED_ID]
                    out += self._send(fr.encode(fr.Request(fid, mine, want)), now)
                    fs.asked_at, fs.request_start = now, mine
            elif fs.request_due is None and fs.heard_size > self.store.size(fs.feed):
                self._plan_request(fs, now)  # an earlier ask got nothing: ask again later
        for key, (due, count) in sorted(self.answers.items(), key=lambda kv: kv[1][0]):
            if now >= due:
                if not self._afford(now):
                    break
                del self.answers[key]
                out += self._answer(key[0], key[1], count, now)
        if self.trickle.due(now) and self._afford(now):
            out += self._send(self._summary(), now)
            size = self.store.size(self.own)
            if size != self._checkpoint_sent and size and self._afford(now):
                size, root, sig = self.store.signed_checkpoint()
                cp = fr.SignedCheckpoint(self.own[: fr.FEED_ID], size, root, sig)
                out += self._send(fr.encode(cp), now)
                self._checkpoint_sent = size
        if now >= self._announce_at:
            self._announce_at = now + self.policy.announce_every
            if self.name and self._afford(now):
                out += self._send(fr.encode(fr.Announce(self.own, self.name)), now)
        return out

    def _answer(self, fid: bytes, start: int, count: int, now: float) -> list[Action]:
        fs = self.feeds.get(fid)
        if fs is None:
            return []
        raws = self.store.read(fs.feed, start, start + count)
        out: list[Action] = []
        pos, frames = start, 0
        while raws and frames < self.policy.answer_frames and self._afford(now):
            frame, n = fr.pack_entries(fid, pos, raws)
            if frame is None:  # one entry larger than a frame: send it in parts
                for part in fr.split_parts(fid, pos, raws[0]):
                    out += self._send(fr.encode(part), now)
                    frames += 1
                n = 1
            else:
                out += self._send(fr.encode(frame), now)
                frames += 1
            raws, pos = raws[n:], pos + n
        self._count("answered")
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

    def _send(self, payload: bytes, now: float) -> list[Action]:
        self.spent.append((now, self.airtime(len(payload))))
        self.sent_bytes += len(payload)
        self._count("sent-frames")
        return [Send(payload)]

    def _afford(self, now: float) -> bool:
        """May sync send one more full frame now without passing its share of airtime?"""
        ok = self.airtime_spent(now) + self.airtime(fr.MAX_FRAME) <= self.budget
        if not ok:
            self._count("deferred-airtime")
        return ok

    def airtime_spent(self, now: float) -> float:
        """Seconds of airtime sync used in the last hour."""
        while self.spent and now - self.spent[0][0] >= HOUR:
            self.spent.popleft()
        return sum(a for _, a in self.spent)

    def _count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n
