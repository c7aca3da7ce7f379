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

SYNC_SHARE = 0.5
"""Share of the radio's duty-cycle budget hub-to-hub sync may spend in any hour: the other
half stays for alerts and replies, which always go first."""

SYNC_IMIN = 30.0
"""Seconds: Trickle's shortest interval, about fifteen full LONG_FAST frames."""

SYNC_IMAX = 1920.0
WITNESS_GAP = 1800.0  # s between cosignatures of one grown feed: ~5 s of airtime an hour
"""Seconds: Trickle's longest interval (32 minutes): an agreeing neighbourhood is quiet."""
