"""Publishing an audit: a signed ``audit`` entry with the period, what it covers and a digest.

The figures are computed outside the daemon's loop (by `canopy audit`, from the feed files);
the op checks the claim's shape and that every feed it covers is one this hub holds, with
at least that many entries, then signs it.
"""

from __future__ import annotations

from typing import Any

from hub.audit import check_cycle, cycle_setting, parse_covers
from hub.daemon.core import HubCore
from hub.daemon.ops.base import Op, int_arg, registrar
from hub.errors import InputError
from hub.log import FieldValue, LogView

OPS: dict[str, Op] = {}
op = registrar(OPS)


@op("audit_publish")
def audit_publish(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    start, end = int_arg(args, "start"), int_arg(args, "end")
    if start is None or end is None or not 0 <= start < end:
        raise InputError("an audit needs a period: start before end")
    if end > core.clock() + 60:
        raise InputError("an audit cannot cover the future")
    covers = args.get("covers")
    if not isinstance(covers, str):
        raise InputError("covers must be text")
    sizes = parse_covers(covers)
    if core.log.feed_hex not in sizes:
        raise InputError("an audit covers at least this hub's own feed")
    view = LogView(core.datadir)
    for feed, (size, _root) in sizes.items():
        if len(view.reader(feed)) < size:
            raise InputError(f"feed {feed[:16]}… has fewer than {size} entries")
    raw = args.get("digest")
    try:
        digest = bytes.fromhex(raw) if isinstance(raw, str) else b""
    except ValueError:
        digest = b""
    if len(digest) != 32:
        raise InputError("digest must be 64 hex characters (SHA-256)")
    cycle = check_cycle(int_arg(args, "cycle") or cycle_setting().default)
    fields: dict[str, FieldValue] = {
        "start": start,
        "end": end,
        "covers": covers,
        "digest": digest,
        "cycle": cycle,
    }
    done = core.log.append("audit", fields)
    return {"ok": True, "index": done.index}
