"""The public patrol log: paged and filtered lists, and one entry with its proofs."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue

from hub.log.entry import BY_NAME, KINDS
from portal.data.hubdata import get_hub
from portal.web.pagecache import cached_page
from portal.web.security import parse_int

bp = Blueprint("log", __name__, url_prefix="/log")

PUBLIC_KINDS = [k.name for k in KINDS if k.public]
PER_PAGE = 25


def parse_filters() -> tuple[str, int | None, str, int | None, int]:
    """``(kind name, kind code, day text, day start, page)`` from the query; 400 if bad."""
    kind = request.args.get("kind", "")
    code: int | None = None
    if kind:
        if kind not in PUBLIC_KINDS:
            abort(400, description="kind")
        code = BY_NAME[kind].code
    day = request.args.get("day", "")
    start: int | None = None
    if day:
        try:
            d = dt.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=dt.UTC)
        except ValueError:
            abort(400, description="day")
        start = int(d.timestamp())
    page_arg = request.args.get("page", "1")
    page = parse_int(page_arg, 1, 999_999)
    if page is None:
        abort(400, description="page")
    return kind, code, day, start, page


@bp.route("")
@cached_page()
def index() -> ResponseReturnValue:
    kind, code, day, start, page = parse_filters()
    hub = get_hub()
    st = hub.state()
    indexes, total = st.page(code, start, page, PER_PAGE)
    if page > 1 and not indexes:
        abort(404)
    entries = hub.entries(indexes)
    corrections = {
        e.index: hub.entries(st.corrections[e.index]) for e in entries if e.index in st.corrections
    }
    return render_template(
        "log.html",
        entries=entries,
        corrections=corrections,
        kinds=PUBLIC_KINDS,
        kind=kind,
        day=day,
        page=page,
        total=total,
        has_next=page * PER_PAGE < total,
        size=st.size,
    )


@bp.route("/<int:index>")
@cached_page()
def entry(index: int) -> ResponseReturnValue:
    hub = get_hub()
    st = hub.state()
    if not 0 <= index < st.size:
        abort(404)
    e = hub.entry(index)
    ok, reason = hub.signature_ok(index)
    corrections = hub.entries(st.corrections.get(index, []))
    retracted = st.mine.retracted.get(index)
    target = e.body.named_fields().get("target") if e.body.kind_name == "correction" else None
    corrected = hub.entry(target) if isinstance(target, int) and 0 <= target < index else None
    return render_template(
        "entry.html",
        e=e,
        sig_ok=ok,
        sig_reason=reason,
        proof=hub.proof(index),
        corrections=corrections,
        retraction=hub.entry(retracted) if retracted is not None else None,
        corrected=corrected,
        feed=hub.identity.feed.hex(),
    )
