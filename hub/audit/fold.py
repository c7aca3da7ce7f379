"""The audit fold: entries of every feed in, the figures of one period out. Pure, no I/O.

Invariants (what makes an audit recomputable by anyone from the exported logs):

- The input is, per feed, a prefix of the feed from entry 0 (the *covered size*); feeds are
  merged in claimed-time order (ties: feed key, then index), which is well defined because
  claimed time never goes backwards within a feed.
- Everything before the period is folded too (who held a role, whose shift was open), but
  only what happened in ``[start, end)`` is counted. Entries at or after ``end`` are not
  looked at, except that the covered size and Merkle root of each feed are reported.
- The result is plain JSON (ints, text, lists, dicts with text keys) and depends on
  nothing but the covered entries and the period, so its SHA-256 over canonical JSON
  (:func:`hub.audit.report.digest`) is the same wherever it is computed.
- People appear by handle only: no node numbers, keys or names.

Speed (a year of five busy hubs is about 370,000 entries): entries arrive as plain tuples
(:data:`Row`) read by position, never as dicts; what a feed says about itself alone
(counts, incidents, alerts and acknowledgements, corrections) is folded feed by feed in
:meth:`AuditFold.local`, and only the rows whose meaning crosses feeds (shifts,
escalations, roles: about a third) go through the time-ordered merge.
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crypto.merkle import leaf_hash, root_from_leaf_hashes
from hub.audit.report import buckets, day_of, median, tally, week_of
from hub.log import FORMAT_VERSION, KINDS, Body, LoggedEntry, kind_name
from hub.state import RETRACT

HOUR = 3600
DAY = 86_400


# A row: one entry as the fold reads it, ``(time, feed, index, body)``, where ``body`` is the
# decoded body array ``[version, kind, time, time_source, author, *fields]`` itself (no
# per-entry dict, no copy of the fields). Ordered as tuples, rows are in the merge order
# (time, then feed key, then index).
Row = tuple[int, str, int, Sequence[Any]]

_K = {k.name: k.code for k in KINDS}
CHECKIN, CHECKOUT, INCIDENT = (_K[n] for n in ("checkin", "checkout", "incident"))
ALERT, ACK, CANCEL, ENROL = (_K[n] for n in ("alert", "ack", "cancel", "enrol"))
REVOKE, COMPACT, CORRECTION = (_K[n] for n in ("revoke", "compact", "correction"))
MANDATE, OVERDUE, OUTCOME = _K["mandate"], _K["overdue"], _K["outcome"]
REPORT, SEALED_NOTE, RETENTION = _K["report"], _K["sealed-note"], _K["retention"]
ENROL_SEALED = _K["enrol-sealed"]
# Kinds whose figures depend on entries of other feeds (a shift may start on one hub and
# end on another): folded in the merged order. Everything else is folded feed by feed.
_ORDERED = frozenset({CHECKIN, CHECKOUT, REVOKE, OVERDUE, ENROL, ENROL_SEALED, MANDATE, OUTCOME})


def _at(body: Sequence[Any], i: int) -> Any:
    """Field ``i`` of a body array (fields follow the 5 header items), or None."""
    return body[i + 5] if i + 5 < len(body) else None


@dataclass(slots=True)
class _Feed:
    size: int = 0  # covered entries
    kinds: bytearray = field(default_factory=bytearray)  # kind code of every entry (< 256)
    counts: dict[int, int] = field(default_factory=dict)  # kind code -> entries in period


@dataclass(slots=True)
class _Shift:
    start: int
    feed: str


class AuditFold:
    """Fold entries (any feeds, in merged time order) into the figures of ``[start, end)``."""

    def __init__(self, start: int, end: int, roots: Mapping[str, bytes]) -> None:
        """``roots``: each feed's Merkle root at its covered size (the caller has the leaf
        hashes: a feed file keeps them, a bundle's entries carry their bytes)."""
        if end <= start:
            raise ValueError("the period must end after it starts")
        self.start, self.end = start, end
        self.roots = roots
        self.feeds: dict[str, _Feed] = {}
        self.open: dict[str, _Shift] = {}
        self.shifts: list[dict[str, Any]] = []
        self.checkins: dict[str, int] = {}
        self.incidents_day: dict[int, int] = {}  # day number -> incidents
        self.incidents_hour = [0] * 24
        self.alerts: dict[tuple[str, int], dict[str, Any]] = {}
        self.escalations: list[dict[str, Any]] = []
        self._pending: dict[str, dict[str, Any]] = {}  # handle -> escalation awaiting its end
        self.corrections: list[dict[str, Any]] = []
        self.grants: list[tuple[int, str, str, int, str, int]] = []  # time, handle, role, …
        self.revokes: list[tuple[int, str]] = []
        self.began: list[dict[str, Any]] = []
        self.sealed = 0  # sealed details written in the period (reports, sealed notes)
        self.erased = 0  # keys of sealed details destroyed by retention in the period

    def _in(self, t: int) -> bool:
        return self.start <= t < self.end

    def local(self, feed: str, rows: Iterable[Row]) -> Iterator[Row]:
        """Fold what one feed's rows say about that feed alone (sizes, counts, incidents,
        alerts and their acknowledgements, corrections) and pass on, in feed order, the
        rows whose meaning depends on other feeds (shifts, escalations, roles) for
        :meth:`apply` in the merged order. Rows must come in order from index 0."""
        start, end, fs = self.start, self.end, _Feed()
        kinds, counts, n = fs.kinds, fs.counts, 0
        for row in rows:
            t, _, index, f = row
            kind = f[1]
            if index != n:
                raise ValueError(f"feed {feed[:16]}… skips from {n} to entry {index}")
            if not n:
                self.feeds[feed] = fs  # a feed with no entries is not reported
            n = fs.size = n + 1
            kinds.append(kind if kind < 256 else 0)
            if t >= end:
                continue  # covered (the Merkle root includes it) but after the period
            inside = t >= start
            if inside:
                counts[kind] = counts.get(kind, 0) + 1
            if kind in _ORDERED:
                if inside or kind != OVERDUE:
                    yield row
            elif kind in (ACK, CANCEL):
                a = self.alerts.get((feed, _at(f, 0)))
                if a is not None and a["cancelled"] is None:
                    who = f[4]
                    if kind == ACK and who and who not in a["acks"]:
                        a["acks"][who] = t - a["time"]
                    elif kind == CANCEL:
                        a["cancelled"] = t - a["time"]
            elif not inside:
                continue
            elif kind in (INCIDENT, REPORT):
                if kind == REPORT and isinstance(_at(f, 2), bytes):
                    self.sealed += 1
                day = t // DAY
                self.incidents_day[day] = self.incidents_day.get(day, 0) + 1
                self.incidents_hour[(t % DAY) // HOUR] += 1
            elif kind == SEALED_NOTE:
                self.sealed += 1
            elif kind == RETENTION:
                erased = _at(f, 1)
                self.erased += erased if isinstance(erased, int) and erased > 0 else 0
            elif kind == ALERT:
                text = _at(f, 0)
                self.alerts[(feed, index)] = {
                    "feed": feed,
                    "index": index,
                    "time": t,
                    "text": text if isinstance(text, str) else "",
                    "acks": {},
                    "cancelled": None,
                }
            elif kind == CORRECTION:
                target, text = _at(f, 0), _at(f, 1)
                known = isinstance(target, int) and 0 <= target < index
                tk = kind_name(fs.kinds[target]) if known and isinstance(target, int) else None
                self.corrections.append(
                    {
                        "feed": feed,
                        "index": index,
                        "time": t,
                        "author": f[4],
                        "target": target,
                        "target_kind": tk,
                        "retract": _at(f, 2) == RETRACT,
                        "text": text if isinstance(text, str) else "",
                    }
                )

    def apply(self, row: Row) -> None:
        """Fold a row :meth:`local` passed on; rows of all feeds in the merged order."""
        t, feed, index, f = row
        kind, who = f[1], f[4]
        inside = t >= self.start
        if kind == CHECKIN:
            if who:
                if inside:
                    self.checkins[who] = self.checkins.get(who, 0) + 1
                if who not in self.open:
                    self.open[who] = _Shift(t, feed)
                self._settle(who, t, "checked in again")
        elif kind in (CHECKOUT, REVOKE):
            handle = who if kind == CHECKOUT else _at(f, 0)
            if isinstance(handle, str) and handle:
                self._end_shift(handle, t)
                self._settle(handle, t, "checked out" if kind == CHECKOUT else "revoked")
                if kind == REVOKE:
                    self.revokes.append((t, handle))
        elif kind == OVERDUE:
            handle = _at(f, 0)
            if _at(f, 1) == "escalated" and isinstance(handle, str):
                rec = {"feed": feed, "index": index, "handle": handle, "time": t}
                rec.update(outcome="still open at the end of the period", after=None)
                self.escalations.append(rec)
                self._pending[handle] = rec
        else:  # enrol, enrol-sealed, mandate, outcome (a carried vote grants the role)
            if kind == OUTCOME:
                if _at(f, 1) != 1:
                    return
                handle, role, until = _at(f, 4), _at(f, 5), _at(f, 6)
            else:
                handle, role, until = _at(f, 0), _at(f, 1), _at(f, 2)
            if isinstance(handle, str) and isinstance(role, str) and isinstance(until, int):
                self.grants.append((t, handle, role, until, feed, index))
                if inside:
                    how = "enrol" if kind in (ENROL, ENROL_SEALED) else "mandate"
                    self.began.append(
                        {"handle": handle, "role": role, "until": until, "time": t, "how": how}
                    )

    def _end_shift(self, handle: str, t: int) -> None:
        s = self.open.pop(handle, None)
        if s is not None:
            self._count_shift(handle, s, t, "checked out")

    def _count_shift(self, handle: str, s: _Shift, stop: int, how: str) -> None:
        if not self._in(s.start):
            return  # a shift belongs to the period it starts in
        seconds = max(0, min(stop, self.end) - s.start)
        self.shifts.append(
            {"handle": handle, "feed": s.feed, "start": s.start, "seconds": seconds, "end": how}
        )

    def _settle(self, handle: str, t: int, outcome: str) -> None:
        rec = self._pending.pop(handle, None)
        if rec is not None:
            rec["outcome"], rec["after"] = outcome, t - rec["time"]

    # ------------------------------------------------------------------ results

    def result(self) -> dict[str, Any]:
        """Every figure of the period, as plain JSON (see the module docstring)."""
        for handle, s in sorted(self.open.items()):
            self._count_shift(handle, s, self.end, "open at the end of the period")
        shifts = sorted(self.shifts, key=lambda s: (s["start"], s["handle"]))
        per_week: dict[str, list[int]] = {}
        for sh in shifts:
            w = per_week.setdefault(week_of(sh["start"]), [0, 0])
            w[0] += 1
            w[1] += sh["seconds"]
        alerts = [self._alert(a) for a in sorted(self.alerts.values(), key=_by_time)]
        self.corrections.sort(key=_by_time)  # folded feed by feed: the merged order
        corr_week: dict[str, list[int]] = {}
        for c in self.corrections:
            w = corr_week.setdefault(week_of(c["time"]), [0, 0])
            w[1 if c["retract"] else 0] += 1
        hours = sum(sh["seconds"] for sh in shifts)
        return {
            "period": {"start": self.start, "end": self.end},
            "feeds": [self._feed(k, v) for k, v in sorted(self.feeds.items())],
            "patrol": {
                "shifts": len(shifts),
                "hours": round(hours / HOUR, 2),
                "per_week": [
                    {"week": w, "shifts": n, "hours": round(s / HOUR, 2)}
                    for w, (n, s) in sorted(per_week.items())
                ],
                "checkins": dict(sorted(self.checkins.items())),
                "stewards": len({sh["handle"] for sh in shifts}),
            },
            "incidents": {
                "total": sum(self.incidents_day.values()),
                "per_day": {day_of(d * DAY): n for d, n in sorted(self.incidents_day.items())},
                "per_hour": list(self.incidents_hour),
                "sealed": self.sealed,
                "erased": self.erased,
            },
            "alerts": {
                "total": len(alerts),
                "acknowledged": sum(1 for a in alerts if a["acks"]),
                "median_first_ack": median([a["first_ack"] for a in alerts]),
                "median_last_ack": median([a["last_ack"] for a in alerts]),
                "first_ack_buckets": buckets([a["first_ack"] for a in alerts]),
                "list": alerts,
            },
            "overdue": {
                "escalations": len(self.escalations),
                "outcomes": tally(r["outcome"] for r in self.escalations),
                "list": self.escalations,
            },
            "corrections": {
                "total": len(self.corrections),
                "retractions": sum(1 for c in self.corrections if c["retract"]),
                "per_week": [
                    {"week": w, "corrections": c, "retractions": r}
                    for w, (c, r) in sorted(corr_week.items())
                ],
                "list": self.corrections,
            },
            "roles": {"began": self.began, "ended": self._ended()},
            "compact_signatures": sum(v.counts.get(COMPACT, 0) for v in self.feeds.values()),
            "entries": sum(sum(v.counts.values()) for v in self.feeds.values()),
        }

    def _feed(self, feed: str, fs: _Feed) -> dict[str, Any]:
        by_kind: dict[str, int] = {}
        for code, n in fs.counts.items():
            name = kind_name(code)
            by_kind[name] = by_kind.get(name, 0) + n
        return {
            "feed": feed,
            "size": fs.size,
            "root": self.roots[feed].hex(),
            "entries": sum(fs.counts.values()),
            "by_kind": dict(sorted(by_kind.items())),
        }

    def _alert(self, a: dict[str, Any]) -> dict[str, Any]:
        acks: dict[str, int] = a["acks"]
        return {
            "feed": a["feed"],
            "index": a["index"],
            "time": a["time"],
            "text": a["text"],
            "acks": len(acks),
            "first_ack": min(acks.values()) if acks else None,
            "last_ack": max(acks.values()) if acks else None,
            "cancelled_after": a["cancelled"],
        }

    def _ended(self) -> list[dict[str, Any]]:
        """Roles whose term ran out, or that were revoked, within the period."""
        by_role: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for t, handle, role, until, _feed, _index in self.grants:
            by_role.setdefault((handle, role), []).append((t, until))
        revokes: dict[str, list[int]] = {}
        for t, handle in self.revokes:
            revokes.setdefault(handle, []).append(t)
        out: list[dict[str, Any]] = []
        for (handle, role), grants in sorted(by_role.items()):
            grants.sort()
            for i, (t, until) in enumerate(grants):
                nxt = grants[i + 1][0] if i + 1 < len(grants) else None
                cut = [r for r in revokes.get(handle, []) if t <= r < until]
                end, how = (min(cut), "revoked") if cut else (until, "term ended")
                if nxt is not None and nxt <= end:
                    continue  # renewed (or re-granted) before it ended
                if self._in(end):
                    out.append({"handle": handle, "role": role, "time": end, "how": how})
        return sorted(out, key=lambda r: (r["time"], r["handle"], r["role"]))


def _by_time(a: dict[str, Any]) -> tuple[int, str, int]:
    return a["time"], a["feed"], a["index"]


def _array(b: Body) -> list[Any]:
    return [FORMAT_VERSION, b.kind, b.time, int(b.time_source), b.author, *b.fields]


def merged(feeds: Iterable[Iterable[Row]]) -> Iterator[Row]:
    """The rows of every feed in claimed-time order (ties: feed key, then index).

    Rows compare as tuples, and (feed, index) is unique, so no key function is needed.
    """
    return heapq.merge(*feeds)


def audit_rows(
    feeds: Mapping[str, Iterable[Row]], start: int, end: int, roots: Mapping[str, bytes]
) -> dict[str, Any]:
    """The figures of ``[start, end)`` over rows (each feed a prefix from entry 0), with
    each feed's Merkle root at its covered size given by the caller."""
    fold = AuditFold(start, end, roots)
    apply = fold.apply
    # A year is ~370,000 short-lived tuples and no reference cycles: the cyclic collector
    # would only rescan whatever else the process holds (in a portal worker, the app).
    was_on = gc.isenabled()
    gc.disable()
    try:
        for row in merged(fold.local(f, rows) for f, rows in sorted(feeds.items())):
            apply(row)
        return fold.result()
    finally:
        if was_on:
            gc.enable()


def audit(feeds: Mapping[str, Iterable[LoggedEntry]], start: int, end: int) -> dict[str, Any]:
    """The figures of ``[start, end)`` over decoded entries (each feed a prefix from entry
    0); the Merkle roots are computed from the entries' bytes."""
    roots: dict[str, bytes] = {}
    rows: dict[str, list[Row]] = {}
    for feed, entries in feeds.items():
        es = list(entries)
        roots[feed] = root_from_leaf_hashes([leaf_hash(e.raw) for e in es])
        rows[feed] = [(e.body.time, feed, e.index, _array(e.body)) for e in es]
    return audit_rows(rows, start, end, roots)
