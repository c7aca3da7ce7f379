"""The neighbourhood's hubs: this one and every hub it federates (or federated) with.

- ``/hubs``: each hub's name, feed, whether it is federated now, entries held here;
- ``/hubs/<feed>``: one hub (``feed``: the first 16 or all 64 hex digits of its feed key):
  its entries, its newest checkpoint with the cosignatures held for it, who witnessed it,
  and the downloads to verify it. This hub's own checkpoint comes from the daemon (as on
  ``/verify``); another hub's is the newest one its replica here matches;
- ``/hubs/<feed>/entries?size=N`` and ``/hubs/<feed>/vkey``: a replica's exact stored
  bytes (an RFC 8742 CBOR sequence from index 0) and a verifier key built from this hub's
  ``peer`` entry for it (the feed key it federated with, named like that hub's checkpoints).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue

from crypto.keys import PublicKey
from crypto.note import Verifier
from hub.local import origin_for
from hub.log import Checkpoints
from hub.witness import cosigned_note
from portal.data import LogState, PortalWriteError, WritesPaused, get_hub
from portal.pages.verify import download, stream_entries
from portal.web import cached_page, parse_int

bp = Blueprint("hubs", __name__, url_prefix="/hubs")


def _about(st: LogState, feed: str) -> dict[str, Any]:
    peer = st.hub.peers.get(feed)
    return {
        "feed": feed,
        "short": feed[:16],
        "name": st.hub.hub_name(feed),
        "own": feed == st.hub.own,
        "peer": peer,
        "held": st.held(feed),
        "counting": st.counting.get(feed, 0),
        "fork": st.hub.forks.get(feed),
        "unreadable": st.unreadable.get(feed),
    }


def _feed(name: str) -> tuple[LogState, str]:
    st = get_hub().state()
    feed = st.resolve(name)
    if feed is None:
        abort(404)
    return st, feed


def derived_vkey(st: LogState, feed: str) -> str:
    """A verifier key for a replica from the ``peer`` entry: its key is exactly the feed key
    federated with; its name follows ``canopy/<name>/<feed>`` from the name given there."""
    peer = st.hub.peers.get(feed)
    key = PublicKey.from_hex(feed)
    return Verifier(origin_for(peer.name if peer else feed[:8], key), key).to_string()


@bp.route("")
@cached_page()
def index() -> ResponseReturnValue:
    st = get_hub().state()
    known = [st.hub.own, *(f for f in st.hub.peers if f != st.hub.own)]
    return render_template("hubs.html", hubs=[_about(st, f) for f in known])


@bp.route("/<feed>")
def hub(feed: str) -> ResponseReturnValue:
    st, feed = _feed(feed)
    about = _about(st, feed)
    note, size, problem = "", 0, None
    if about["own"]:
        try:
            note, size = get_hub().checkpoint()
        except WritesPaused:
            problem = "paused"
        except PortalWriteError as e:
            problem = str(e)
    hub_ = get_hub()
    if not about["own"]:  # another hub's newest checkpoint the replica matches, cosigned
        found = Checkpoints(hub_.datadir).matching(feed, hub_.view.reader(feed).leaves)
        if found is not None:
            note, size = cosigned_note(hub_.datadir, feed, found[1]), found[0].size
    latest = hub_.entries(list(range(about["held"] - 1, max(-1, about["held"] - 6), -1)), feed)
    return render_template(
        "hub.html",
        h=about,
        note=note,
        size=size,
        problem=problem,
        vkey=hub_.identity.verifier.to_string() if about["own"] else derived_vkey(st, feed),
        latest=latest,
    )


@bp.route("/<feed>/entries")
def entries(feed: str) -> ResponseReturnValue:
    st, feed = _feed(feed)
    available = st.held(feed)
    raw = request.args.get("size", "")
    size = available if raw == "" else parse_int(raw, 0, available)
    if size is None:
        abort(400, description="size")
    return download(
        stream_entries(get_hub(), size, feed), f"{feed}.entries", "application/cbor-seq"
    )


@bp.route("/<feed>/vkey")
def vkey(feed: str) -> ResponseReturnValue:
    st, feed = _feed(feed)
    text = get_hub().identity.verifier.to_string() if feed == st.hub.own else derived_vkey(st, feed)
    return download((text + "\n").encode(), f"{feed}.vkey", "text/plain; charset=utf-8")
