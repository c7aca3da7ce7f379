"""Alert delivery records and reminder days, cached in memory and written through to
TinyDB tables.

Hub-local bookkeeping, not history (see :mod:`hub.state.notices`).
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping

from tinydb import Query, TinyDB

from hub.state import Delivery

DELIVERY = "alert_delivery"
REMINDED = "reminded"


class ReminderDays(MutableMapping[str, int]):
    """Handle -> day number (days since the epoch, UTC) of the last radio reminder."""

    def __init__(self, db: TinyDB | None) -> None:
        self._db = db
        self._days: dict[str, int] = {}
        if db is not None:
            for doc in db.table(REMINDED).all():
                handle, day = doc.get("handle"), doc.get("day")
                if isinstance(handle, str) and type(day) is int:
                    self._days[handle] = day

    def __getitem__(self, handle: str) -> int:
        return self._days[handle]

    def __setitem__(self, handle: str, day: int) -> None:
        self._days[handle] = day
        if self._db is not None:
            doc = {"handle": handle, "day": day}
            self._db.table(REMINDED).upsert(doc, Query().handle == handle)

    def __delitem__(self, handle: str) -> None:
        del self._days[handle]
        if self._db is not None:
            self._db.table(REMINDED).remove(Query().handle == handle)

    def __iter__(self) -> Iterator[str]:
        return iter(self._days)

    def __len__(self) -> int:
        return len(self._days)


class DeliveryStore:
    """Delivery records and reminder days, cached in memory and written through to TinyDB."""

    def __init__(self, db: TinyDB | None) -> None:
        self._db = db
        self._cache: dict[int, Delivery] = {}
        self.reminded = ReminderDays(db)
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
            self._db.table(DELIVERY).upsert(d.to_doc(), Query().alert == d.alert)
