"""Public audits: the list, when the next is due, and each audit with figures and charts."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue

from portal.data import audit_page, due, get_hub, published
from portal.web import cached_page

bp = Blueprint("audits", __name__, url_prefix="/audits")


@bp.route("")
@cached_page()
def index() -> ResponseReturnValue:
    hub = get_hub()
    return render_template("audits.html", audits=published(hub), due=due(hub))


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
