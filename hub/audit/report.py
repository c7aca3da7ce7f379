"""An audit's report: its digest, what its ``audit`` entry records, and the readable text.

The digest is SHA-256 over the report as canonical JSON (keys sorted, no spaces, UTF-8):
the report is plain JSON from :func:`hub.audit.fold.audit`, so anyone holding the same
feed prefixes recomputes the same bytes. ``covers`` in the ``audit`` entry is one line per
feed, ``<feed hex> <covered size> <root hex>``, sorted by feed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from hub.errors import InputError

ACK_BUCKETS = ((60, "< 1 min"), (300, "1-5 min"), (900, "5-15 min"), (3600, "15-60 min"))


def day_of(t: int) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d")


def week_of(t: int) -> str:
    """The Monday (UTC) starting the ISO week of ``t``."""
    d = dt.datetime.fromtimestamp(t, dt.UTC).date()
    return (d - dt.timedelta(days=d.weekday())).isoformat()


def canonical(report: dict[str, Any]) -> bytes:
    return json.dumps(report, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(report: dict[str, Any]) -> bytes:
    return hashlib.sha256(canonical(report)).digest()


def covers_text(report: dict[str, Any]) -> str:
    return "\n".join(f"{f['feed']} {f['size']} {f['root']}" for f in report["feeds"])


def parse_covers(text: str) -> dict[str, tuple[int, str]]:
    """``{feed: (size, root hex)}`` from an audit entry's ``covers``; raises InputError."""
    out: dict[str, tuple[int, str]] = {}
    for line in text.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or len(parts[0]) != 64 or not parts[1].isdigit():
            raise InputError(f"covers line {line[:80]!r} is not '<feed> <size> <root>'")
        out[parts[0].lower()] = (int(parts[1]), parts[2].lower())
    return out


def parse_day(text: str, what: str) -> int:
    """A UTC date (YYYY-MM-DD) or date and time (YYYY-MM-DDTHH:MM) as Unix seconds."""
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            return int(dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC).timestamp())
        except ValueError:
            continue
    raise InputError(f"{what} must be a date, YYYY-MM-DD (UTC), got {text[:40]!r}")


def period(start: int, end: int, now: float) -> tuple[int, int]:
    """The period to audit: ``end`` cut at ``now``; raises InputError if nothing is left."""
    if end <= start:
        raise InputError("--to must be after --from")
    if start >= now:
        raise InputError("the period starts in the future: there is nothing to audit yet")
    return start, min(end, int(now))


def when(t: int | None) -> str:
    if t is None:
        return "-"
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def span(seconds: int | None) -> str:
    if seconds is None:
        return "never"
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"


def render_text(
    report: dict[str, Any], names: dict[str, str], gaps: list[dict[str, Any]] | None = None
) -> str:
    """The readable report (what `canopy audit` prints without --json); ``gaps``: the
    feeds covered only in part (:func:`hub.audit.source.incomplete`), said first."""
    p, pa, inc, al = report["period"], report["patrol"], report["incidents"], report["alerts"]
    out = [
        f"Audit {when(p['start'])} to {when(p['end'])}",
        f"digest {digest(report).hex()}",
    ]
    for g in gaps or []:
        name = names.get(g["feed"], g["feed"][:16] + "…")
        out.append(
            f"INCOMPLETE: {name} holds {g['held']} of at least {g['known']} entries (a signed "
            f"checkpoint says so); its figures after {when(g['until'])} are missing"
        )
    if gaps:
        out.append("PARTIAL FIGURES: sync the feeds above, then audit again.")
    out += ["", "Hubs (feeds covered):"]
    for f in report["feeds"]:
        name = names.get(f["feed"], f["feed"][:16] + "…")
        part = " (INCOMPLETE)" if any(g["feed"] == f["feed"] for g in gaps or []) else ""
        out.append(
            f"  {name}: {f['entries']} entries in the period, covered size {f['size']}{part}"
        )
    out += [
        "",
        f"Patrol: {pa['shifts']} shifts, {pa['hours']} hours, {pa['stewards']} stewards",
        "Check-ins per steward: "
        + (", ".join(f"{h} {n}" for h, n in pa["checkins"].items()) or "none"),
        f"Incidents: {inc['total']}"
        + (
            f" (busiest hour {max(range(24), key=lambda h: inc['per_hour'][h]):02d}:00)"
            if inc["total"]
            else ""
        ),
        f"Sealed details: {inc.get('sealed', 0)} written, "
        f"{inc.get('erased', 0)} erased by retention (their keys destroyed)",
        f"Alerts: {al['total']}, {al['acknowledged']} acknowledged; median first ack "
        f"{span(al['median_first_ack'])}, median last ack {span(al['median_last_ack'])}",
    ]
    od = report["overdue"]
    out.append(
        f"Overdue escalations: {od['escalations']}"
        + "".join(f"; {k}: {v}" for k, v in od["outcomes"].items())
    )
    co = report["corrections"]
    out += [
        "",
        f"What we got wrong and changed: {co['total']} corrections, "
        f"{co['retractions']} retractions",
    ]
    for c in co["list"]:
        what = "retracted" if c["retract"] else "corrected"
        out.append(f"  #{c['target']} ({c['target_kind']}) {what} by #{c['index']}: {c['text']}")
    ro = report["roles"]
    out.append("")
    out.append(f"Roles begun: {len(ro['began'])}; ended: {len(ro['ended'])}")
    for r in ro["began"]:
        out.append(f"  + {r['handle']} {r['role']} until {when(r['until'])}")
    for r in ro["ended"]:
        out.append(f"  - {r['handle']} {r['role']} {r['how']} {when(r['time'])}")
    out.append(f"Compact signatures: {report['compact_signatures']}")
    return "\n".join(out) + "\n"


# ------------------------------------------------- summaries the fold's result uses


def median(values: Iterable[int | None]) -> int | None:
    xs = sorted(v for v in values if v is not None)
    if not xs:
        return None
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) // 2


def buckets(values: Iterable[int | None]) -> list[dict[str, Any]]:
    counts = [0] * (len(ACK_BUCKETS) + 2)
    for v in values:
        if v is None:
            counts[-1] += 1
            continue
        i = next((k for k, (top, _) in enumerate(ACK_BUCKETS) if v < top), len(ACK_BUCKETS))
        counts[i] += 1
    labels = [label for _, label in ACK_BUCKETS] + ["over 1 h", "never"]
    return [{"label": lab, "alerts": n} for lab, n in zip(labels, counts, strict=True)]


def tally(items: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for x in items:
        out[x] = out.get(x, 0) + 1
    return dict(sorted(out.items()))
