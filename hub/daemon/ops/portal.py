"""Daemon operations the captive portal needs: signing the community safety compact.

The portal never writes the log; it sends ``compact_sign`` over the control socket and
the daemon validates and appends a signed ``compact`` entry. Nothing about the client
(address, browser) is passed or recorded: only the optional name it typed.
"""

from __future__ import annotations

from typing import Any

from hub.daemon.core import HubCore
from hub.daemon.ops.base import Op, registrar
from hub.state import clean_compact_name

OPS: dict[str, Op] = {}
op = registrar(OPS)


@op("compact_sign")
def compact_sign(core: HubCore, args: dict[str, Any]) -> dict[str, Any]:
    name = clean_compact_name(args.get("name"))
    done = core.log.append("compact", {"name": name})
    return {"ok": True, "index": done.index}
