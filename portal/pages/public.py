"""The public pages: home, alerts, charter, protocols, partners and the compact."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request
from flask.typing import ResponseReturnValue

from hub.errors import InputError
from hub.log import clean_text
from hub.state import clean_compact_name
from portal.data import PortalWriteError, WritesPaused, cosigned_text, get_hub, witness_stamp
from portal.pages.calendar import charter_status
from portal.pages.captive import is_online
from portal.web import cached_page, guard_post, parse_int, url

bp = Blueprint("public", __name__)


@bp.route("/checkpoint")
def checkpoint() -> ResponseReturnValue:
    """This hub's newest cosigned checkpoint note, as text (docs/witness.md)."""
    try:
        text = cosigned_text()
    except PortalWriteError as e:
        return Response(f"no checkpoint available: {e}\n", 503, mimetype="text/plain")
    return Response(text, mimetype="text/plain", headers={"Cache-Control": "no-cache"})


def _home_key() -> tuple[bool, int]:
    return is_online(), witness_stamp()


@bp.route("/")
@cached_page(extra=_home_key)
def home() -> ResponseReturnValue:
    hub = get_hub()
    st = hub.state()
    latest = hub.entries_at(st.page_all(None, None, 1, 5)[0])
    duty = hub.entries_at(st.on_duty())
    alerts = [(a, hub.entry(a.index, feed)) for feed, a in st.alerts(active=True)[:10]]
    vow_index = st.vows.get(hub.identity.name)
    return render_template(
        "home.html",
        latest=latest,
        duty=duty,
        alerts=alerts,
        vow=hub.entry(vow_index) if vow_index is not None else None,
        vow_html=hub.markdown(vow_index) if vow_index is not None else "",
        compact_count=st.compact_count,
        online=is_online(),
        welcome=request.args.get("welcome") == "1",
    )


@bp.route("/alerts")
@cached_page()
def alerts() -> ResponseReturnValue:
    hub = get_hub()
    st = hub.state()
    active = [(a, hub.entry(a.index, feed)) for feed, a in st.alerts(active=True)]
    past = [
        (a, hub.entry(a.index, feed), hub.entry(a.cancel_index, feed))
        for feed, a in st.alerts(active=False)[:50]
        if a.cancel_index is not None
    ]
    return render_template("alerts.html", active=active, past=past)


@bp.route("/charter")
@cached_page()
def charter() -> ResponseReturnValue:
    hub = get_hub()
    st = hub.state()
    i = st.charter
    return render_template(
        "charter.html",
        entry=hub.entry(i) if i is not None else None,
        html=hub.markdown(i) if i is not None else "",
        status=charter_status(st.hub, st.clock()),
    )


@bp.route("/protocols")
@cached_page()
def protocols() -> ResponseReturnValue:
    hub = get_hub()
    st = hub.state()
    items = [(slug, hub.entry(i), hub.markdown(i)) for slug, i in sorted(st.protocols.items())]
    return render_template("protocols.html", items=items)


@bp.route("/partners")
@cached_page()
def partners() -> ResponseReturnValue:
    hub = get_hub()
    st = hub.state()
    items = [
        (name, hub.entry(i), hub.markdown(i))
        for name, i in sorted(st.vows.items(), key=lambda kv: kv[0].casefold())
    ]
    return render_template("partners.html", items=items, own=hub.identity.name)


def _compact_page(status: int = 200, **extra: object) -> ResponseReturnValue:
    hub = get_hub()
    st = hub.state()
    recent = hub.entries(list(reversed(st.compact_recent)))
    extra.setdefault("paused", not hub.daemon_up())
    extra.setdefault("signed", None)
    text = st.protocols.get("compact")  # a protocol with slug "compact" replaces the default
    extra["text_html"] = hub.markdown(text) if text is not None else ""
    return (
        render_template("compact.html", count=st.compact_count, recent=recent, **extra),
        status,
    )


@bp.route("/compact")
def compact() -> ResponseReturnValue:
    signed = request.args.get("signed", "")
    return _compact_page(signed=parse_int(signed, 0, 2**40))


@bp.route("/compact", methods=["POST"])
def compact_sign() -> ResponseReturnValue:
    guard_post()
    name = " ".join(request.form.get("name", "").split())
    try:
        name = clean_text(name, name="name")  # NFC; no invisible or control characters
        clean_compact_name(name)
    except InputError:  # shown back without what made it refused (controls, NUL, …)
        shown = "".join(c for c in name if c.isprintable())
        return _compact_page(400, error="name", name=shown)
    try:
        res = get_hub().request("compact_sign", name=name or None)
    except WritesPaused:
        return _compact_page(503, paused=True, name=name)
    except PortalWriteError as e:
        return _compact_page(e.status, error="refused", reason=str(e), name=name)
    index = res.get("index")
    if not isinstance(index, int):
        abort(502)
    return redirect(url("public.compact", signed=index), code=303)
