"""The read-only JSON API and the health check.

- ``GET /healthz``: ``{"ok", "entries", "daemon", "feed"}``;
- ``GET /api/v1/entries?feed=&kind=&after=&limit=``: entries of one feed (default the
  own; ``feed`` is the 64 hex digits of any feed held here) with index greater than
  ``after`` (default: from the start), oldest first, at most ``limit`` (1-200, default 50);
  ``next_after`` is where to continue, or null at the end;
- ``GET /api/v1/entries/<index>?feed=``: one entry, with its signature status.
"""

from __future__ import annotations

import base64
import bisect
import time
from typing import Any

from flask import Blueprint, abort, jsonify, request
from flask.typing import ResponseReturnValue

from hub.log import BY_NAME, LoggedEntry
from hub.privacy import load_policy, public_json, raw_is_public
from portal.data import get_hub
from portal.pages.log import PUBLIC_KINDS
from portal.web import parse_int

bp = Blueprint("api", __name__)

MAX_LIMIT = 200


def entry_json(e: LoggedEntry) -> dict[str, Any]:
    """What the privacy policy lets the public see (hub.privacy): withheld fields are left
    out, and so are the signed bytes while they hold withheld plain text."""
    now, policy = time.time(), load_policy(get_hub().datadir)
    data = public_json(e, now, policy)
    if raw_is_public(e.body, now, policy):
        data["entry"] = base64.b64encode(e.raw).decode()
    return data


def _int_arg(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name, "")
    if raw == "":
        return default
    value = parse_int(raw, lo, hi)
    if value is None:
        abort(400, description=f"{name} must be an integer from {lo} to {hi}")
    return value


def _feed_arg() -> str:
    """The feed asked for with ``?feed=`` (64 hex digits, held here), else the own."""
    st = get_hub().state()
    raw = request.args.get("feed", "")
    if raw == "":
        return st.hub.own
    if len(raw) != 64 or any(c not in "0123456789abcdef" for c in raw):
        abort(400, description="feed must be 64 lowercase hex digits (a hub's feed key)")
    if not st.held(raw) and raw != st.hub.own:
        abort(404, description=f"this hub holds no feed {raw[:16]}…")
    return raw


@bp.route("/healthz")
def healthz() -> ResponseReturnValue:
    hub = get_hub()
    st = hub.state()
    return jsonify(ok=True, entries=st.size, daemon=hub.daemon_up(), feed=hub.identity.feed.hex())


@bp.route("/api/v1/entries")
def entries() -> ResponseReturnValue:
    hub = get_hub()
    st = hub.state()
    feed = _feed_arg()
    fi = st.indexes.get(feed)
    size = fi.size if fi is not None else 0
    kind = request.args.get("kind", "")
    if kind and kind not in PUBLIC_KINDS:
        abort(400, description="unknown kind")
    after = _int_arg("after", -1, -1, 2**40)
    limit = _int_arg("limit", 50, 1, MAX_LIMIT)
    start = after + 1
    if kind:
        idx = fi.by_kind.get(BY_NAME[kind].code) if fi is not None else None
        lo = bisect.bisect_left(idx, start) if idx else 0
        candidates = list(idx[lo : lo + limit + 1]) if idx else []
    else:
        candidates = list(range(start, min(size, start + limit + 1)))
    page = candidates[:limit]
    more = len(candidates) > limit
    return jsonify(
        entries=[entry_json(e) for e in hub.entries(page, feed)],
        size=size,
        next_after=page[-1] if more and page else None,
    )


@bp.route("/api/v1/entries/<int:index>")
def entry(index: int) -> ResponseReturnValue:
    hub = get_hub()
    feed = _feed_arg()
    if not 0 <= index < hub.state().held(feed):
        abort(404)
    data = entry_json(hub.entry(index, feed))
    ok, reason = hub.signature_ok(index, feed)
    data["signature"] = {"valid": ok, "reason": reason or None}
    return jsonify(data)
