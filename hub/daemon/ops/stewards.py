"""Daemon operations for stewards: invites, renewal, revocation, the roster and alerts.

Every op reads the one :class:`hub.state.model.HubState` (``core.state``), the same state the
radio desk, the portal and MQTT read.
"""

from __future__ import annotations

from typing import Any

from hub.daemon.core import HubCore
from hub.daemon.ops.base import Op, int_arg, registrar, text_arg
from hub.errors import InputError
from hub.local import create_invite, pending_invites
from hub.log import FieldValue
from hub.mesh import MAX_TEXT_BYTES
from hub.state import (
    COORDINATOR,
    DEFAULT_TERMS,
    MAX_ALERT_BYTES,
    HubState,
    check_handle,
    check_role,
)

OPS: dict[str, Op] = {}
op = registrar(OPS)

MAX_TERM = 10 * 365 * 86400  # a role longer than this is a typo, not a mandate


def _wake_radio(core: HubCore) -> bool:
    if core.radio is None:
        return False
    core.radio.wake()
    return True


def _needs_mandate(state: HubState, role: str) -> None:
    """Once the assembly has given a coordinator mandate, only a vote makes a coordinator
    (docs/governance.md); before that an enrolment may, so a neighbourhood has a first."""
    if role == COORDINATOR and any(t.role == COORDINATOR for t in state.mandates.terms):
        raise InputError("a coordinator needs a mandate now: canopy mandate propose")


def _author(core: HubCore, args: dict[str, Any], state: HubState) -> str:
    """The alert's author: the hub operator (``""``) or a current coordinator."""
    author = args.get("author") or ""
    if not author:
        return ""
    handle = check_handle(str(author))
    m = state.roster.get(handle)
    if m is None or m.role(core.clock()) != COORDINATOR:
        raise InputError(f"{handle} is not a coordinator now")
    return handle


@op("roster_invite")
def roster_invite(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    handle = check_handle(str(args.get("handle", "")))
    role = check_role(str(args.get("role") or "steward"))
    _needs_mandate(core.state, role)
    now = core.clock()
    until = int_arg(args, "until")
    if until is None:
        until = int(now) + DEFAULT_TERMS[role]
    if until <= now:
        raise InputError("--until must be in the future")
    if until > now + MAX_TERM:
        raise InputError("--until must be within ten years")
    ttl = int_arg(args, "ttl") or 3600
    if not 60 <= ttl <= 7 * 86400:
        raise InputError("an invite lives between 1 minute and 7 days")
    code = create_invite(core.db, handle, role, until, now, ttl)
    return {
        "ok": True,
        "handle": handle,
        "role": role,
        "until": until,
        "code": code,
        "expires": int(now + ttl),
    }


@op("roster_renew")
def roster_renew(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    """A new grant for an enrolled handle (same radio), e.g. a renewed coordinator term."""
    state = core.state
    handle = check_handle(str(args.get("handle", "")))
    role = check_role(str(args.get("role") or "steward"))
    _needs_mandate(state, role)
    m = state.roster.get(handle)
    if m is None or m.revoked:
        raise InputError(f"{handle} is not enrolled; send an invite instead")
    now = core.clock()
    until = int_arg(args, "until") or int(now) + DEFAULT_TERMS[role]
    if until <= now:
        raise InputError("--until must be in the future")
    if until > now + MAX_TERM:
        raise InputError("--until must be within ten years")
    fields: dict[str, FieldValue] = {"handle": handle, "role": role, "until": until}
    if m.node is not None and m.pkey is not None:
        fields.update(node=m.node, pkey=m.pkey)
    done = core.log.append("enrol", fields)
    return {"ok": True, "handle": handle, "role": role, "until": until, "index": done.index}


@op("roster_revoke")
def roster_revoke(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    state = core.state
    handle = check_handle(str(args.get("handle", "")))
    m = state.roster.get(handle)
    if m is None or m.revoked:
        raise InputError(f"{handle} is not enrolled")
    text = text_arg(args, "text", False, MAX_TEXT_BYTES)
    fields: dict[str, FieldValue] = {"handle": handle}
    if text:
        fields["text"] = text
    done = core.log.append("revoke", fields)
    return {"ok": True, "handle": handle, "index": done.index}


@op("roster_list")
def roster_list(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    state = core.state
    now = core.clock()
    members = [
        m.to_json(now) for m in sorted(state.roster.members.values(), key=lambda m: m.handle)
    ]
    duty = set(state.on_duty_handles(now))
    for m in members:
        m["on_duty"] = m["handle"] in duty
    return {"ok": True, "members": members, "invites": pending_invites(core.db, now)}


@op("alert_send")
def alert_send(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    state = core.state
    text = text_arg(args, "text", True, MAX_ALERT_BYTES)
    author = _author(core, args, state)
    assert text is not None
    done = core.log.append("alert", {"text": text}, author=author)
    radio = _wake_radio(core)
    return {
        "ok": True,
        "alert": done.index,
        "on_duty": len(state.on_duty(core.clock())),
        "broadcast": radio,
    }


@op("alert_cancel")
def alert_cancel(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    state = core.state
    index = int_arg(args, "alert")
    if index is None:
        raise InputError("alert is required")
    a = state.alerts.get(index)
    if a is None:
        raise InputError(f"there is no alert #{index}")
    if not a.active:
        raise InputError(f"alert #{index} is already cancelled")
    author = _author(core, args, state)
    text = text_arg(args, "text", False, MAX_TEXT_BYTES)
    fields: dict[str, FieldValue] = {"alert": index}
    if text:
        fields["text"] = text
    done = core.log.append("cancel", fields, author=author)
    _wake_radio(core)
    return {"ok": True, "alert": index, "index": done.index}


@op("alerts_list")
def alerts_list(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    state = core.state
    out = []
    for a in state.alerts.all():
        d = a.to_json()
        delivery = core.deliveries.get(a.index)
        d["broadcast_at"] = delivery.broadcast_at
        d["pages"] = {h: len(ts) for h, ts in delivery.pages.items()}
        out.append(d)
    return {"ok": True, "alerts": out}
