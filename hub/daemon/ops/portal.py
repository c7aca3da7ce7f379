"""Daemon operations the captive portal needs: signing the community safety compact.

The portal never writes the log; it sends ``compact_sign`` over the control socket and
the daemon validates and appends a signed ``compact`` entry. Nothing about the client
(address, browser) is passed or recorded: only the optional name it typed.
"""

from __future__ import annotations

import re
from typing import Any

from hub.daemon.core import HubCore, op
from hub.errors import InputError
from hub.log.entry import BY_NAME

NAME_MAX = 40
NAME_RE = re.compile(r"^[\w .'&-]+$")
COMPACT = BY_NAME["compact"].code


def clean_compact_name(raw: object) -> str | None:
    """A compact signer's name, whitespace-normalised, or None; raises :class:`InputError`."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InputError("name must be text")
    name = " ".join(raw.split())
    if not name:
        return None
    if len(name) > NAME_MAX:
        raise InputError(f"a name can have at most {NAME_MAX} characters")
    if not NAME_RE.match(name) or not name.isprintable():
        raise InputError("a name can only have letters, digits, spaces and . ' & -")
    return name


@op("compact_sign")
def _compact_sign(hub: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    name = clean_compact_name(args.get("name"))
    done = hub.log.append("compact", {"name": name})
    return {"ok": True, "index": done.index}
