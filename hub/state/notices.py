"""What the hub says on its own, and when: alert broadcasts, re-pages and overdue notices.

Invariants:

- Delivery (has the alert been broadcast, how often each steward was paged) is hub-local
  bookkeeping, not history: the daemon keeps it in TinyDB (:mod:`hub.daemon.deliveries`)
  and it may be lost without lying about anything; here it is a :class:`Deliveries` port.
- Re-paging is a pure function of alert, delivery record, on-duty stewards, policy and
  ``now`` (:func:`pages_due`): a steward on duty who has not acknowledged gets a DM once
  ``ack_timeout`` has passed since the broadcast, then again after ``ack_timeout × backoff^k``,
  at most ``max_pages`` times; a cancelled alert is never paged again.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from hub.settings import ACK_TIMEOUT, MAX_PAGES
from hub.state.alerts import Alert, AlertBook
from hub.state.patrol import ESCALATED, REMINDER, OverdueStep, Shift
from hub.state.roster import COORDINATOR, Roster

BELL = "\a"  # first character of anything that should ring (External Notification)


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the hub should say on the radio: a DM to ``dest``, or to all if None."""

    dest: int | None
    text: str
    urgent: bool = True


def ago(now: float, t: float) -> str:
    """A short age for a radio text: ``5m``, ``3h``, ``2d``."""
    s = max(0, int(now - t))
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    ack_timeout: float = ACK_TIMEOUT
    backoff: float = 2.0
    max_pages: int = MAX_PAGES
    max_pages_per_round: int = 8  # airtime: never queue more DMs than this in one go
    max_age: float = 6 * 3600.0  # stop paging for alerts older than this


@dataclass(slots=True)
class Delivery:
    """Hub-local delivery record of one alert."""

    alert: int
    broadcast_at: float | None = None
    cancel_broadcast: bool = False
    pages: dict[str, list[float]] = field(default_factory=dict)  # handle -> page times

    def to_doc(self) -> dict[str, Any]:
        return {
            "alert": self.alert,
            "broadcast_at": self.broadcast_at,
            "cancel_broadcast": self.cancel_broadcast,
            "pages": self.pages,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Delivery:
        pages = doc.get("pages") or {}
        return cls(
            int(doc["alert"]),
            doc.get("broadcast_at"),
            bool(doc.get("cancel_broadcast")),
            {str(h): [float(t) for t in ts] for h, ts in pages.items()},
        )


class Deliveries(Protocol):
    """Where delivery records live (the daemon's TinyDB, or memory in tests), and the
    day each person was last sent a radio reminder (handle -> day number), so a restart
    the same day does not remind them again."""

    def get(self, alert: int) -> Delivery: ...

    def save(self, d: Delivery) -> None: ...

    @property
    def reminded(self) -> MutableMapping[str, int]: ...


@dataclass(frozen=True, slots=True)
class Page:
    alert: int
    handle: str
    attempt: int  # 1 for the first DM


def next_page_at(delivery: Delivery, handle: str, policy: AlertPolicy) -> float | None:
    """When ``handle`` is next due a page for this alert, or None if never again."""
    if delivery.broadcast_at is None:
        return None
    sent = delivery.pages.get(handle, [])
    if len(sent) >= policy.max_pages:
        return None
    if not sent:
        return delivery.broadcast_at + policy.ack_timeout
    return sent[-1] + policy.ack_timeout * policy.backoff ** len(sent)


def pages_due(
    alerts: Iterable[Alert],
    deliveries: Deliveries,
    on_duty: Iterable[str],
    now: float,
    policy: AlertPolicy,
) -> list[Page]:
    """DMs to send now, oldest alert first, capped at ``policy.max_pages_per_round`` (pure
    with respect to the store: it is only read)."""
    duty = list(on_duty)
    out: list[Page] = []
    for a in sorted(alerts, key=lambda a: a.index):
        if not a.active or now - a.time > policy.max_age:
            continue
        d = deliveries.get(a.index)
        for handle in duty:
            if handle in a.acks or handle == a.author:
                continue
            at = next_page_at(d, handle, policy)
            if at is not None and now >= at:
                out.append(Page(a.index, handle, len(d.pages.get(handle, [])) + 1))
                if len(out) >= policy.max_pages_per_round:
                    return out
    return out


def alert_notices(
    book: AlertBook,
    deliveries: Deliveries,
    roster: Roster,
    on_duty: list[str],
    now: float,
    policy: AlertPolicy,
) -> list[Notice]:
    """What to send now for alerts: first broadcasts, cancellations, then re-pages.

    Records in ``deliveries`` what it returns, so each notice is returned once.
    """
    out: list[Notice] = []
    for a in book.all():
        d = deliveries.get(a.index)
        if a.active and d.broadcast_at is None and now - a.time <= policy.max_age:
            out.append(Notice(None, f"{BELL}ALERT #{a.index}: {a.text} (reply ACK {a.index})"))
            d.broadcast_at = now
            deliveries.save(d)
        elif not a.active and d.broadcast_at is not None and not d.cancel_broadcast:
            out.append(Notice(None, f"Alert #{a.index} cancelled: {a.text}", urgent=False))
            d.cancel_broadcast = True
            deliveries.save(d)
    for page in pages_due(book.active(), deliveries, on_duty, now, policy):
        alert, m = book.get(page.alert), roster.get(page.handle)
        d = deliveries.get(page.alert)
        d.pages.setdefault(page.handle, []).append(now)
        deliveries.save(d)
        if alert is None or m is None or m.node is None:
            continue
        text = f"{BELL}ALERT #{alert.index} ({ago(now, alert.time)} ago): {alert.text}"
        out.append(Notice(m.node, f"{text} Reply ACK {alert.index}"))
    return out


def coordinator_nodes(roster: Roster, on_duty: list[str], now: float, exclude: str) -> list[int]:
    """Radios of the coordinators on duty, or of every current coordinator if none is."""
    coords = [m for m in roster.with_role(COORDINATOR, now) if m.handle != exclude]
    duty = set(on_duty)
    chosen = [m for m in coords if m.handle in duty] or coords
    return [m.node for m in chosen if m.node is not None]


def overdue_notices(
    step: OverdueStep, roster: Roster, on_duty: list[str], now: float
) -> list[Notice]:
    """The reminder to the steward, or the escalation to the coordinators."""
    late = ago(now, step.shift.due or now)
    minutes = step.shift.minutes
    if step.stage == REMINDER:
        m = roster.get(step.handle)
        if m is None or m.node is None:
            return []
        text = f"{BELL}You are due back (IN {minutes}, {late} ago). "
        text += "Reply OUT if safe, or IN <min> to extend."
        return [Notice(m.node, text)]
    text = (
        f"{BELL}OVERDUE: {step.handle} was due back {late} ago "
        f"(IN {minutes}, #{step.shift.index}) and has not answered."
    )
    return [Notice(n, text) for n in coordinator_nodes(roster, on_duty, now, step.handle)]


def all_clear_notices(
    shift: Shift | None, what: str, roster: Roster, on_duty: list[str], now: float
) -> list[Notice]:
    """Tell the coordinators who were alarmed about an overdue steward that they answered."""
    if shift is None or shift.stage != ESCALATED:
        return []
    text = f"{shift.handle} has answered ({what}); no longer overdue."
    nodes = coordinator_nodes(roster, on_duty, now, shift.handle)
    return [Notice(n, text, urgent=False) for n in nodes]
