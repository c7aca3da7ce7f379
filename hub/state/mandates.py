"""The assembly's votes: proposals (a mandate or a charter), votes, outcomes, terms and the
charter's versions, folded from the log. Pure: no I/O, no clock (``now`` is passed in).

Invariants:

- A vote is numbered by its ``proposal`` entry in the feed that opened it. A ``vote``
  entry points at it within the same feed, or, cast at another federated hub, names the
  opening hub's feed in ``at``; only the opening hub writes the ``outcome``, counting the
  votes of every feed it holds by then. The result is neighbourhood-wide: the outcome
  grants the role in :class:`hub.state.roster.Roster`, which folds every counted feed.
- The members who may vote are fixed in the proposal (``voters``), as are the quorum and
  majority (per cent), so anyone can recount from the entries alone.
- One vote per member: of a member's ``vote`` entries for a proposal, the earliest counts
  (claimed time, then feed, then index: the same on every hub, whatever order the feeds
  arrive in); the desk refuses a second one it knows of before it is written.
- A vote from another feed folded before its proposal waits for it (at most
  ``MAX_EARLY`` such votes are kept).
- A decision is reached as soon as the outcome can no longer change (:func:`decide`), or at
  ``closes``; the daemon then writes the ``outcome`` entry.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Any

from hub.log import Body, LoggedEntry

MANDATE = "mandate"
CHARTER = "charter"
QUARTER = 91 * 86_400
YEAR = 365 * 86_400

_KINDS = frozenset({10, 21, 22, 23})  # charter, proposal, vote, outcome (hub/log/entry.py)
_VOTE = 22
MAX_EARLY = 10_000  # votes from other feeds waiting for their proposal

Order = tuple[int, str, int]  # a vote's (claimed time, feed, index): the earliest counts

__all__ = ["CHARTER", "MANDATE", "Mandates", "Proposal", "Term", "decide"]


def decide(
    yes: int, no: int, eligible: int, quorum: int, majority: int, closed: bool
) -> bool | None:
    """True (carried), False (failed) or None (still open, could go either way).

    ``quorum``: per cent of the eligible who must vote; ``majority``: YES must be more
    than this per cent of the votes cast. Before the close the answer is given only when
    no remaining vote could change it.
    """
    need = max(1, math.ceil(eligible * quorum / 100))
    left = max(0, eligible - yes - no)

    def carries(y: int, n: int) -> bool:
        return y + n >= need and y * 100 > majority * (y + n)

    if closed or left == 0:
        return carries(yes, no)
    if carries(yes, no + left) and yes >= need:
        return True  # even if every remaining member votes NO
    if not carries(yes + left, no):
        return False  # even if every remaining member votes YES
    return None


def _cast(p: Proposal, author: str, yes: bool, order: Order) -> None:
    """Count a member's vote unless decided, closed, not theirs, or a vote of theirs
    came earlier."""
    if p.outcome is not None or author not in p.eligible or order[0] >= p.closes:
        return
    had = p.votes.get(author)
    if had is None or order < had[1]:
        p.votes[author] = (yes, order)


@dataclass(slots=True)
class Proposal:
    feed: str
    index: int
    time: int
    author: str
    what: str
    closes: int
    voters: tuple[str, ...]
    quorum: int
    majority: int
    handle: str | None = None
    role: str | None = None
    term: int | None = None
    text: str = ""
    votes: dict[str, tuple[bool, Order]] = field(default_factory=dict)  # handle -> (yes, which)
    eligible: frozenset[str] = frozenset()  # ``voters`` as a set, for the fold
    outcome: int | None = None  # the outcome entry's index
    carried: bool | None = None
    decided_at: int | None = None

    @property
    def yes(self) -> int:
        return sum(1 for y, _ in self.votes.values() if y)

    @property
    def no(self) -> int:
        return len(self.votes) - self.yes

    def decision(self, now: float) -> bool | None:
        """The outcome as the entries stand at ``now`` (recorded, or recountable)."""
        if self.outcome is not None:
            return self.carried
        return decide(
            self.yes, self.no, len(self.voters), self.quorum, self.majority, now >= self.closes
        )

    def is_open(self, now: float) -> bool:
        return self.outcome is None and now < self.closes

    def need(self) -> int:
        return max(1, math.ceil(len(self.voters) * self.quorum / 100))

    def tally(self) -> str:
        return f"{self.yes} yes {self.no} no of {len(self.voters)}, quorum {self.need()}"

    def subject(self) -> str:
        if self.what == CHARTER:
            return "charter"
        return f"{self.handle} {self.role} {self.term_days()}d"

    def term_days(self) -> int:
        return (self.term or 0) // 86_400

    def to_json(self, now: float) -> dict[str, Any]:
        decision = self.decision(now)
        return {
            "vote": self.index,
            "feed": self.feed,
            "what": self.what,
            "handle": self.handle,
            "role": self.role,
            "term": self.term,
            "text": self.text if self.what == MANDATE else None,
            "opened": self.time,
            "closes": self.closes,
            "voters": list(self.voters),
            "quorum": self.quorum,
            "majority": self.majority,
            "yes": self.yes,
            "no": self.no,
            "open": self.is_open(now),
            "carried": decision,
            "outcome": self.outcome,
        }


@dataclass(frozen=True, slots=True)
class Term:
    """One mandate: a role held from ``since`` until ``until`` (a carried outcome)."""

    handle: str
    role: str
    since: int
    until: int
    feed: str
    vote: int


@dataclass(slots=True)
class CharterVersion:
    index: int
    time: int


@dataclass(slots=True)
class FeedVotes:
    proposals: dict[int, Proposal] = field(default_factory=dict)
    charters: list[CharterVersion] = field(default_factory=list)
    ratified: list[tuple[int, int, bool]] = field(default_factory=list)  # (time, vote, changed)
    current: str | None = None  # the newest charter text


class Mandates:
    """Every vote, term and charter version of the feeds folded; fed by :meth:`apply`."""

    def __init__(self) -> None:
        self.feeds: dict[str, FeedVotes] = {}
        self.terms: list[Term] = []
        self._closes: list[int] = []
        self._early: dict[tuple[str, int], list[tuple[str, bool, Order]]] = {}
        self._early_n = 0

    def feed(self, feed: str) -> FeedVotes:
        fv = self.feeds.get(feed)
        if fv is None:
            fv = self.feeds[feed] = FeedVotes()
        return fv

    def apply(self, e: LoggedEntry) -> None:
        b = e.body
        kind = b.kind
        if kind not in _KINDS:
            return  # most entries: nothing to do here, decided without a lookup
        if kind == _VOTE:  # the commonest by far: read positionally (proposal, yes[, at])
            self._vote(e, b)
            return
        name = b.kind_name
        if name == "proposal":
            self._proposal(e.feed, e.index, b)
        elif name == "outcome":
            self._outcome(e.feed, e.index, b)
        elif name == "charter":
            fv = self.feed(e.feed)
            fv.charters.append(CharterVersion(e.index, b.time))
            text = b.named_fields().get("text")
            fv.current = text if isinstance(text, str) else None

    def _vote(self, e: LoggedEntry, b: Body) -> None:
        f = b.fields
        if len(f) < 2 or type(f[0]) is not int:
            return
        target = e.feed
        if len(f) > 2 and f[2] is not None:  # cast here for a vote another hub opened
            if not isinstance(f[2], bytes) or len(f[2]) != 32:
                return
            target = f[2].hex()
        fv = self.feeds.get(target)
        p = fv.proposals.get(f[0]) if fv is not None else None
        ballot = (b.author, f[1] == 1, (b.time, e.feed, e.index))
        if p is not None:
            _cast(p, *ballot)
        elif target != e.feed and self._early_n < MAX_EARLY:  # its proposal may come later
            self._early.setdefault((target, f[0]), []).append(ballot)
            self._early_n += 1

    def _proposal(self, feed: str, index: int, b: Body) -> None:
        f = b.named_fields()
        what, closes, voters = f.get("what"), f.get("closes"), f.get("voters")
        quorum, majority = f.get("quorum"), f.get("majority")
        if what not in (MANDATE, CHARTER) or not isinstance(closes, int):
            return
        if not isinstance(voters, str) or not isinstance(quorum, int):
            return
        if not isinstance(majority, int):
            return
        term = f.get("term")
        p = Proposal(
            feed,
            index,
            b.time,
            b.author,
            str(what),
            closes,
            tuple(voters.split()),
            quorum,
            majority,
            handle=f.get("handle") if isinstance(f.get("handle"), str) else None,  # type: ignore[arg-type]
            role=f.get("role") if isinstance(f.get("role"), str) else None,  # type: ignore[arg-type]
            term=term if isinstance(term, int) else None,
            text=str(f.get("text") or ""),
        )
        p.eligible = frozenset(p.voters)
        self.feed(feed).proposals[index] = p
        bisect.insort(self._closes, closes)
        early = self._early.pop((feed, index), [])
        self._early_n -= len(early)
        for ballot in early:
            _cast(p, *ballot)

    def _outcome(self, feed: str, index: int, b: Body) -> None:
        f = b.named_fields()
        fv = self.feed(feed)
        p = fv.proposals.get(f.get("proposal"))  # type: ignore[arg-type]
        if p is None or p.outcome is not None:
            return
        p.outcome, p.carried, p.decided_at = index, f.get("carried") == 1, b.time
        if not p.carried:
            return
        until = f.get("until")
        if p.what == MANDATE and p.handle and p.role and isinstance(until, int):
            self.terms.append(Term(p.handle, p.role, b.time, until, feed, p.index))
        elif p.what == CHARTER:
            changed = p.text != fv.current
            fv.ratified.append((b.time, p.index, changed))

    # -- readers -------------------------------------------------------------------------
    def closes_passed(self, now: float) -> int:
        return bisect.bisect_right(self._closes, now)

    def proposals(self, feed: str) -> list[Proposal]:
        return list(self.feed(feed).proposals.values())

    def open(self, feed: str, now: float) -> list[Proposal]:
        return [p for p in self.proposals(feed) if p.is_open(now)]

    def everywhere(self) -> list[Proposal]:
        """The proposals of every feed folded."""
        return [p for fv in self.feeds.values() for p in fv.proposals.values()]

    def open_anywhere(self, now: float) -> list[Proposal]:
        """Open votes of every feed folded, soonest close first."""
        opened = (p for p in self.everywhere() if p.is_open(now))
        return sorted(opened, key=lambda p: (p.closes, p.feed))

    def numbered(self, n: int) -> list[Proposal]:
        """The proposals numbered ``n`` in any feed (each feed numbers its own)."""
        return [fv.proposals[n] for fv in self.feeds.values() if n in fv.proposals]

    def get(self, feed: str, n: int) -> Proposal | None:
        return self.feed(feed).proposals.get(n)

    def due(self, feed: str, now: float) -> list[Proposal]:
        """Proposals of ``feed`` whose outcome is decided but not yet written."""
        return [
            p for p in self.proposals(feed) if p.outcome is None and p.decision(now) is not None
        ]

    def consecutive(self, handle: str, role: str, at: float, gap: int = 86_400) -> int:
        """How many terms in a row ``handle`` has held ``role`` up to ``at`` (a new term
        starting at ``at`` would continue the run if the last one ended within ``gap``)."""
        mine = sorted(
            (t for t in self.terms if t.handle == handle and t.role == role), key=lambda t: t.since
        )
        run, end = 0, None
        for t in mine:
            run = run + 1 if end is not None and t.since <= end + gap else 1
            end = t.until if end is None or run == 1 else max(end, t.until)
        if end is None or at > end + gap:
            return 0
        return run

    def changes_since(self, feed: str, since: float) -> int:
        return sum(1 for t, _, changed in self.feed(feed).ratified if changed and t >= since)

    def last_ratified(self, feed: str) -> int | None:
        r = self.feed(feed).ratified
        return r[-1][0] if r else None
