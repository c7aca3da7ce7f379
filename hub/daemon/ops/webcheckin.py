"""Web check-in: a steward checks in from the portal with a code sent to their radio.

``webcheckin_start`` DMs a 6-digit one-time code to the steward's pinned radio (needs the
running hub with a radio); ``webcheckin_confirm`` appends a ``checkin`` authored by the
steward if the code matches (:mod:`hub.daemon.webcodes` keeps the codes).
"""

from __future__ import annotations

from typing import Any

from hub.daemon.core import HubCore
from hub.daemon.ops.base import Op, int_arg, registrar, text_arg
from hub.daemon.webcodes import TTL
from hub.errors import DaemonError, InputError
from hub.log import FieldValue
from hub.mesh import MAX_TEXT_BYTES
from hub.state import MAX_SHIFT_MINUTES, check_handle

OPS: dict[str, Op] = {}
op = registrar(OPS)


@op("webcheckin_start")
def webcheckin_start(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    handle = check_handle(str(args.get("handle", "")))
    now = core.clock()
    m = core.state.roster.get(handle)
    if m is None or m.role(now) is None or m.node is None:
        raise InputError(f"{handle} is not an enrolled steward with a radio")
    if core.radio is None:
        raise DaemonError("web check-in needs the running hub with its radio")
    code = core.web_codes.start(handle, now)
    core.radio.send_dm(m.node, f"Canopy web check-in code: {code} (10 min). Not you? Ignore this.")
    return {"ok": True, "handle": handle, "expires": int(now + TTL)}


@op("webcheckin_confirm")
def webcheckin_confirm(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    handle = check_handle(str(args.get("handle", "")))
    code = str(args.get("code", "")).strip()
    now = core.clock()
    # check the rest of the form first: a typo there must not use up a good code
    minutes = int_arg(args, "minutes")
    if minutes is not None and not 1 <= minutes <= MAX_SHIFT_MINUTES:
        raise InputError(f"minutes must be between 1 and {MAX_SHIFT_MINUTES}")
    text = text_arg(args, "text", False, MAX_TEXT_BYTES)
    core.web_codes.check(handle, code, now)
    m = core.state.roster.get(handle)
    if m is None or m.role(now) is None:
        raise InputError(f"{handle} no longer holds a role")
    fields: dict[str, FieldValue] = {}
    if minutes is not None:
        fields["minutes"] = minutes
    if text:
        fields["text"] = text
    done = core.log.append("checkin", fields, author=handle)
    return {"ok": True, "handle": handle, "index": done.index}
