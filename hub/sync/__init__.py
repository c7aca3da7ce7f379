"""Hub-to-hub sync: frames, the Trickle timer, the sans-IO engine, and the daemon service
that runs it over the radio (and MQTT). See docs/sync.md.

Names are loaded from their modules on first use (:mod:`hub.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from hub.sync.engine import SyncEngine as SyncEngine
    from hub.sync.frames import PORT as PORT
    from hub.sync.frames import FrameError as FrameError
    from hub.sync.frames import Reader as Reader
    from hub.sync.frames import put_uint as put_uint
    from hub.sync.records import ForkDetected as ForkDetected
    from hub.sync.records import Send as Send
    from hub.sync.records import SyncPolicy as SyncPolicy
    from hub.sync.service import SyncService as SyncService
    from hub.sync.store import LogStore as LogStore

__all__ = [
    "PORT",
    "ForkDetected",
    "FrameError",
    "LogStore",
    "Reader",
    "Send",
    "SyncEngine",
    "SyncPolicy",
    "SyncService",
    "put_uint",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "SyncEngine": "hub.sync.engine",
        "PORT": "hub.sync.frames",
        "FrameError": "hub.sync.frames",
        "Reader": "hub.sync.frames",
        "put_uint": "hub.sync.frames",
        "ForkDetected": "hub.sync.records",
        "Send": "hub.sync.records",
        "SyncPolicy": "hub.sync.records",
        "SyncService": "hub.sync.service",
        "LogStore": "hub.sync.store",
    },
)
