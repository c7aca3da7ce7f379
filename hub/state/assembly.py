"""The assembly's rules: who may propose and vote, what a proposal and an outcome write,
and the radio reminders. Pure: the radio desk and the daemon's ops both call these, so a
proposal or a vote is refused with the same reason wherever it comes from.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from hub.errors import InputError
from hub.log import FieldValue
from hub.settings import (
    CHARTER_CHANGES,
    REMIND_DAYS,
    TERM_LIMIT,
    VOTE_DAYS,
    VOTE_MAJORITY,
    VOTE_QUORUM,
)
from hub.state.mandates import CHARTER, MANDATE, QUARTER, Proposal
from hub.state.model import HubState
from hub.state.names import check_handle, check_mandate_role
from hub.state.notices import Notice

DAY = 86_400
MIN_TERM, MAX_TERM = 7 * DAY, 2 * 365 * DAY
MIN_OPEN, MAX_OPEN = 3600, 60 * DAY
MAX_OPEN_VOTES = 12  # a flood of proposals is refused beyond this many open at once
MAX_CHARTER_BYTES = 60000
MAX_REMINDERS = 6  # per desk tick: reminders go at bulk priority, a few at a time

__all__ = [
    "Rules",
    "check_proposal",
    "check_vote",
    "outcome_fields",
    "parse_days",
    "reminders",
    "result_text",
    "settle",
    "vote_fields",
    "vote_json",
]


@dataclass(frozen=True, slots=True)
class Rules:
    """The ``[assembly]`` settings (docs/settings.md)."""

    quorum: int = VOTE_QUORUM
    majority: int = VOTE_MAJORITY
    vote_days: int = VOTE_DAYS
    term_limit: int = TERM_LIMIT
    remind_days: int = REMIND_DAYS
    charter_changes: int = CHARTER_CHANGES


_DAYS = re.compile(r"^(\d{1,5})([dwmy]?)$")
_UNIT = {"": 1, "d": 1, "w": 7, "m": 30, "y": 365}


def parse_days(text: str, name: str = "term") -> int:
    """``90d``, ``12w``, ``3m``, ``1y`` or a number of days, in seconds."""
    m = _DAYS.match(text.strip().lower()) if isinstance(text, str) else None
    if m is None:
        raise InputError(f"{name}: want days like 90d, 12w, 3m or 1y")
    return int(m.group(1)) * _UNIT[m.group(2)] * DAY


def parse_when(text: str, now: float) -> int:
    """``--closes``: a span from now (``7d``) or a UTC date/time (``2027-01-31T18:00``)."""
    try:
        return int(now) + parse_days(text, "closes")
    except InputError:
        pass
    try:
        t = dt.datetime.fromisoformat(text.strip())
    except ValueError as e:
        raise InputError("closes: want a span like 7d or a date like 2027-01-31") from e
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return int(t.timestamp())


def _date(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d")


def check_proposal(
    state: HubState,
    rules: Rules,
    now: float,
    *,
    what: str = MANDATE,
    handle: str = "",
    role: str = "",
    term: int = 0,
    closes: int | None = None,
    text: str = "",
) -> dict[str, FieldValue]:
    """The fields of a ``proposal`` entry, or :class:`InputError` with the reason."""
    md, own = state.mandates, state.own
    if len(md.open(own, now)) >= MAX_OPEN_VOTES:
        raise InputError(f"{MAX_OPEN_VOTES} votes are open already; close some first")
    voters = sorted(m.handle for m in state.roster.active(now))
    if not voters:
        raise InputError("nobody is enrolled to vote")
    closes = int(now) + rules.vote_days * DAY if closes is None else closes
    if not now + MIN_OPEN <= closes <= now + MAX_OPEN:
        raise InputError("a vote closes between 1 hour and 60 days from now")
    fields: dict[str, FieldValue] = {
        "what": what,
        "closes": closes,
        "voters": " ".join(voters),
        "quorum": rules.quorum,
        "majority": rules.majority,
    }
    if what == CHARTER:
        if not text.strip():
            raise InputError("a charter proposal needs the charter's text")
        if len(text.encode("utf-8")) > MAX_CHARTER_BYTES:
            raise InputError(f"the charter is at most {MAX_CHARTER_BYTES} bytes")
        changes = md.changes_since(own, now - QUARTER)
        if text != md.feed(own).current and changes >= rules.charter_changes:
            raise InputError(
                f"the charter changed {changes} time(s) this quarter (limit "
                f"{rules.charter_changes}); only a vote to ratify it unchanged is open now"
            )
        return {**fields, "text": text}
    if what != MANDATE:
        raise InputError("a proposal is a mandate or a charter")
    handle = check_handle(handle)
    role = check_mandate_role(role)
    if handle not in voters:
        raise InputError(f"{handle} is not an enrolled member with a current role")
    if not MIN_TERM <= term <= MAX_TERM:
        raise InputError("a term is 7 days to 2 years")
    run = md.consecutive(handle, role, now)
    if rules.term_limit and run >= rules.term_limit:
        raise InputError(
            f"{handle} has held {role} for {run} terms in a row (limit {rules.term_limit})"
        )
    for p in md.open(own, now):
        if p.what == MANDATE and p.handle == handle and p.role == role:
            raise InputError(f"vote #{p.index} on {handle} as {role} is open already")
    fields.update(handle=handle, role=role, term=term)
    if text:
        fields["text"] = text
    return fields


def find_vote(state: HubState, n: int | None, handle: str, now: float) -> Proposal | None:
    """Vote ``n``: this hub's own while it is open, else the one another federated hub
    opened with that number (each hub numbers its own); of several, or once our own is
    over, the one open that ``handle`` may vote in (our own when there is none). Raises
    when that still leaves more than one."""
    if n is None:
        return None
    own = state.mandates.get(state.own, n)
    if own is not None and own.is_open(now):
        return own
    others = [p for p in state.mandates.numbered(n) if p is not own]
    votable = [p for p in others if p.is_open(now) and handle in p.eligible]
    if len(votable) > 1:
        names = " and ".join(sorted(state.hub_name(p.feed) for p in votable))
        raise InputError(f"#{n} is open at {names}; vote at the hub that opened yours")
    if votable:
        return votable[0]
    if own is not None:
        return own  # ours, over: the reply says how it was decided
    return others[0] if len(others) == 1 else None


def check_vote(state: HubState, n: int | None, handle: str, now: float) -> Proposal:
    """The open vote ``n`` that ``handle`` may still vote in, or the reason not."""
    p = find_vote(state, n, handle, now)
    if p is None:
        raise InputError(f"no vote #{n}; send VOTES")
    if p.outcome is not None:
        raise InputError(f"vote #{n} is decided: {'carried' if p.carried else 'failed'}")
    if now >= p.closes:
        raise InputError(f"vote #{n} closed {_date(p.closes)}")
    if handle not in p.voters:
        raise InputError(f"you were not a member when vote #{n} opened")
    if handle in p.votes:
        raise InputError(f"you voted in #{n} already; one vote each")
    return p


def vote_fields(state: HubState, p: Proposal, yes: bool) -> dict[str, FieldValue]:
    """The ``vote`` entry for ``p``: it names the opening hub's feed when that is not ours."""
    fields: dict[str, FieldValue] = {"proposal": p.index, "yes": int(yes)}
    if p.feed != state.own:
        fields["at"] = bytes.fromhex(p.feed)
    return fields


def vote_json(state: HubState, p: Proposal, now: float) -> dict[str, Any]:
    """A vote as the CLI, the ops and the portal's JSON show it: :meth:`Proposal.to_json`
    and ``hub``, the name of the hub that opened it (None: this hub)."""
    return {**p.to_json(now), "hub": state.other_hub(p.feed)}


def outcome_fields(p: Proposal, now: float) -> dict[str, FieldValue]:
    """The ``outcome`` entry of a decided proposal (call only when it is decided)."""
    carried = p.decision(now)
    assert carried is not None
    fields: dict[str, FieldValue] = {
        "proposal": p.index,
        "carried": int(carried),
        "yes": p.yes,
        "no": p.no,
    }
    if carried and p.what == MANDATE and p.handle and p.role and p.term:
        fields.update(handle=p.handle, role=p.role, until=int(now) + p.term)
    return fields


def result_text(p: Proposal, until: int | None = None) -> str:
    if not p.carried:
        return f"Vote #{p.index} ({p.subject()}) failed: {p.tally()}."
    if p.what == CHARTER:
        return f"Vote #{p.index} carried: the charter is ratified ({p.tally()})."
    end = f" until {_date(until)}" if until else ""
    return f"Vote #{p.index} carried: {p.handle} is {p.role}{end} ({p.tally()})."


def reminders(
    state: HubState, rules: Rules, now: float, sent: MutableMapping[str, int]
) -> list[Notice]:
    """Radio reminders due at ``now``: a holder ``remind_days`` before a term ends; every
    voter when a vote opens and the day before it closes. At most one a day per person
    (``sent``: handle -> day number of the last one, updated here), a few per call."""
    day = int(now // DAY)
    out: list[Notice] = []

    def tell(handle: str, text: str) -> None:
        m = state.roster.get(handle)
        if len(out) >= MAX_REMINDERS or sent.get(handle) == day:
            return
        if m is None or m.node is None or m.role(now) is None:
            return
        sent[handle] = day
        out.append(Notice(m.node, text, urgent=False))

    for p in state.mandates.open(state.own, now):
        left = p.closes - now
        for h in p.voters:
            if h in p.votes:
                continue
            if now - p.time < DAY and sent.get(h, -1) < p.time // DAY:
                tell(h, f"Vote #{p.index} open: {p.subject()}. Reply VOTE {p.index} YES or NO.")
            elif left < DAY:
                tell(h, f"Vote #{p.index} closes {_date(p.closes)}: VOTE {p.index} YES or NO.")
    soon = now + rules.remind_days * DAY
    for m in state.roster.members.values():
        for role, until in m.grants.items():
            if now < until <= soon and role != "steward" and not m.revoked:
                tell(m.handle, f"Your {role} term ends {_date(until)}.")
    return out


AppendFn = Callable[[str, dict[str, FieldValue], str], object]


def settle(state: HubState, append: AppendFn, now: float) -> list[tuple[Proposal, str]]:
    """Write the ``outcome`` of every decided vote of the own feed (and the new charter
    of a carried charter change); returns each with what to tell the voters."""
    told: list[tuple[Proposal, str]] = []
    for p in state.mandates.due(state.own, now):
        fields = outcome_fields(p, now)
        changed = p.what == CHARTER and p.text != state.mandates.feed(state.own).current
        append("outcome", fields, "")
        if p.carried and changed:
            append("charter", {"text": p.text}, "")
        until = fields.get("until")
        told.append((p, result_text(p, until if isinstance(until, int) else None)))
    return told
