"""The public patrol log: paged and filtered lists, and one entry with its proofs."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue

from hub.log import BY_NAME, KINDS, LoggedEntry
from portal.data import get_hub
from portal.web import cached_page, parse_int

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


def parse_hub() -> tuple[str, str | None]:
    """``(hub text, feed)`` from ``?hub=`` (16 or 64 hex digits of a held feed)."""
    text = request.args.get("hub", "")
    if not text:
        return "", None
    st = get_hub().state()
    if len(text) not in (16, 64) or any(c not in "0123456789abcdef" for c in text):
        abort(400, description="hub")
    feed = st.resolve(text)
    if feed is None:
        abort(404)
    return text, feed


@bp.route("")
@cached_page()
def index() -> ResponseReturnValue:
    kind, code, day, start, page = parse_filters()
    hub_text, feed = parse_hub()
    hub = get_hub()
    st = hub.state()
    if feed is None:
        refs, total = st.page_all(code, start, page, PER_PAGE)
        entries, size = hub.entries_at(refs), len(st.timeline)
    else:
        indexes, total = st.indexes[feed].page(code, start, page, PER_PAGE)
        entries, size = hub.entries(indexes, feed), st.held(feed)
    if page > 1 and not entries:
        abort(404)
    corrections: dict[tuple[str, int], list[LoggedEntry]] = {}
    for e in entries:
        fs = st.hub.feeds.get(e.feed)
        if fs is not None and e.index in fs.corrections:
            corrections[e.feed, e.index] = hub.entries(fs.corrections[e.index], e.feed)
    return render_template(
        "log.html",
        entries=entries,
        corrections=corrections,
        uncounted={(e.feed, e.index) for e in entries if not st.counted(e)},
        kinds=PUBLIC_KINDS,
        kind=kind,
        day=day,
        hubs=[(f[:16], st.hub.hub_name(f)) for f in st.feeds()] if st.hub.peers else [],
        hub=hub_text,
        page=page,
        total=total,
        has_next=page * PER_PAGE < total,
        size=size,
    )


@bp.route("/<int:index>")
@cached_page()
def entry(index: int) -> ResponseReturnValue:
    return _entry_page(get_hub().identity.feed.hex(), index)


@bp.route("/<feed>/<int:index>")
@cached_page()
def feed_entry(feed: str, index: int) -> ResponseReturnValue:
    """An entry of any feed held here (``feed``: its first 16 or all 64 hex digits)."""
    found = get_hub().state().resolve(feed)
    if found is None:
        abort(404)
    return _entry_page(found, index)


def _entry_page(feed: str, index: int) -> str:
    hub = get_hub()
    st = hub.state()
    if not 0 <= index < st.held(feed):
        abort(404)
    e = hub.entry(index, feed)
    ok, reason = hub.signature_ok(index, feed)
    fs = st.hub.feeds.get(feed)
    corrections = hub.entries(fs.corrections.get(index, []) if fs else [], feed)
    retracted = fs.retracted.get(index) if fs else None
    target = e.body.named_fields().get("target") if e.body.kind_name == "correction" else None
    corrected = hub.entry(target, feed) if isinstance(target, int) and 0 <= target < index else None
    return render_template(
        "entry.html",
        e=e,
        sig_ok=ok,
        sig_reason=reason,
        proof=hub.proof(index, feed),
        corrections=corrections,
        retraction=hub.entry(retracted, feed) if retracted is not None else None,
        corrected=corrected,
        feed=feed,
        own=feed == st.hub.own,
        hub_label=st.hub.hub_name(feed),
        counted=st.counted(e),
    )
