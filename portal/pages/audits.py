"""Public audits: the list, when the next is due, and each audit with figures and charts."""

from __future__ import annotations

import datetime as dt
import time

from flask import Blueprint, Response, abort, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from portal.data import audit_page, due, get_hub, published
from portal.web import cached_page

bp = Blueprint("audits", __name__, url_prefix="/audits")


@bp.route("")
@cached_page()
def index() -> ResponseReturnValue:
    hub = get_hub()
    return render_template("audits.html", audits=published(hub), due=due(hub))


@bp.route("/next.ics")
def next_ics() -> ResponseReturnValue:
    """The next public audit as an iCalendar event (RFC 5545), for stewards' calendars."""
    hub = get_hub()
    when = due(hub)
    if when is None:
        return Response("no public audit is due yet\n", 404, content_type="text/plain")
    day = dt.datetime.fromtimestamp(when, dt.UTC).date()
    stamp = dt.datetime.fromtimestamp(time.time(), dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    summary = gettext("Public audit of the neighbourhood safety network")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Canopy//public audits//EN",
        "BEGIN:VEVENT",
        f"UID:audit-{day:%Y%m%d}-{hub.datadir.root.name}@canopy.invalid",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
        f"DTEND;VALUE=DATE:{day + dt.timedelta(days=1):%Y%m%d}",
        "SUMMARY:" + "".join("\\" + c if c in ",;\\" else c for c in summary),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return Response(
        "\r\n".join(lines) + "\r\n",
        content_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="canopy-next-audit.ics"'},
    )


SHOWN = 40  # corrections, alerts and roles on the audit's page; the rest one click away


@bp.route("/<int:index>")
@cached_page()
def show(index: int) -> ResponseReturnValue:
    return _render(index, full=False)


@bp.route("/<int:index>/corrections")
@cached_page()
def corrections(index: int) -> ResponseReturnValue:
    """Every correction and retraction of the period (the audit page shows the first)."""
    return _render(index, full=True)


def _render(index: int, full: bool) -> ResponseReturnValue:
    hub = get_hub()
    if not 0 <= index < hub.state().size:
        abort(404)
    page = audit_page(hub, index)
    if page is None:
        abort(404)
    shown = page.report["corrections"]["list"][: None if full else SHOWN]
    originals = {}
    own = hub.identity.feed.hex()
    for c in shown:
        t = c["target"]
        if c["feed"] == own and isinstance(t, int) and 0 <= t < c["index"]:
            originals[t] = hub.entry(t)
    return render_template(
        "audit.html",
        p=page,
        r=page.report,
        corrections=shown,
        originals=originals,
        own=own,
        full=full,
        shown=SHOWN,
    )
