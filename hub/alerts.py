"""Alerts: their state folded from the log, delivery tracking, and the re-paging schedule.

Invariants:

- An alert is known by the log index of its ``alert`` entry; ``ack`` and ``cancel`` entries
  point at that index. What was said, who acknowledged and when, and who cancelled are all
  signed history; :class:`AlertBook` only folds it.
- Delivery (has the alert been broadcast, how often each steward was paged) is hub-local
  bookkeeping, not history: it lives in TinyDB and may be lost without lying about anything.
- Re-paging is a pure function of alert, delivery record, on-duty stewards, policy and
  ``now`` (:func:`pages_due`): a steward on duty who has not acknowledged gets a DM once
  ``ack_timeout`` has passed since the broadcast, then again after ``ack_timeout × backoff^k``,
  at most ``max_pages`` times; a cancelled alert is never paged again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tinydb import TinyDB

from hub.entry import Body
from hub.roster import Roster

DELIVERY = "alert_delivery"
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
    ack_timeout: float = 120.0
    backoff: float = 2.0
    max_pages: int = 3
    max_pages_per_round: int = 8  # airtime: never queue more DMs than this in one go
    max_age: float = 6 * 3600.0  # stop paging for alerts older than this


@dataclass(slots=True)
class Alert:
    index: int
    text: str
    author: str
    time: int
    acks: dict[str, int] = field(default_factory=dict)  # handle -> time
    ack_entries: dict[str, int] = field(default_factory=dict)  # handle -> entry index
    cancelled_at: int | None = None
    cancelled_by: str | None = None
    cancel_index: int | None = None

    @property
    def active(self) -> bool:
        return self.cancelled_at is None

    def to_json(self) -> dict[str, Any]:
        return {
            "alert": self.index,
            "text": self.text,
            "author": self.author or "hub",
            "time": self.time,
            "active": self.active,
            "acks": [
                {"handle": h, "time": t, "entry": self.ack_entries.get(h)}
                for h, t in sorted(self.acks.items(), key=lambda kv: kv[1])
            ],
            "cancelled_at": self.cancelled_at,
            "cancelled_by": (self.cancelled_by or "hub") if self.cancelled_at else None,
        }


class AlertBook:
    """Alerts by index; fed entries with :meth:`apply`."""

    def __init__(self) -> None:
        self.alerts: dict[int, Alert] = {}

    def apply(self, index: int, body: Body) -> None:
        f = body.named_fields()
        name = body.kind_name
        if name == "alert":
            text = f.get("text")
            self.alerts[index] = Alert(
                index, text if isinstance(text, str) else "", body.author, body.time
            )
        elif name == "ack":
            a = self.alerts.get(f.get("alert"))  # type: ignore[arg-type]
            if a is not None and a.active and body.author and body.author not in a.acks:
                a.acks[body.author] = body.time
                a.ack_entries[body.author] = index
        elif name == "cancel":
            a = self.alerts.get(f.get("alert"))  # type: ignore[arg-type]
            if a is not None and a.active:
                a.cancelled_at = body.time
                a.cancelled_by = body.author
                a.cancel_index = index

    def get(self, index: int) -> Alert | None:
        return self.alerts.get(index)

    def active(self) -> list[Alert]:
        """Active alerts, newest first."""
        return sorted((a for a in self.alerts.values() if a.active), key=lambda a: -a.index)

    def all(self) -> list[Alert]:
        return sorted(self.alerts.values(), key=lambda a: -a.index)


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


class DeliveryStore:
    """Delivery records, cached in memory and written through to a TinyDB table."""

    def __init__(self, db: TinyDB | None) -> None:
        self._db = db
        self._cache: dict[int, Delivery] = {}
        if db is not None:
            for doc in db.table(DELIVERY).all():
                try:
                    d = Delivery.from_doc(dict(doc))
                except (KeyError, TypeError, ValueError):
                    continue
                self._cache[d.alert] = d

    def get(self, alert: int) -> Delivery:
        d = self._cache.get(alert)
        if d is None:
            d = self._cache[alert] = Delivery(alert)
        return d

    def save(self, d: Delivery) -> None:
        self._cache[d.alert] = d
        if self._db is not None:
            from tinydb import Query

            self._db.table(DELIVERY).upsert(d.to_doc(), Query().alert == d.alert)


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
    deliveries: DeliveryStore,
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
    deliveries: DeliveryStore,
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
