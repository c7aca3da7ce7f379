"""Alert delivery records, cached in memory and written through to a TinyDB table.

Hub-local bookkeeping, not history (see :mod:`hub.state.notices`).
"""

from __future__ import annotations

from tinydb import Query, TinyDB

from hub.state import Delivery

DELIVERY = "alert_delivery"


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
            self._db.table(DELIVERY).upsert(d.to_doc(), Query().alert == d.alert)
