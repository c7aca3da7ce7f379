"""The rotation calendar (``/calendar``, ``/calendar.ics``, ``/api/v1/calendar``) and the
charter's versions.

Read from the one state (:class:`hub.state.HubState`): the roster's grants for who holds
what until when, the assembly's votes and terms (:mod:`hub.state.mandates`) for tallies,
history and charter ratifications. No JavaScript; the diff is rendered here, server-side.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import time
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from hub.state import COORDINATOR, STEWARD, HubState, Proposal, Term, vote_json
from portal.data import get_hub
from portal.web import cached_page

bp = Blueprint("calendar", __name__)
DAY = 86_400
YEAR = 365 * DAY


def _today() -> int:
    return int(time.time() // DAY)  # "days left" moves once a day: part of the cache key


@dataclass(frozen=True, slots=True)
class Holder:
    role: str
    handle: str
    since: int
    until: int
    vote: int | None  # the vote that gave it; None: granted at enrolment (before mandates)

    def days_left(self, now: float) -> int:
        return max(0, int((self.until - now) // DAY))


def holders(st: HubState, now: float) -> list[Holder]:
    """Every role but steward held at ``now``, soonest end first."""
    terms: dict[tuple[str, str], Term] = {}
    for t in st.mandates.terms:
        terms[(t.handle, t.role)] = t  # the newest term of each
    out = []
    for m in st.roster.members.values():
        for r in m.roles(now):
            if r["role"] == STEWARD:
                continue
            term = terms.get((m.handle, r["role"]))
            if term is not None and term.until == r["until"]:
                out.append(Holder(r["role"], m.handle, term.since, term.until, term.vote))
            else:
                out.append(Holder(r["role"], m.handle, m.enrolled_at, r["until"], None))
    return sorted(out, key=lambda h: (h.until, h.role, h.handle))


def calendar_data(st: HubState, now: float) -> dict[str, Any]:
    md = st.mandates
    held = holders(st, now)
    past = sorted((t for t in md.terms if t.until <= now), key=lambda t: -t.until)
    votes = md.open_anywhere(now)  # those other hubs opened too: members vote at any hub
    known = {COORDINATOR, *(t.role for t in md.terms)}
    return {
        "now": now,
        "vacant": sorted(known - {h.role for h in held}),
        "holders": held,
        "upcoming": [h for h in held if h.until - now <= 30 * DAY],
        "votes": votes,
        "opened_at": {p.feed: there for p in votes if (there := st.other_hub(p.feed)) is not None},
        "past": past[:100],
    }


@bp.route("/calendar")
@cached_page(extra=_today)
def calendar() -> ResponseReturnValue:
    ls = get_hub().state()
    return render_template("calendar.html", **calendar_data(ls.hub, ls.clock()))


@bp.route("/api/v1/calendar")
def calendar_json() -> ResponseReturnValue:
    """The page's data as JSON, times in Unix seconds (see docs/portal.md)."""
    ls = get_hub().state()
    now = int(ls.clock())  # whole seconds, like every time in it
    data = calendar_data(ls.hub, now)

    def holder(h: Holder) -> dict[str, Any]:
        return {
            "role": h.role,
            "handle": h.handle,
            "since": h.since,
            "until": h.until,
            "days_left": h.days_left(now),
            "vote": h.vote,
        }

    return jsonify(
        now=now,
        holders=[holder(h) for h in data["holders"]],
        vacant=data["vacant"],
        votes=[_vote_json(ls.hub, p, now) for p in data["votes"]],
        past=[
            {"role": t.role, "handle": t.handle, "since": t.since, "until": t.until,
             "vote": t.vote, "feed": t.feed}
            for t in data["past"]
        ],
    )  # fmt: skip


def _vote_json(st: HubState, p: Proposal, now: float) -> dict[str, Any]:
    """As ``canopy mandate list --json`` has it, less who may vote: the page shows a count."""
    data = vote_json(st, p, now)
    del data["voters"]
    data["members"], data["need"] = len(p.voters), p.need()
    return data


def _stamp(t: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, dt.UTC)


def ics(st: HubState, now: float, hub_name: str) -> bytes:
    """RFC 5545: one event per term (current and past) and per open vote."""
    from icalendar import Calendar, Event  # loaded by this page only

    cal = Calendar()
    cal.add("prodid", "-//Canopy//rotation calendar//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{hub_name}: rotation")
    feed = st.own[:16]
    for h in holders(st, now):
        if h.vote is None:
            cal.add_component(_event(Event(), f"grant-{feed}-{h.handle}-{h.role}", h, now))
    for t in st.mandates.terms:
        h = Holder(t.role, t.handle, t.since, t.until, t.vote)
        cal.add_component(_event(Event(), f"term-{t.feed[:16]}-{t.vote}", h, now))
    for p in st.mandates.open_anywhere(now):
        ev = Event()
        ev.add("uid", f"vote-{p.feed[:16]}-{p.index}@canopy")
        ev.add("dtstamp", _stamp(int(now)))
        ev.add("dtstart", _stamp(p.time))
        ev.add("dtend", _stamp(p.closes))
        ev.add("summary", f"Vote #{p.index}: {_subject(p)}")
        ev.add("description", f"{p.tally()}. Members reply VOTE {p.index} YES or NO by radio.")
        cal.add_component(ev)
    data: bytes = cal.to_ical()
    return data


def _subject(p: Proposal) -> str:
    return "charter" if p.what == "charter" else f"{p.handle} as {p.role}"


def _event(ev: Any, uid: str, h: Holder, now: float) -> Any:
    ev.add("uid", f"{uid}@canopy")
    ev.add("dtstamp", _stamp(int(now)))
    ev.add("dtstart", _stamp(h.since))
    ev.add("dtend", _stamp(h.until))
    ev.add("summary", f"{h.handle}: {h.role}")
    how = f"mandate by vote #{h.vote}" if h.vote is not None else "granted at enrolment"
    ev.add("description", f"{h.role} {h.handle}, {how}")
    return ev


@bp.route("/calendar.ics")
def calendar_ics() -> ResponseReturnValue:
    hub = get_hub()
    ls = hub.state()
    body = ics(ls.hub, ls.clock(), hub.identity.name)
    return Response(
        body,
        content_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'inline; filename="rotation.ics"'},
    )


# -- the charter: ratification and versions ---------------------------------------------
def charter_status(st: HubState, now: float) -> dict[str, Any]:
    """When the charter was last ratified by a vote, and whether that is over a year ago."""
    last = st.mandates.last_ratified(st.own)
    return {"ratified": last, "stale": last is None or now - last > YEAR}


@functools.lru_cache(maxsize=32)  # versions never change: a diff is worked out once
def _diff(a: str, b: str) -> list[tuple[str, str]]:
    lines = difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=2)
    out = []
    for line in list(lines)[2:]:  # the ---/+++ header says nothing here
        tag = {"+": "ins", "-": "del", "@": "hunk"}.get(line[:1], "same")
        out.append((tag, line))
    return out


@bp.route("/charter/versions")  # not page-cached: ?a=&b= pick the diff (cached above)
def charter_versions() -> ResponseReturnValue:
    hub = get_hub()
    ls = hub.state()
    st = ls.hub
    fv = st.mandates.feed(st.own)
    versions = [hub.entry(v.index) for v in fv.charters]
    known = {e.index: e for e in versions}
    pick = [request.args.get("a", ""), request.args.get("b", "")]
    diff: list[tuple[str, str]] | None = None
    chosen: list[int] = []
    if all(pick):
        if not all(p.isascii() and p.isdigit() and int(p) in known for p in pick):
            abort(404)
        chosen = [int(p) for p in pick]
        a, b = (str(known[i].body.named_fields().get("text") or "") for i in chosen)
        diff = _diff(a, b)
    return render_template(
        "charter_versions.html",
        versions=list(reversed(versions)),
        diff=diff,
        chosen=chosen,
        ratifications=list(reversed(fv.ratified)),
        status=charter_status(st, ls.clock()),
    )
