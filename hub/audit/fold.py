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
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from crypto.merkle import CompactRange, leaf_hash
from hub.log import LoggedEntry, kind_name
from hub.state import RETRACT

HOUR = 3600
DAY = 86_400
ACK_BUCKETS = ((60, "< 1 min"), (300, "1-5 min"), (900, "5-15 min"), (3600, "15-60 min"))


def day_of(t: int) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d")


def week_of(t: int) -> str:
    """The Monday (UTC) starting the ISO week of ``t``."""
    d = dt.datetime.fromtimestamp(t, dt.UTC).date()
    return (d - dt.timedelta(days=d.weekday())).isoformat()


@dataclass(slots=True)
class _Feed:
    size: int = 0  # covered entries
    tree: CompactRange = field(default_factory=CompactRange)  # O(log n): a year fits a Pi
    kinds: bytearray = field(default_factory=bytearray)  # kind code of every entry (< 256)
    counts: dict[str, int] = field(default_factory=dict)  # kind name -> entries in period


@dataclass(slots=True)
class _Shift:
    start: int
    feed: str


class AuditFold:
    """Fold entries (any feeds, in merged time order) into the figures of ``[start, end)``."""

    def __init__(self, start: int, end: int, roots: Mapping[str, bytes] | None = None) -> None:
        """``roots``: each feed's Merkle root at its covered size, when the caller already
        has the leaf hashes (a feed file keeps them); otherwise they are computed here."""
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
        self.audits: list[dict[str, Any]] = []
        self.sealed = 0  # sealed details written in the period (reports, sealed notes)
        self.erased = 0  # keys of sealed details destroyed by retention in the period

    def _in(self, t: int) -> bool:
        return self.start <= t < self.end

    def apply(self, e: LoggedEntry) -> None:
        """Fold one entry; entries of a feed must come in order from index 0."""
        fs = self.feeds.setdefault(e.feed, _Feed())
        if e.index != fs.size:
            raise ValueError(f"feed {e.feed[:16]}… skips from {fs.size} to entry {e.index}")
        b = e.body
        fs.size += 1
        if self.roots is None:
            fs.tree.append(leaf_hash(e.raw))
        fs.kinds.append(b.kind if b.kind < 256 else 0)
        t, name, who = b.time, b.kind_name, b.author
        inside = self.start <= t < self.end
        if t >= self.end:
            return  # covered (the Merkle root includes it) but after the period
        if inside:
            fs.counts[name] = fs.counts.get(name, 0) + 1
        if name in _COUNTED_ONLY or (not inside and name in _PERIOD_ONLY):
            return
        f = b.named_fields()
        if name == "checkin" and who:
            if inside:
                self.checkins[who] = self.checkins.get(who, 0) + 1
            if who not in self.open:
                self.open[who] = _Shift(t, e.feed)
            self._settle(who, t, "checked in again")
        elif name in ("checkout", "revoke"):
            handle = who if name == "checkout" else f.get("handle")
            if isinstance(handle, str) and handle:
                self._end_shift(handle, t)
                self._settle(handle, t, "checked out" if name == "checkout" else "revoked")
                if name == "revoke":
                    self.revokes.append((t, handle))
        elif name == "retention" and inside:
            n = f.get("erased")
            self.erased += n if isinstance(n, int) and n > 0 else 0
        elif name in ("incident", "report", "sealed-note") and inside:
            if isinstance(f.get("sid"), bytes):
                self.sealed += 1
            if name == "sealed-note":
                return
            day = t // DAY
            self.incidents_day[day] = self.incidents_day.get(day, 0) + 1
            self.incidents_hour[(t % DAY) // HOUR] += 1
        elif name == "alert" and inside:
            self.alerts[(e.feed, e.index)] = {
                "feed": e.feed,
                "index": e.index,
                "time": t,
                "text": f.get("text") if isinstance(f.get("text"), str) else "",
                "acks": {},
                "cancelled": None,
            }
        elif name in ("ack", "cancel"):
            a = self.alerts.get((e.feed, f.get("alert")))  # type: ignore[arg-type]
            if a is not None and a["cancelled"] is None:
                if name == "ack" and who and who not in a["acks"]:
                    a["acks"][who] = t - a["time"]
                elif name == "cancel":
                    a["cancelled"] = t - a["time"]
        elif name == "overdue" and inside and f.get("stage") == "escalated":
            handle = f.get("handle")
            if isinstance(handle, str):
                rec = {"feed": e.feed, "index": e.index, "handle": handle, "time": t}
                rec.update(outcome="still open at the end of the period", after=None)
                self.escalations.append(rec)
                self._pending[handle] = rec
        elif name == "correction" and inside:
            target = f.get("target")
            known = isinstance(target, int) and 0 <= target < e.index
            tk = _kind_name(fs.kinds[target]) if known and isinstance(target, int) else None
            self.corrections.append(
                {
                    "feed": e.feed,
                    "index": e.index,
                    "time": t,
                    "author": who,
                    "target": target,
                    "target_kind": tk,
                    "retract": f.get("retract") == RETRACT,
                    "text": f.get("text") if isinstance(f.get("text"), str) else "",
                }
            )
        elif name == "audit" and inside:
            self.audits.append({"feed": e.feed, "index": e.index, "time": t})
        if name in ("enrol", "mandate", "enrol-sealed"):
            handle, role, until = f.get("handle"), f.get("role"), f.get("until")
            if isinstance(handle, str) and isinstance(role, str) and isinstance(until, int):
                self.grants.append((t, handle, role, until, e.feed, e.index))
                if inside:
                    self.began.append(
                        {"handle": handle, "role": role, "until": until, "time": t, "how": name}
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
                "median_first_ack": _median([a["first_ack"] for a in alerts]),
                "median_last_ack": _median([a["last_ack"] for a in alerts]),
                "first_ack_buckets": _buckets([a["first_ack"] for a in alerts]),
                "list": alerts,
            },
            "overdue": {
                "escalations": len(self.escalations),
                "outcomes": _tally(r["outcome"] for r in self.escalations),
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
            "compact_signatures": sum(v.counts.get("compact", 0) for v in self.feeds.values()),
            "entries": sum(sum(v.counts.values()) for v in self.feeds.values()),
        }

    def _feed(self, feed: str, fs: _Feed) -> dict[str, Any]:
        return {
            "feed": feed,
            "size": fs.size,
            "root": (fs.tree.root() if self.roots is None else self.roots[feed]).hex(),
            "entries": sum(fs.counts.values()),
            "by_kind": dict(sorted(fs.counts.items())),
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


_COUNTED_ONLY = frozenset({"note", "compact", "charter", "protocol", "vow", "kind-0"})
_PERIOD_ONLY = frozenset(
    {"incident", "report", "sealed-note", "retention", "alert", "overdue", "correction", "audit"}
)


def _kind_name(code: int) -> str:
    return kind_name(code)


def _by_time(a: dict[str, Any]) -> tuple[int, str, int]:
    return a["time"], a["feed"], a["index"]


def _median(values: Iterable[int | None]) -> int | None:
    xs = sorted(v for v in values if v is not None)
    if not xs:
        return None
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) // 2


def _buckets(values: Iterable[int | None]) -> list[dict[str, Any]]:
    counts = [0] * (len(ACK_BUCKETS) + 2)
    for v in values:
        if v is None:
            counts[-1] += 1
            continue
        i = next((k for k, (top, _) in enumerate(ACK_BUCKETS) if v < top), len(ACK_BUCKETS))
        counts[i] += 1
    labels = [label for _, label in ACK_BUCKETS] + ["over 1 h", "never"]
    return [{"label": lab, "alerts": n} for lab, n in zip(labels, counts, strict=True)]


def _tally(items: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for x in items:
        out[x] = out.get(x, 0) + 1
    return dict(sorted(out.items()))


def merged(feeds: Mapping[str, Iterable[LoggedEntry]]) -> Iterator[LoggedEntry]:
    """The entries of every feed in claimed-time order (ties: feed key, then index)."""
    return heapq.merge(
        *(iter(entries) for _, entries in sorted(feeds.items())),
        key=lambda e: (e.body.time, e.feed, e.index),
    )


def audit(
    feeds: Mapping[str, Iterable[LoggedEntry]],
    start: int,
    end: int,
    roots: Mapping[str, bytes] | None = None,
) -> dict[str, Any]:
    """The figures of ``[start, end)`` over ``feeds`` (each a prefix from entry 0)."""
    fold = AuditFold(start, end, roots)
    for e in merged(feeds):
        fold.apply(e)
    return fold.result()
