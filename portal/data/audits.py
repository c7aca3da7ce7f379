"""The published audits as the portal shows them: recomputed from the feed files.

An audit page is computed from the feeds cut at the sizes its ``audit`` entry covers, so
it never changes once published; it is kept (a few per worker) and compared with the
signed digest, and the page says whether they match.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from hub.audit import Chart, audit_datadir, digest, env_cycle, next_due, parse_covers
from hub.audit.charts import charts
from hub.errors import InputError
from hub.log import BY_NAME, LoggedEntry, LogView
from portal.data.hubdata import PortalHub

AUDIT = BY_NAME["audit"].code
KEEP = 4


@dataclass(frozen=True, slots=True)
class AuditPage:
    entry: LoggedEntry
    report: dict[str, Any]
    charts: list[Chart]
    matches: bool  # the recomputed figures match the signed digest


_pages: OrderedDict[int, AuditPage] = OrderedDict()
_lock = threading.Lock()


def published(hub: PortalHub) -> list[LoggedEntry]:
    """The own feed's audit entries, newest first."""
    st = hub.state()
    return hub.entries([int(i) for i in reversed(st.by_kind.get(AUDIT, []))])


def due(hub: PortalHub) -> int | None:
    """When the next public audit is due (Unix time), by the latest audit's signed cycle."""
    st = hub.state()
    audits = st.by_kind.get(AUDIT)
    if audits:
        f = hub.entry(int(audits[-1])).body.named_fields()
        end, cycle = f.get("end"), f.get("cycle")
        if isinstance(end, int):
            days = cycle if isinstance(cycle, int) else env_cycle()
            return next_due(end, days, None)
    first = st.times[0] if st.size else None
    return next_due(None, env_cycle(), first)


def audit_page(hub: PortalHub, index: int) -> AuditPage | None:
    """The audit published at ``index`` (recomputed once per worker), or None."""
    with _lock:
        page = _pages.get(index)
        if page is not None:
            _pages.move_to_end(index)
            return page
    e = hub.entry(index)
    if e.body.kind_name != "audit":
        return None
    f = e.body.named_fields()
    start, end, covers = f.get("start"), f.get("end"), f.get("covers")
    if not (isinstance(start, int) and isinstance(end, int) and isinstance(covers, str)):
        return None
    try:
        sizes = {feed: size for feed, (size, _) in parse_covers(covers).items()}
        report = audit_datadir(LogView(hub.datadir), start, end, sizes)
    except (InputError, ValueError):
        return None
    page = AuditPage(e, report, charts(report), digest(report) == f.get("digest"))
    with _lock:
        _pages[index] = page
        while len(_pages) > KEEP:
            _pages.popitem(last=False)
    return page
