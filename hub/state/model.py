"""The hub's state: one pure fold of entries from any number of feeds.

Every reader of state (the radio desk, the portal, MQTT, the CLI) reads a :class:`HubState`,
so none of them can disagree about who is on duty or which alerts are active.

Invariants:

- Folding is pure (no I/O, no clock) and idempotent: an entry at or below a feed's folded
  size is ignored; a gap (an entry past the next expected index) raises ``ValueError``,
  because a fold that skipped entries would silently lie.
- People are neighbourhood-wide: the roster and the patrol take entries from every feed, so
  a steward enrolled at one hub is known at every hub folding that feed.
- What a hub says about itself stays per feed (:class:`FeedState`): alerts are numbered by
  their entry in the feed that raised them (``ack`` and ``cancel`` point within the same
  feed), and so are the charter, protocols, partner vows, compact signatures and corrections.
- Time-dependent answers take ``now``: a steward is on duty while their shift is open *and*
  they hold a role at ``now``; a role that ends mid-shift ends the duty at that moment.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from hub.log.entry import LoggedEntry
from hub.state.alerts import AlertBook
from hub.state.corrections import RETRACT, AuthorIndex
from hub.state.patrol import Patrol, Shift
from hub.state.roster import Roster


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

    def __init__(self, own: str) -> None:
        self.own = own
        self.roster = Roster()
        self.patrol = Patrol()
        self.feeds: dict[str, FeedState] = {own: FeedState(own)}

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
        self.roster.apply(e.index, e.body)
        self.patrol.apply(e.index, e.body, e.feed)
        fs.apply(e)

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

        ``(entries folded, role ends passed)``: a cache keyed on it is never stale.
        """
        return sum(fs.size for fs in self.feeds.values()), self.roster.ends_passed(now)
