"""The daemon's named operations, by area: the log, stewards and alerts, web check-in, the
portal. Each module's ``OPS`` maps names to functions of ``(core, args)``; :func:`run_op`
runs one by name.
"""

from __future__ import annotations

from typing import Any

from hub.daemon.core import HubCore
from hub.daemon.ops import (
    audits,
    corrections,
    log,
    mandates,
    peers,
    portal,
    stewards,
    webcheckin,
)
from hub.daemon.ops.base import Op
from hub.errors import InputError

OPS: dict[str, Op] = {
    **log.OPS,
    **stewards.OPS,
    **webcheckin.OPS,
    **portal.OPS,
    **corrections.OPS,
    **audits.OPS,
    **peers.OPS,
    **mandates.OPS,
}


def run_op(core: HubCore, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run the op ``name``; raises :class:`InputError` for an unknown name."""
    fn = OPS.get(name)
    if fn is None:
        raise InputError(f"unknown operation {name!r}")
    return fn(core, args)


__all__ = ["OPS", "Op", "run_op"]
