"""Correcting the record: a signed ``correction`` entry pointing at an entry of the own feed.

Nothing is edited. The rule of who may correct what is
:func:`hub.state.corrections.check_correction`, the same one the radio desk's ``FIX`` uses.
"""

from __future__ import annotations

from typing import Any

from hub.daemon.core import HubCore
from hub.daemon.ops.base import Op, int_arg, registrar, text_arg
from hub.errors import InputError
from hub.log import BY_NAME, FieldValue
from hub.state import COORDINATOR, RETRACT, check_correction, check_handle

OPS: dict[str, Op] = {}
op = registrar(OPS)

MAX_TEXT = next(f.max_len for f in BY_NAME["correction"].fields if f.name == "text")


@op("correct")
def correct(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    """Append a correction (or, with ``retract``, a retraction) of entry ``target``.

    Raises :class:`InputError` for an entry of another hub's feed, an unknown entry, a
    retraction without a reason, or an author who may not correct it.
    """
    state = core.state
    feed = args.get("feed")
    if feed not in (None, "") and (not isinstance(feed, str) or feed.lower() != state.own):
        raise InputError(
            "that entry is in another hub's feed: only the hub that recorded it can correct it"
        )
    target = int_arg(args, "target")
    if target is None:
        raise InputError("target is required")
    retract = args.get("retract", False)
    if not isinstance(retract, bool):
        raise InputError("retract must be true or false")
    text = text_arg(args, "text", False, MAX_TEXT) or ""
    author = ""
    coordinator = False
    if args.get("author"):
        author = check_handle(str(args["author"]))
        m = state.roster.get(author)
        if m is None or m.role(core.clock()) is None:
            raise InputError(f"{author} holds no role now")
        coordinator = m.role(core.clock()) == COORDINATOR
    mine = state.mine
    check_correction(mine.authors, mine.retracted, target, author, coordinator, text, retract)
    fields: dict[str, FieldValue] = {"target": target, "text": text}
    if retract:
        fields["retract"] = RETRACT
    done = core.log.append("correction", fields, author=author)
    return {"ok": True, "index": done.index, "target": target, "retract": retract}
