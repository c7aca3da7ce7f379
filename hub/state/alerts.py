"""Alerts folded from the log: an alert is known by the index of its ``alert`` entry.

``ack`` and ``cancel`` entries point at that index. What was said, who acknowledged and when,
and who cancelled are all signed history; :class:`AlertBook` only folds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.log import Body

MAX_ALERT_BYTES = 150  # so the broadcast, tag and number included, stays one packet


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
