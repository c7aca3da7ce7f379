"""What the witness tests share."""

from __future__ import annotations

from pathlib import Path

from hub.daemon import HubCore
from hub.local import DataDir


def checkpoint_at(data: Path, size: int) -> str:
    """The hub's signed checkpoint note at ``size`` (its log opened without the daemon)."""
    core = HubCore(DataDir(data))
    core.open()
    try:
        return core.log.checkpoint_at(size)
    finally:
        core.close()
