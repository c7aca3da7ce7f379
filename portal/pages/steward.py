"""Steward web check-in, in two steps with no JavaScript and no session.

1. The steward gives their handle; the daemon (op ``webcheckin_start``) sends a one-time
   code by radio to the steward's pinned node.
2. The steward types the code; the daemon (op ``webcheckin_confirm``) checks it and
   appends the signed check-in. The portal only relays: the code is checked by the hub.
"""

from __future__ import annotations

import re

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from hub.errors import InputError
from hub.state import check_handle
from portal.data import PortalWriteError, WritesPaused, get_hub
from portal.web import guard_post

bp = Blueprint("steward", __name__, url_prefix="/steward")

CODE_RE = re.compile(r"^[A-Za-z0-9]{4,12}$")


def _page(status: int = 200, **ctx: object) -> ResponseReturnValue:
    ctx.setdefault("paused", not get_hub().daemon_up())
    ctx.setdefault("step", 1)
    return render_template("steward.html", **ctx), status


@bp.route("/checkin")
def checkin() -> ResponseReturnValue:
    return _page()


@bp.route("/checkin", methods=["POST"])
def checkin_post() -> ResponseReturnValue:
    guard_post()
    handle = request.form.get("handle", "").strip()
    code = request.form.get("code", "").strip()
    step = 2 if request.form.get("step") == "2" else 1
    try:
        check_handle(handle)  # the hub's own rule; the daemon checks again
    except InputError:
        # shown back without what made it refused (controls, NUL, …)
        shown = "".join(c for c in handle if c.isprintable())
        return _page(400, step=1, error="handle", handle=shown)
    if step == 2 and not CODE_RE.match(code):
        return _page(400, step=2, error="code", handle=handle)
    hub = get_hub()
    try:
        if step == 1:
            hub.request("webcheckin_start", handle=handle)
            return _page(step=2, handle=handle, sent=True, paused=False)
        res = hub.request("webcheckin_confirm", handle=handle, code=code)
    except WritesPaused:
        return _page(503, step=step, handle=handle, paused=True)
    except PortalWriteError as e:
        return _page(e.status, step=step, handle=handle, error="refused", reason=str(e))
    return _page(step=3, handle=handle, index=res.get("index"), paused=False)
