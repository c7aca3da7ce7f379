"""Public audits: the audit fold (pure), its report and digest, charts, and the audit cycle.

Names are loaded from their modules on first use (:mod:`hub.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from hub.audit.charts import Chart as Chart
    from hub.audit.cycle import AUDIT_CYCLE as AUDIT_CYCLE
    from hub.audit.cycle import DAY as DAY
    from hub.audit.cycle import next_due as next_due
    from hub.audit.cycle import read_cycle as read_cycle
    from hub.audit.cycle import write_cycle as write_cycle
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
    from hub.audit.source import verify_audit as verify_audit

__all__ = [
    "AUDIT_CYCLE",
    "DAY",
    "Chart",
    "audit_datadir",
    "audit_entries",
    "bundle_feeds",
    "canonical",
    "covers_text",
    "digest",
    "next_due",
    "parse_covers",
    "parse_day",
    "period",
    "read_cycle",
    "render_text",
    "verify_audit",
    "write_cycle",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "Chart": "hub.audit.charts",
        "AUDIT_CYCLE": "hub.audit.cycle",
        "DAY": "hub.audit.cycle",
        "next_due": "hub.audit.cycle",
        "read_cycle": "hub.audit.cycle",
        "write_cycle": "hub.audit.cycle",
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
        "verify_audit": "hub.audit.source",
    },
)
