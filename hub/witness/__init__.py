"""Hubs witness each other: cosigned checkpoints, split-view evidence. See docs/witness.md.

Names are loaded from their modules on first use (:mod:`hub.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from hub.witness.check import cosigned_note as cosigned_note
    from hub.witness.check import verify_witnessed as verify_witnessed
    from hub.witness.check import witnessed as witnessed
    from hub.witness.core import WitnessCore as WitnessCore
    from hub.witness.frames import PORT as PORT
    from hub.witness.service import WitnessService as WitnessService
    from hub.witness.store import WitnessFiles as WitnessFiles
    from hub.witness.store import witness_key as witness_key
    from hub.witness.store import witness_name as witness_name

__all__ = [
    "PORT",
    "WitnessCore",
    "WitnessFiles",
    "WitnessService",
    "cosigned_note",
    "verify_witnessed",
    "witness_key",
    "witness_name",
    "witnessed",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "cosigned_note": "hub.witness.check",
        "verify_witnessed": "hub.witness.check",
        "witnessed": "hub.witness.check",
        "WitnessCore": "hub.witness.core",
        "PORT": "hub.witness.frames",
        "WitnessService": "hub.witness.service",
        "WitnessFiles": "hub.witness.store",
        "witness_key": "hub.witness.store",
        "witness_name": "hub.witness.store",
    },
)
