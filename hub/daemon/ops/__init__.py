"""The daemon's named operations, by area: the log, stewards and alerts, web check-in, the
portal. Each module's ``OPS`` maps names to functions of ``(core, args)``; :func:`run_op`
runs one by name.

:data:`WHERE` names each op's module, and :func:`run_op` imports only that one: a CLI write
under the lock (`canopy note` with no daemon) loads the log's ops, not the stewards',
audits' or peers' (a test keeps the table equal to the modules' own).
"""

from __future__ import annotations

import importlib
from typing import Any

from hub.daemon.core import HubCore
from hub.daemon.ops.base import Op
from hub.errors import InputError

# op name -> module in this package that defines it
WHERE: dict[str, str] = {
    "ping": "log",
    "append": "log",
    "checkpoint": "log",
    "status": "log",
    "retention": "log",
    "roster_invite": "stewards",
    "roster_renew": "stewards",
    "roster_revoke": "stewards",
    "roster_list": "stewards",
    "alert_send": "stewards",
    "alert_cancel": "stewards",
    "alerts_list": "stewards",
    "webcheckin_start": "webcheckin",
    "webcheckin_confirm": "webcheckin",
    "compact_sign": "portal",
    "correct": "corrections",
    "audit_publish": "audits",
    "peer_add": "peers",
    "peer_remove": "peers",
    "peer_list": "peers",
    "sync_status": "peers",
    "witness_status": "peers",
    "witness_check": "witness",
    "log_recover": "witness",
    "mandate_propose": "mandates",
    "mandate_list": "mandates",
    "mandate_settle": "mandates",
    "charter_set": "mandates",
}
MODULES = (
    "log",
    "stewards",
    "webcheckin",
    "portal",
    "corrections",
    "audits",
    "peers",
    "mandates",
    "witness",
)


def _table(module: str) -> dict[str, Op]:
    table: dict[str, Op] = importlib.import_module(f"{__name__}.{module}").OPS
    return table


def all_ops() -> dict[str, Op]:
    """Every op by name (imports every op module)."""
    return {name: fn for module in MODULES for name, fn in _table(module).items()}


def run_op(core: HubCore, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run the op ``name``; raises :class:`InputError` for an unknown name."""
    module = WHERE.get(name) if isinstance(name, str) else None
    fn = _table(module).get(name) if module is not None else None
    if fn is None:
        raise InputError(f"unknown operation {name!r}")
    return fn(core, args)


__all__ = ["MODULES", "WHERE", "Op", "all_ops", "run_op"]
