"""Daemon operations for the assembly: propose a mandate or a charter, list the votes.

The rules are :mod:`hub.state.assembly`'s, the same the radio desk applies to ``PROPOSE``
and ``VOTE``; every op reads the one ``core.state``.
"""

from __future__ import annotations

from typing import Any

from hub.daemon.core import HubCore
from hub.daemon.ops.base import Op, registrar, text_arg
from hub.errors import InputError
from hub.log import FieldValue, clean_text
from hub.settings import by_key
from hub.state import (
    COORDINATOR,
    Rules,
    check_proposal,
    parse_days,
    parse_when,
    settle,
    vote_json,
)

OPS: dict[str, Op] = {}
op = registrar(OPS)


def _append(core: HubCore) -> Any:
    def append(kind: str, fields: dict[str, FieldValue], author: str) -> tuple[int, object]:
        done = core.log.append(kind, fields, author=author)
        return done.index, done.body

    return append


def _rules(core: HubCore, args: dict[str, Any]) -> Rules:
    raw = args.get("rules")
    if raw is None:
        return core.rules
    if not isinstance(raw, dict):
        raise InputError("rules must be an object")
    values: dict[str, int] = {}
    for k, v in raw.items():
        if k not in Rules.__dataclass_fields__:
            raise InputError(f"rules: no setting assembly.{k}")
        try:  # the settings table's type and bounds, as for the config file
            values[k] = int(by_key(f"assembly.{k}").check(v))  # type: ignore[call-overload]
        except ValueError as e:
            raise InputError(f"rules: assembly.{k}: {e}") from e
    return Rules(**values)


@op("mandate_propose")
def mandate_propose(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    """Open a vote on a mandate (``handle``, ``role``, ``term``) or a charter (``text``)."""
    state, now = core.state, core.clock()
    rules = _rules(core, args)
    what = str(args.get("what") or "mandate")
    closes_arg = args.get("closes")
    closes = parse_when(str(closes_arg), now) if closes_arg else None
    if what == "charter":
        raw = args.get("text")
        if not isinstance(raw, str):
            raise InputError("text is required")
        text = clean_text(raw, name="text", multiline=True, strip=False, max_bytes=60000)
        fields = check_proposal(state, rules, now, what=what, closes=closes, text=text)
    else:
        term = args.get("term")
        seconds = parse_days(term) if isinstance(term, str) else term
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            raise InputError("term is required, e.g. 90d")
        why = text_arg(args, "text", False, 1000) or ""
        fields = check_proposal(
            state,
            rules,
            now,
            handle=str(args.get("handle", "")),
            role=str(args.get("role") or COORDINATOR),
            term=seconds,
            closes=closes,
            text=why,
        )
    done = core.log.append("proposal", fields)
    settle(state, _append(core), now)  # nobody left to vote? then it is decided at once
    p = state.mandates.get(state.own, done.index)
    assert p is not None
    return {"ok": True, **vote_json(state, p, now)}


@op("mandate_list")
def mandate_list(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    """Every vote of every federated hub (open first, then newest first) and every term,
    with tallies; this hub settles its own."""
    state, now = core.state, core.clock()
    settle(state, _append(core), now)
    md = state.mandates
    votes = sorted(md.everywhere(), key=lambda p: (not p.is_open(now), -p.time, p.feed, -p.index))
    terms = [
        {"handle": t.handle, "role": t.role, "since": t.since, "until": t.until, "vote": t.vote}
        for t in sorted(md.terms, key=lambda t: t.since)
    ]
    return {"ok": True, "votes": [vote_json(state, p, now) for p in votes], "terms": terms}


@op("mandate_settle")
def mandate_settle(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    """Write the outcome of every vote decided by now (the daemon does this every minute)."""
    told = settle(core.state, _append(core), core.clock())
    return {"ok": True, "decided": [text for _, text in told]}


@op("charter_set")
def charter_set(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    """Publish a charter directly: a hub's first text, or drafts, until the assembly has
    ratified one; from then on only a vote changes it (docs/governance.md)."""
    state = core.state
    raw = args.get("text")
    if not isinstance(raw, str) or not raw.strip():
        raise InputError("text is required")
    if state.mandates.last_ratified(state.own) is not None:
        raise InputError(
            "the assembly has ratified this charter: change it by a vote "
            "(canopy charter propose FILE)"
        )
    text = clean_text(raw, name="text", multiline=True, strip=False, max_bytes=60000)
    done = core.log.append("charter", {"text": text})
    return {"ok": True, "index": done.index}
