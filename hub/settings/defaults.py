"""Defaults that code outside the settings table needs as well, defined once here.

The table (:mod:`hub.settings.table`) uses them as the defaults of ``desk.*``; the pure
folds in :mod:`hub.state` and the radio desk use them when nobody passes a policy.
"""

from __future__ import annotations

ACK_TIMEOUT = 120.0
"""Seconds an on-duty steward has to ACK an alert before the first DM."""

MAX_PAGES = 3
"""DMs per steward per alert at most."""

OVERDUE_GRACE = 600
"""Seconds after the overdue reminder before coordinators are told."""

CONFIG_PATH = "/etc/canopy/canopy.toml"
"""Where ``canopy deploy render`` puts the config file the systemd units read."""
