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

AUDIT_CYCLE = 28
"""Days between public audits (four weeks): the default period of ``canopy audit``."""

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

SYNC_HOP_LIMIT = 1
"""Hops a sync frame may be relayed by the mesh: 1 crosses one relay between shops (hubs
store and forward beyond); 0 where every hub hears every other directly (measured in
bench/bench_sync.py: 3 costs 2.6x the airtime on a chain, 1 in a full mesh 3.7x the bytes)."""

# --- the assembly: votes on mandates and the charter (docs/governance.md)

VOTE_QUORUM = 50
"""Per cent of the members eligible when a vote opens who must vote for it to count."""

VOTE_MAJORITY = 50
"""YES must be more than this per cent of the votes cast."""

VOTE_DAYS = 7
"""Days a vote stays open unless it is decided sooner."""

TERM_LIMIT = 2
"""Consecutive terms one member may hold in the same role (0: no limit)."""

REMIND_DAYS = 7
"""Days before a term ends that its holder is reminded by radio."""

CHARTER_CHANGES = 1
"""Ratified charter changes allowed per quarter (91 days)."""

PRIVACY_CATEGORIES = (
    "noise",
    "damage",
    "theft",
    "fight",
    "medical",
    "hazard",
    "suspicious",
    "help",
    "other",
)
"""Incident categories a neighbourhood starts with: one word each, easy as canned messages."""

PRIVACY_DELAY = 3600
"""Seconds check-in/out notes and places stay off public surfaces: no live patrol route."""

PRIVACY_RETENTION_DAYS = 90
"""Days the per-entry keys of sealed details are kept before every hub destroys them."""
