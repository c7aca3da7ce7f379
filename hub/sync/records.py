"""What the sync engine decides with: its policy, its actions, and what it remembers about
each feed and each hub it heard. Plain records and a few pure helpers."""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from hub.mesh import BROADCAST
from hub.settings import SYNC_HOP_LIMIT, SYNC_IMAX, SYNC_IMIN, SYNC_SHARE
from hub.sync import frames as fr
from hub.sync.stream import Tail

HOUR = 3600.0
MAX_PIECES = 8  # heads (and tails) of split entries kept per feed for repairs


@dataclass(frozen=True, slots=True)
class SyncPolicy:
    imin: float = SYNC_IMIN  # Trickle's intervals (seconds)
    imax: float = SYNC_IMAX
    k: int = 1
    slot: float | None = None  # answer back-off step; default: 4 full frames of airtime
    batch: int = 64  # entries one request asks for
    answer_frames: int = 24  # frames one answer (or push) may take
    checkpoint_every: float = 300.0  # at most one own checkpoint per this many seconds
    checkpoint_quiet: float = 60.0  # ... sent once the own feed has been quiet this long
    retry: float = 6.0  # slots before a request that got nothing is sent again
    duty: float = 0.10  # the radio's duty-cycle budget (share of an hour)
    share: float = SYNC_SHARE  # of that budget, what sync may spend
    hop_limit: int = SYNC_HOP_LIMIT  # hops the mesh may relay a sync frame
    announce_every: float = 6 * HOUR
    requests_per_sender: int = 12  # per 10 minutes, per radio
    ask_alone: float = 0.2  # across relays, past this share of its airtime: one ask at a time


@dataclass(frozen=True, slots=True)
class Send:
    payload: bytes
    dest: int = BROADCAST


@dataclass(frozen=True, slots=True)
class ForkDetected:
    feed: bytes
    index: int
    ours: bytes
    theirs: bytes
    prev: bytes  # the hash of the entry before, which both signatures cover


Action = Send | ForkDetected


@dataclass(slots=True)
class HubHeard:
    feed: bytes
    name: str
    node: int
    at: float


@dataclass(slots=True)
class FeedSync:
    """What the engine knows about one feed besides the store."""

    feed: bytes
    heard_size: int = 0  # largest size any hub claimed
    heard_at: float | None = None
    request_due: float | None = None
    request_start: int = 0
    asked_at: float = -1e18
    served_at: float = -1e18  # when a request for it, or entries of it, were last heard
    lagged_at: float = -1e18  # when a summary last showed a hub holding less than we do
    progress_at: float = -1e18  # when entries of it were last stored
    gap_frames: int = 0  # frames heard past a gap since then
    heads: dict[int, bytes] = field(default_factory=dict)  # first bytes of split entries
    tails: dict[int, Tail] = field(default_factory=dict)  # last bytes, their heads lost
    diverged: bool = False  # a hub showed this feed another history at one size
    probe: int | None = None  # where a fork search asks from next (hub.sync.forks)
    probe_due: float | None = None
    probe_began: float = -1e18  # when the last fork search began
    early: dict[int, bytes] = field(default_factory=dict)  # heard past a gap, unverified

    def keep_early(self, start: int, raws: list[bytes], held: int) -> None:
        """Entries heard beyond a gap (a frame lost, or missed while transmitting): kept in
        memory, unverified, at most MAX_COUNT positions ahead, until the gap is filled; so a
        lost frame costs that frame, not the rest of the answer."""
        for i, raw in enumerate(raws, start):
            if i < held + fr.MAX_COUNT:
                self.early[i] = raw

    def follow_on(self, end: int) -> list[bytes]:
        """The early entries that continue a copy ending at ``end``; older ones are dropped."""
        out: list[bytes] = []
        while end + len(out) in self.early:
            out.append(self.early.pop(end + len(out)))
        self.early = {i: raw for i, raw in self.early.items() if i > end + len(out)}
        self.forget_pieces(end + len(out))
        return out

    def keep_piece(self, piece: bytes | Tail, index: int, held: int) -> None:
        """Keep the head (bytes) or the tail of a split entry for a repair: within
        MAX_COUNT positions of the copy, at most MAX_PIECES of each kind."""
        if not held <= index < held + fr.MAX_COUNT:
            return
        kept: dict[int, Any] = self.tails if isinstance(piece, Tail) else self.heads
        kept[index] = piece
        while len(kept) > MAX_PIECES:
            del kept[max(kept)]

    def forget_pieces(self, held: int) -> None:
        """Pieces of entries the copy now holds are of no more use."""
        self.heads = {i: h for i, h in self.heads.items() if i >= held}
        self.tails = {i: t for i, t in self.tails.items() if i >= held}

    def repair(self, held: int, count: int) -> tuple[int, int]:
        """The bytes a request for ``count`` entries from ``held`` can leave out: (skip,
        upto), the head of the first and the tail of the last entry this hub holds."""
        skip = len(self.heads.get(held, b""))
        tail = self.tails.get(held + count - 1)
        upto = tail.offset if tail is not None else 0
        if count == 1 and upto and upto <= skip:
            upto = 0
        return skip, upto

    def join(self, index: int) -> bytes | None:
        """The head and the tail kept of entry ``index``, when they meet: the entry as it
        travelled (taken out of the pieces kept); None until both are here."""
        head, tail = self.heads.get(index), self.tails.get(index)
        if head is None or tail is None or len(head) != tail.offset:
            return None
        del self.heads[index], self.tails[index]
        return head + tail.data

    def hole(self, held: int) -> int:
        """How many entries a request should ask for before what is kept early."""
        return max(1, min(self.early, default=held + fr.MAX_COUNT) - held)


def fetching(
    feeds: Iterable[FeedSync], held: Callable[[bytes], int], now: float, wait: float
) -> bool:
    """Catching up: a feed others hold more of, with a request out or due, or an answer
    arriving, within ``wait`` seconds."""
    return any(
        fs.heard_size > held(fs.feed)
        and (fs.request_due is not None or now - max(fs.asked_at, fs.progress_at) < wait)
        for fs in feeds
    )


def asking(
    feeds: Iterable[FeedSync],
    other_than: FeedSync,
    held: Callable[[bytes], int],
    now: float,
    wait: float,
    arriving: float,
) -> bool:
    """A request of ours for another feed we lack is out (sent within ``wait`` seconds),
    or its answer is arriving (entries stored within ``arriving``)."""
    return any(
        fs is not other_than
        and fs.heard_size > held(fs.feed)
        and (now - fs.asked_at < wait or now - fs.progress_at < arriving)
        for fs in feeds
    )


def all_asked(feeds: Iterable[FeedSync], since: float) -> bool:
    """Summaries since ``since`` showed hubs that lag, and each feed they lag on has been
    asked for (or answered) after that."""
    lagged = [fs for fs in feeds if fs.lagged_at >= since]
    return bool(lagged) and all(fs.served_at > fs.lagged_at for fs in lagged)


def rank(own: bytes, fid: bytes, start: int, n: int) -> int:
    """A hub's place in line for one request: the same for everyone who computes it."""
    h = hashlib.sha256(own[: fr.FEED_ID] + fid + start.to_bytes(4, "big")).digest()
    return h[0] % n


class SenderLimit:
    """At most ``n`` requests per radio per ``window`` seconds are considered."""

    def __init__(self, n: int, window: float) -> None:
        self.n, self.window = n, window
        self._asks: dict[int, deque[float]] = {}

    def allow(self, sender: int, now: float) -> bool:
        q = self._asks.setdefault(sender, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        if len(q) >= self.n:
            return False
        q.append(now)
        if len(self._asks) > 4096:  # a flood of forged senders: forget the quiet ones
            quiet = [node for node, d in self._asks.items() if not d or now - d[-1] > self.window]
            for node in quiet[:2048] or list(self._asks)[:1024]:
                del self._asks[node]
        return True
