"""Public audits: the list, when the next is due, and each audit with figures and charts."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue

from portal.data.audits import audit_page, due, published
from portal.data.hubdata import get_hub
from portal.web.pagecache import cached_page

bp = Blueprint("audits", __name__, url_prefix="/audits")


@bp.route("")
@cached_page()
def index() -> ResponseReturnValue:
    hub = get_hub()
    return render_template("audits.html", audits=published(hub), due=due(hub))


@bp.route("/<int:index>")
@cached_page()
def show(index: int) -> ResponseReturnValue:
    hub = get_hub()
    if not 0 <= index < hub.state().size:
        abort(404)
    page = audit_page(hub, index)
    if page is None:
        abort(404)
    originals = {}
    own = hub.identity.feed.hex()
    for c in page.report["corrections"]["list"]:
        t = c["target"]
        if c["feed"] == own and isinstance(t, int) and 0 <= t < c["index"]:
            originals[t] = hub.entry(t)
    return render_template("audit.html", p=page, r=page.report, originals=originals, own=own)
