"""Daemon operations for stewards: invites, revocation, alerts and web check-in codes.

Also the :class:`StewardState` they share with the radio's command desk: roster, patrol and
alerts folded from the hub's own feed once, then kept current by a log listener, so every
writer (radio command, CLI op, portal op) sees the same state on the daemon's loop.

Web check-in: ``webcheckin_start`` DMs a 6-digit one-time code to the steward's pinned
radio (needs the running hub with a radio); ``webcheckin_confirm`` appends a ``checkin``
authored by the steward if the code matches. A code lives 10 minutes and dies after
:data:`WEB_CODE_TRIES` wrong guesses; codes are kept only in memory, hashed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from hub.daemon.core import HubCore, op
from hub.daemon.deliveries import DeliveryStore
from hub.errors import DaemonError, InputError, StoreError
from hub.local.invites import create_invite, pending_invites
from hub.log.entry import Body, FieldValue
from hub.log.view import iter_entries
from hub.mesh import MAX_TEXT_BYTES
from hub.state.alerts import AlertBook
from hub.state.patrol import MAX_SHIFT_MINUTES, Patrol
from hub.state.roster import COORDINATOR, DEFAULT_TERMS, Roster, check_handle, check_role

MAX_TERM = 10 * 365 * 86400  # a role longer than this is a typo, not a mandate

WEB_CODE_TTL = 600
WEB_CODE_TRIES = 5
WEB_CODE_STARTS = 3  # per handle per WEB_CODE_TTL
MAX_ALERT_BYTES = 150  # so the broadcast, tag and number included, stays one packet


@dataclass(slots=True)
class WebCode:
    digest: bytes
    expires: float
    tries: int = 0


@dataclass(slots=True)
class StewardState:
    """Everything steward-related the hub derives from its log, plus local bookkeeping."""

    deliveries: DeliveryStore
    roster: Roster = field(default_factory=Roster)
    patrol: Patrol = field(default_factory=Patrol)
    alerts: AlertBook = field(default_factory=AlertBook)
    last_index: int = -1
    web_codes: dict[str, WebCode] = field(default_factory=dict)
    web_starts: dict[str, list[float]] = field(default_factory=dict)

    def apply(self, index: int, body: Body) -> None:
        """Fold one own-feed entry; entries already folded are ignored (idempotent)."""
        if index <= self.last_index:
            return
        self.last_index = index
        self.roster.apply(index, body)
        self.patrol.apply(index, body)
        self.alerts.apply(index, body)

    def on_duty(self, now: float) -> list[str]:
        """Handles on duty who still hold a role (a revoked or expired member is not)."""
        out = []
        for shift in self.patrol.on_duty():
            m = self.roster.get(shift.handle)
            if m is not None and m.role(now) is not None:
                out.append(shift.handle)
        return out


def state_of(core: HubCore) -> StewardState:
    """The core's :class:`StewardState`, built from its own feed on first use."""
    cached = core.services.get("stewards")
    if isinstance(cached, StewardState):
        return cached
    state = StewardState(DeliveryStore(core.db))
    own = core.log.own
    if own is None:
        raise StoreError("log is not open")
    for e in iter_entries(own, core.log.feed_hex):
        state.apply(e.index, e.body)
    core.log.listeners.append(lambda _feed, index, _entry, body: state.apply(index, body))
    core.services["stewards"] = state
    return state


def _text_arg(args: dict[str, Any], name: str, required: bool, max_bytes: int) -> str | None:
    value = args.get(name)
    if value is None or value == "":
        if required:
            raise InputError(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise InputError(f"{name} must be text")
    value = value.strip()
    if required and not value:
        raise InputError(f"{name} is required")
    if len(value.encode("utf-8", "surrogatepass")) > max_bytes:
        raise InputError(f"{name} is longer than {max_bytes} bytes")
    return value or None  # characters are checked where the entry is made


def _int_arg(args: dict[str, Any], name: str) -> int | None:
    value = args.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{name} must be an integer")
    return value


def _wake_radio(core: HubCore) -> bool:
    radio = core.services.get("radio")
    wake = getattr(radio, "wake", None)
    if callable(wake):
        wake()
        return True
    return False


def _author(core: HubCore, args: dict[str, Any], state: StewardState) -> str:
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
    now = core.clock()
    until = _int_arg(args, "until")
    if until is None:
        until = int(now) + DEFAULT_TERMS[role]
    if until <= now:
        raise InputError("--until must be in the future")
    if until > now + MAX_TERM:
        raise InputError("--until must be within ten years")
    ttl = _int_arg(args, "ttl") or 3600
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
    state = state_of(core)
    handle = check_handle(str(args.get("handle", "")))
    role = check_role(str(args.get("role") or "steward"))
    m = state.roster.get(handle)
    if m is None or m.revoked:
        raise InputError(f"{handle} is not enrolled; send an invite instead")
    now = core.clock()
    until = _int_arg(args, "until") or int(now) + DEFAULT_TERMS[role]
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
    state = state_of(core)
    handle = check_handle(str(args.get("handle", "")))
    m = state.roster.get(handle)
    if m is None or m.revoked:
        raise InputError(f"{handle} is not enrolled")
    text = _text_arg(args, "text", False, MAX_TEXT_BYTES)
    fields: dict[str, FieldValue] = {"handle": handle}
    if text:
        fields["text"] = text
    done = core.log.append("revoke", fields)
    return {"ok": True, "handle": handle, "index": done.index}


@op("roster_list")
def roster_list(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    state = state_of(core)
    now = core.clock()
    members = [
        m.to_json(now) for m in sorted(state.roster.members.values(), key=lambda m: m.handle)
    ]
    for m in members:
        m["on_duty"] = state.patrol.is_on_duty(m["handle"])
    return {"ok": True, "members": members, "invites": pending_invites(core.db, now)}


@op("alert_send")
def alert_send(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    state = state_of(core)
    text = _text_arg(args, "text", True, MAX_ALERT_BYTES)
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
    state = state_of(core)
    index = _int_arg(args, "alert")
    if index is None:
        raise InputError("alert is required")
    a = state.alerts.get(index)
    if a is None:
        raise InputError(f"there is no alert #{index}")
    if not a.active:
        raise InputError(f"alert #{index} is already cancelled")
    author = _author(core, args, state)
    text = _text_arg(args, "text", False, MAX_TEXT_BYTES)
    fields: dict[str, FieldValue] = {"alert": index}
    if text:
        fields["text"] = text
    done = core.log.append("cancel", fields, author=author)
    _wake_radio(core)
    return {"ok": True, "alert": index, "index": done.index}


@op("alerts_list")
def alerts_list(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    state = state_of(core)
    out = []
    for a in state.alerts.all():
        d = a.to_json()
        delivery = state.deliveries.get(a.index)
        d["broadcast_at"] = delivery.broadcast_at
        d["pages"] = {h: len(ts) for h, ts in delivery.pages.items()}
        out.append(d)
    return {"ok": True, "alerts": out}


def _digest(handle: str, code: str) -> bytes:
    return hashlib.sha256(f"{handle}:{code}".encode()).digest()


@op("webcheckin_start")
def webcheckin_start(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    state = state_of(core)
    handle = check_handle(str(args.get("handle", "")))
    now = core.clock()
    m = state.roster.get(handle)
    if m is None or m.role(now) is None or m.node is None:
        raise InputError(f"{handle} is not an enrolled steward with a radio")
    radio = core.services.get("radio")
    send_dm = getattr(radio, "send_dm", None)
    if not callable(send_dm):
        raise DaemonError("web check-in needs the running hub with its radio")
    starts = [t for t in state.web_starts.get(handle, []) if now - t < WEB_CODE_TTL]
    if len(starts) >= WEB_CODE_STARTS:
        raise InputError("too many codes asked for; wait a few minutes")
    code = f"{secrets.randbelow(1_000_000):06d}"
    send_dm(m.node, f"Canopy web check-in code: {code} (10 min). Not you? Ignore this.")
    state.web_starts[handle] = [*starts, now]
    state.web_codes[handle] = WebCode(_digest(handle, code), now + WEB_CODE_TTL)
    return {"ok": True, "handle": handle, "expires": int(now + WEB_CODE_TTL)}


@op("webcheckin_confirm")
def webcheckin_confirm(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    state = state_of(core)
    handle = check_handle(str(args.get("handle", "")))
    code = str(args.get("code", "")).strip()
    now = core.clock()
    # check the rest of the form first: a typo there must not use up a good code
    minutes = _int_arg(args, "minutes")
    if minutes is not None and not 1 <= minutes <= MAX_SHIFT_MINUTES:
        raise InputError(f"minutes must be between 1 and {MAX_SHIFT_MINUTES}")
    text = _text_arg(args, "text", False, MAX_TEXT_BYTES)
    wc = state.web_codes.get(handle)
    if wc is None or wc.expires < now:
        state.web_codes.pop(handle, None)
        raise InputError("no valid code for this handle; ask for a new one")
    if not hmac.compare_digest(wc.digest, _digest(handle, code)):
        wc.tries += 1
        if wc.tries >= WEB_CODE_TRIES:
            del state.web_codes[handle]
        raise InputError("wrong code")
    del state.web_codes[handle]
    m = state.roster.get(handle)
    if m is None or m.role(now) is None:
        raise InputError(f"{handle} no longer holds a role")
    fields: dict[str, FieldValue] = {}
    if minutes is not None:
        fields["minutes"] = minutes
    if text:
        fields["text"] = text
    done = core.log.append("checkin", fields, author=handle)
    return {"ok": True, "handle": handle, "index": done.index}
