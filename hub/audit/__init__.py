"""Public audits: the audit fold (pure), its report and digest, charts, and the audit cycle.

Names are loaded from their modules on first use (:mod:`hub.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from hub.audit.charts import Chart as Chart
    from hub.audit.cycle import DAY as DAY
    from hub.audit.cycle import check_cycle as check_cycle
    from hub.audit.cycle import cycle_setting as cycle_setting
    from hub.audit.cycle import env_cycle as env_cycle
    from hub.audit.cycle import legacy_note as legacy_note
    from hub.audit.cycle import next_due as next_due
    from hub.audit.report import canonical as canonical
    from hub.audit.report import covers_text as covers_text
    from hub.audit.report import digest as digest
    from hub.audit.report import parse_covers as parse_covers
    from hub.audit.report import parse_day as parse_day
    from hub.audit.report import period as period
    from hub.audit.report import render_text as render_text
    from hub.audit.source import audit_datadir as audit_datadir
    from hub.audit.source import audit_entries as audit_entries
    from hub.audit.source import bundle_feeds as bundle_feeds
    from hub.audit.source import incomplete as incomplete
    from hub.audit.source import sync_lag as sync_lag
    from hub.audit.source import verify_audit as verify_audit

__all__ = [
    "DAY",
    "Chart",
    "audit_datadir",
    "audit_entries",
    "bundle_feeds",
    "canonical",
    "check_cycle",
    "covers_text",
    "cycle_setting",
    "digest",
    "env_cycle",
    "incomplete",
    "legacy_note",
    "next_due",
    "parse_covers",
    "parse_day",
    "period",
    "render_text",
    "sync_lag",
    "verify_audit",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "Chart": "hub.audit.charts",
        "DAY": "hub.audit.cycle",
        "check_cycle": "hub.audit.cycle",
        "cycle_setting": "hub.audit.cycle",
        "env_cycle": "hub.audit.cycle",
        "legacy_note": "hub.audit.cycle",
        "next_due": "hub.audit.cycle",
        "canonical": "hub.audit.report",
        "covers_text": "hub.audit.report",
        "digest": "hub.audit.report",
        "parse_covers": "hub.audit.report",
        "parse_day": "hub.audit.report",
        "period": "hub.audit.report",
        "render_text": "hub.audit.report",
        "audit_datadir": "hub.audit.source",
        "audit_entries": "hub.audit.source",
        "bundle_feeds": "hub.audit.source",
        "incomplete": "hub.audit.source",
        "sync_lag": "hub.audit.source",
        "verify_audit": "hub.audit.source",
    },
)
