"""The audit cycle: how often a public audit is held, and when the next one is due.

# --- SETTING (moves into the hub's settings table, hub/settings/, when that lands) -------
``audit_cycle_days``: days between public audits, default 28 (four weeks), 7..366. Stored
as ``{"audit_cycle_days": N}`` in ``<data>/settings.json``; each published ``audit`` entry
also signs the cycle it was published under (its ``cycle`` field), so the portal reads the
due date from the log itself.
# -----------------------------------------------------------------------------------------
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from hub.errors import InputError
from hub.local import atomic_write

DAY = 86_400


@dataclass(frozen=True, slots=True)
class IntSetting:
    name: str
    default: int
    minimum: int
    maximum: int
    help: str

    def check(self, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"{self.name} must be a whole number")
        if not self.minimum <= value <= self.maximum:
            raise InputError(f"{self.name} must be between {self.minimum} and {self.maximum}")
        return value


AUDIT_CYCLE = IntSetting(
    "audit_cycle_days", 28, 7, 366, "Days between public audits (the portal shows the next)."
)


def settings_path(root: Path) -> Path:
    return root / "settings.json"


def read_cycle(root: Path) -> int:
    """The audit cycle in days; the default when unset or unreadable (never raises)."""
    try:
        value = json.loads(settings_path(root).read_text(encoding="utf-8")).get(AUDIT_CYCLE.name)
        return AUDIT_CYCLE.check(value)
    except (OSError, ValueError, AttributeError, InputError):
        return AUDIT_CYCLE.default


def write_cycle(root: Path, days: int) -> None:
    days = AUDIT_CYCLE.check(days)
    path = settings_path(root)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    data[AUDIT_CYCLE.name] = days
    atomic_write(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())


def next_due(last_end: int | None, cycle_days: int, first_entry: int | None) -> int | None:
    """When the next audit is due: a cycle after the last audited period (or the log's start)."""
    base = last_end if last_end is not None else first_entry
    return None if base is None else base + cycle_days * DAY
