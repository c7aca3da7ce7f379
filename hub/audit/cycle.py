"""The audit cycle: how often a public audit is held, and when the next one is due.

The cycle is the setting ``portal.audit_cycle`` of the hub's one settings table
(:mod:`hub.settings.table`): config file ``[portal] audit_cycle = N``, option
``--audit-cycle`` (``canopy audit``, ``canopy portal``, ``canopy kit export``) or
``CANOPY_AUDIT_CYCLE``. Each published ``audit`` entry also signs the cycle it was
published under (its ``cycle`` field), so the portal reads the due date from the log.

Hubs set up before the table held the cycle kept it in ``<data>/settings.json``
(``{"audit_cycle_days": N}``); that file is no longer read, and :func:`legacy_note` says
so, naming the value and where it goes now.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from hub.errors import InputError
from hub.settings import Setting, by_key

DAY = 86_400
KEY = "portal.audit_cycle"
LEGACY_FILE = "settings.json"


def cycle_setting() -> Setting:
    return by_key(KEY)


def check_cycle(value: object) -> int:
    """The cycle in days, checked against the table's bounds; raises InputError."""
    try:
        days = cycle_setting().check(value)
    except ValueError as e:
        raise InputError(f"audit cycle: {e}") from e
    assert isinstance(days, int)
    return days


def env_cycle(environ: Mapping[str, str] | None = None) -> int:
    """The cycle a portal worker was started with (``canopy portal`` passes the resolved
    setting in the environment); the default when unset or unreadable (never raises)."""
    s = cycle_setting()
    text = (os.environ if environ is None else environ).get(s.env_var or "")
    if text is not None:
        try:
            value = s.parse_text(text)
            if isinstance(value, int):
                return value
        except ValueError:
            pass
    assert isinstance(s.default, int)
    return s.default


def legacy_note(root: Path) -> str | None:
    """What to tell the operator when ``<data>/settings.json`` still holds a cycle."""
    path = root / LEGACY_FILE
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("audit_cycle_days")
    except (OSError, ValueError, AttributeError):
        return None
    if value is None:
        return None
    s = cycle_setting()
    return (
        f"note: {path} sets audit_cycle_days = {value!r}, which is no longer read; the audit "
        f"cycle is the setting {s.key}: put 'audit_cycle = {value!r}' under [portal] in the "
        f"config file (or use {s.option} / {s.env_var}), then delete {LEGACY_FILE}"
    )


def next_due(last_end: int | None, cycle_days: int, first_entry: int | None) -> int | None:
    """When the next audit is due: a cycle after the last audited period (or the log's start)."""
    base = last_end if last_end is not None else first_entry
    return None if base is None else base + cycle_days * DAY
