"""The hub's state: one pure fold of entries from any number of feeds.

Every reader of state (the radio desk, the portal, MQTT, the CLI) reads a :class:`HubState`,
so none of them can disagree about who is on duty or which alerts are active.

Invariants:

- Folding is pure (no I/O, no clock) and idempotent: an entry at or below a feed's folded
  size is ignored; a gap (an entry past the next expected index) raises ``ValueError``,
  because a fold that skipped entries would silently lie. The one exception is injected:
  the hub's pin keyring (``unpin``, ``learn``) opens sealed pins and keeps a secret a peer
  shared with this hub (a ``pin-share``), so that a restart folds the same roster.
- People are neighbourhood-wide: the roster and the patrol take entries from every feed, so
  a steward enrolled at one hub is known at every hub folding that feed.
- What a hub says about itself stays per feed (:class:`FeedState`): alerts are numbered by
  their entry in the feed that raised them (``ack`` and ``cancel`` point within the same
  feed), and so are the charter, protocols, partner vows, compact signatures and corrections.
- The assembly's votes (:mod:`hub.state.mandates`) are numbered within the feed that
  opened them, like alerts; a carried mandate's ``outcome`` grants its role through the
  roster, so a mandate voted at one hub holds at every hub that federates with it.
- Time-dependent answers take ``now``: a steward is on duty while their shift is open *and*
  they hold a role at ``now``; a role that ends mid-shift ends the duty at that moment.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from crypto.cosignature import Cosigner
from crypto.errors import CryptoError
from crypto.evidence import fork_flaw, split_view_flaw
from crypto.head import proves_rollback
from crypto.keys import PublicKey
from hub.log import FieldValue, LoggedEntry
from hub.state.alerts import AlertBook
from hub.state.corrections import RETRACT, AuthorIndex
from hub.state.mandates import Mandates
from hub.state.patrol import Patrol, Shift
from hub.state.roster import Roster, Unpin


@dataclass(slots=True)
class Peer:
    """A hub this hub federates with, as its own log says (``peer``/``unpeer`` entries)."""

    feed: str
    name: str
    since: int  # claimed time of the ``peer`` entry
    entry: int
    until: int | None = None  # claimed time of the ``unpeer`` entry: it stops counting there
    origin: str = ""  # its checkpoint origin (the name in its verifier key)


@dataclass(frozen=True, slots=True)
class Fork:
    """Evidence that a feed's key signed two histories (a ``fork`` entry of the own feed)."""

    feed: str
    index: int
    entry: int
    time: int


@dataclass(frozen=True, slots=True)
class SplitView:
    """Evidence that a hub showed two histories (a ``split-view`` entry of any feed read)."""

    feed: str  # the hub that showed them
    by: str  # the feed whose entry holds the evidence
    entry: int
    time: int
    what: str = "split-view"  # or "rollback" (kind 31), "key-change" (radio announcements)
    # for a report that proves nothing (HubState.unproven): why not (crypto.evidence)


def _text(v: object) -> str | None:
    if not isinstance(v, bytes):
        return None
    try:
        return v.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _fork_flaw(feed: bytes, f: dict[str, FieldValue]) -> str:
    """Why a ``fork`` entry's fields prove nothing, ``""`` when they prove ``feed``'s key
    signed two entries at one position (:func:`crypto.evidence.fork_flaw`); an entry from
    before forks carried ``prev`` says ``no-prev``."""
    index, prev, a, b = (f.get(k) for k in ("index", "prev", "a", "b"))
    if not (isinstance(prev, bytes) and len(prev) == 32):
        return "no-prev"
    if not (isinstance(index, int) and isinstance(a, bytes) and isinstance(b, bytes)):
        return "malformed"
    try:
        return fork_flaw(PublicKey(feed), index, prev, a, b)
    except CryptoError:
        return "bad-key"


def _proves_rollback(feed: bytes, a: object, b: object) -> bool:
    """Two head notes signed by ``feed``'s key, the later smaller (crypto.head)."""
    ta, tb = _text(a), _text(b)
    if ta is None or tb is None:
        return False
    try:
        return proves_rollback(PublicKey(feed), ta, tb)
    except CryptoError:
        return False


@dataclass(slots=True)
class FeedState:
    """What one feed says about its own hub: alerts and the portal's texts."""

    feed: str
    size: int = 0
    alerts: AlertBook = field(default_factory=AlertBook)
    charter: int | None = None
    protocols: dict[str, int] = field(default_factory=dict)  # slug -> entry index
    vows: dict[str, int] = field(default_factory=dict)  # partner name -> entry index
    compact_count: int = 0
    compact_recent: deque[int] = field(default_factory=lambda: deque(maxlen=12))
    corrections: dict[int, list[int]] = field(default_factory=dict)  # target -> corrections
    retracted: dict[int, int] = field(default_factory=dict)  # target -> retracting correction
    authors: AuthorIndex = field(default_factory=AuthorIndex)  # who may correct (corrections.py)

    def apply(self, e: LoggedEntry) -> None:
        b, i = e.body, e.index
        self.authors.append(b.author)
        self.alerts.apply(i, b)
        name = b.kind_name
        f = b.named_fields()
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
            if isinstance(target, int) and 0 <= target < i:
                self.corrections.setdefault(target, []).append(i)
                if f.get("retract") == RETRACT:
                    self.retracted.setdefault(target, i)


class HubState:
    """The fold of every feed this hub reads; ``own`` is the hub's own feed (hex)."""

    def __init__(
        self,
        own: str,
        name: str = "",
        unpin: Unpin | None = None,
        learn: Callable[[bytes, bytes], bool] | None = None,
    ) -> None:
        self.own = own
        self.name = name
        self.unpin = unpin  # opens sealed enrolments' pins (Roster)
        self.learn = learn  # keeps pin secrets a peer shared with this hub (hub.privacy)
        self.pins_learned = 0  # how many pin-share entries taught a new secret (never reset)
        self.reset()

    def reset(self) -> None:
        """Forget everything folded (to fold again from the start, in place)."""
        self.roster = Roster(self.unpin)
        self.patrol = Patrol()
        self.mandates = Mandates()  # the assembly's votes, terms and charter versions
        self.feeds: dict[str, FeedState] = {self.own: FeedState(self.own)}
        self.peers: dict[str, Peer] = {}  # every hub ever federated, by feed (hex)
        self.forks: dict[str, Fork] = {}
        self.witnesses: dict[str, tuple[str, bytes]] = {}  # feed -> (cosigner name, key)
        self.split_views: dict[str, SplitView] = {}
        # split-view entries whose evidence does not prove itself: the first per accused
        # hub (``what`` says why), and how many there were; none of them marks a hub
        self.unproven: dict[str, SplitView] = {}
        self.unproven_count = 0
        self._awaiting: list[LoggedEntry] = []  # evidence cosigned by a witness not known yet
        self.pins_shared: set[str] = set()  # feeds this hub sealed its pin secrets to

    def apply(self, e: LoggedEntry) -> None:
        """Fold one entry; see the module docstring for the rules."""
        fs = self.feeds.get(e.feed)
        if fs is None:
            fs = self.feeds[e.feed] = FeedState(e.feed)
        if e.index < fs.size:
            return
        if e.index > fs.size:
            raise ValueError(f"feed {e.feed[:16]}… skips from {fs.size} to entry {e.index}")
        fs.size = e.index + 1
        if e.feed == self.own:
            self._federation(e)
        elif not self.counts(e):
            return  # held and verifiable, but from a hub that is not (or no longer) a peer
        self.roster.apply(e.index, e.body)
        self.patrol.apply(e.index, e.body, e.feed)
        self.mandates.apply(e)
        fs.apply(e)
        if e.body.kind_name in ("witness", "split-view", "fork", "rollback"):
            self._witnessing(e)
        elif e.body.kind_name == "pin-share":
            self._pin_share(e)

    def _pin_share(self, e: LoggedEntry) -> None:
        """A hub's pin secrets sealed to one peer (kind 34): this hub's own to a peer are
        noted; a peer's to this hub are learned, so its sealed enrolments pin radios here.
        A pin opened only after its enrolment was folded needs a fold again (the daemon
        does it when :attr:`pins_learned` grows)."""
        f = e.body.named_fields()
        to, box = f.get("feed"), f.get("box")
        if not isinstance(to, bytes) or not isinstance(box, bytes) or len(to) != 32:
            return
        if e.feed == self.own:
            self.pins_shared.add(to.hex())
        elif to.hex() == self.own and self.learn is not None and self.learn(to, box):
            self.pins_learned += 1

    def _witnessing(self, e: LoggedEntry, again: bool = False) -> None:
        """A hub's witness key (kind 32, its latest counts) and split-view evidence
        (kind 33, a ``fork`` or ``rollback`` entry, from any feed read: the first about a
        hub is kept). A key change is a kind 33 whose statements are radio announcements."""
        f = e.body.named_fields()
        if e.body.kind_name == "witness":
            name, key = f.get("name"), f.get("key")
            if isinstance(name, str) and isinstance(key, bytes) and len(key) == 32:
                self.witnesses[e.feed] = (name, key)
                waiting, self._awaiting = self._awaiting, []
                for held in waiting:  # evidence cosigned by this witness can prove itself now
                    self._witnessing(held, again=True)
            return
        feed = f.get("feed")
        if isinstance(feed, bytes) and len(feed) == 32 and feed.hex() not in self.split_views:
            what = "split-view"
            if e.body.kind_name == "rollback":
                if not _proves_rollback(feed, f.get("a"), f.get("b")):
                    return  # a peer's word alone does not mark a hub: the heads must prove it
                what = "rollback"
            elif isinstance(a := f.get("a"), bytes) and a[:7] == b"radio !":
                what = "key-change"
            elif e.body.kind_name == "split-view" and (flaw := self._split_flaw(e, feed, f)):
                if flaw == "witness-unknown" and len(self._awaiting) < 64:
                    self._awaiting.append(e)  # its witness's key may come later in the fold
                self._unproven(e, feed, flaw, again)
                return  # a peer's word alone does not mark a hub: the statements must prove it
            elif (
                e.body.kind_name == "fork"
                and e.feed != self.own  # this hub's own were checked when found
                and (flaw := _fork_flaw(feed, f))
            ):
                self._unproven(e, feed, flaw, again)
                return
            sv = SplitView(feed.hex(), e.feed, e.index, e.body.time, what)
            if again:  # it proved itself once its witness was known: no longer unproven
                self.unproven_count -= 1
                first = self.unproven.get(feed.hex())
                if first is not None and (first.by, first.entry) == (e.feed, e.index):
                    del self.unproven[feed.hex()]
            self.split_views[feed.hex()] = sv

    def _unproven(self, e: LoggedEntry, feed: bytes, flaw: str, again: bool) -> None:
        if again:
            return  # counted when it was first folded
        self.unproven_count += 1
        if feed.hex() not in self.unproven:
            self.unproven[feed.hex()] = SplitView(feed.hex(), e.feed, e.index, e.body.time, flaw)

    def _split_flaw(self, e: LoggedEntry, feed: bytes, f: dict[str, FieldValue]) -> str:
        """Why a ``split-view`` entry proves nothing, ``""`` when it proves a split view:
        ``a`` signed by the accused hub's key, ``b`` too or cosigned by a witness ``by``
        other than the writer and the accused (crypto.evidence)."""
        a, b, by = _text(f.get("a")), _text(f.get("b")), f.get("by")
        if a is None or b is None:
            return "not-text"
        witness = None
        if by is not None:
            if not isinstance(by, bytes) or by.hex() in (e.feed, feed.hex()):
                return "witness-self"  # a hub's own cosignature is only its word
            known = self.witnesses.get(by.hex())
            if known is None:
                return "witness-unknown"
            try:
                witness = Cosigner(known[0], PublicKey(known[1]))
            except CryptoError:
                return "witness-unknown"
        peer = self.peers.get(feed.hex())
        try:
            key = PublicKey(feed)
        except CryptoError:
            return "bad-key"
        return split_view_flaw(key, a, b, witness, peer.origin if peer is not None else "")

    def _federation(self, e: LoggedEntry) -> None:
        f = e.body.named_fields()
        feed = f.get("feed")
        if not isinstance(feed, bytes) or len(feed) != 32:
            return
        key, name = feed.hex(), e.body.kind_name
        if name == "peer" and key != self.own:
            label, origin = f.get("name"), f.get("origin")
            self.peers[key] = Peer(
                key, str(label or key[:8]), e.body.time, e.index, origin=str(origin or "")
            )
        elif name == "unpeer" and key in self.peers:
            self.peers[key].until = e.body.time
        elif name == "fork":
            index = f.get("index")
            if isinstance(index, int) and key not in self.forks:
                self.forks[key] = Fork(key, index, e.index, e.body.time)

    def counts(self, e: LoggedEntry) -> bool:
        """Does a replica's entry count here: from a federated hub, before any removal?"""
        peer = self.peers.get(e.feed)
        return peer is not None and (peer.until is None or e.body.time < peer.until)

    def federated(self) -> list[str]:
        """Feeds (hex) of the hubs federated now, in the order they were added."""
        current = [p for p in self.peers.values() if p.until is None]
        return [p.feed for p in sorted(current, key=lambda p: p.entry)]

    def other_hub(self, feed: str) -> str | None:
        """The name of the hub whose feed this is; None for this hub's own."""
        return None if feed == self.own else self.hub_name(feed)

    def hub_name(self, feed: str) -> str:
        """Which hub recorded an entry: a peer's name, this hub's for its own feed."""
        if feed == self.own:
            return self.name or "this hub"
        peer = self.peers.get(feed)
        return peer.name if peer is not None else feed[:8]

    # -- the hub's own feed -------------------------------------------------------------
    @property
    def mine(self) -> FeedState:
        return self.feeds[self.own]

    @property
    def alerts(self) -> AlertBook:
        """The own feed's alerts (the ones this hub's radios page for)."""
        return self.mine.alerts

    # -- the rules everybody reads --------------------------------------------------------
    def on_duty(self, now: float) -> list[Shift]:
        """Open shifts of members who hold a role at ``now``, longest on duty first."""
        out = []
        for shift in self.patrol.on_duty():
            m = self.roster.get(shift.handle)
            if m is not None and m.role(now) is not None:
                out.append(shift)
        return out

    def on_duty_handles(self, now: float) -> list[str]:
        return [s.handle for s in self.on_duty(now)]

    def is_on_duty(self, handle: str, now: float) -> bool:
        return any(s.handle == handle for s in self.on_duty(now))

    def epoch(self, now: float) -> tuple[int, int]:
        """Changes whenever anything derived here may change: an entry or a role's end.

        ``(entries folded, role ends and vote closes passed)``: a cache keyed on it is
        never stale.
        """
        passed = self.roster.ends_passed(now) + self.mandates.closes_passed(now)
        return sum(fs.size for fs in self.feeds.values()), passed
