"""The single writer: the daemon's loop, its control socket, the core it runs ops on, the
ops themselves, and writing from outside the daemon.

Names are loaded from their modules on first use (:mod:`hub.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from hub.daemon.clock import CLOCK_FILE as CLOCK_FILE
    from hub.daemon.clock import ClockError as ClockError
    from hub.daemon.clock import SavedClock as SavedClock
    from hub.daemon.clock import chrony_sample as chrony_sample
    from hub.daemon.control import DaemonNotRunning as DaemonNotRunning
    from hub.daemon.control import call as call
    from hub.daemon.core import HubCore as HubCore
    from hub.daemon.deliveries import DeliveryStore as DeliveryStore
    from hub.daemon.loop import Daemon as Daemon
    from hub.daemon.sdnotify import NotifyError as NotifyError
    from hub.daemon.sdnotify import notify as notify
    from hub.daemon.sdnotify import watchdog_interval as watchdog_interval
    from hub.daemon.webcodes import WebCode as WebCode
    from hub.daemon.writer import open_writer as open_writer

__all__ = [
    "CLOCK_FILE",
    "ClockError",
    "Daemon",
    "DaemonNotRunning",
    "DeliveryStore",
    "HubCore",
    "NotifyError",
    "SavedClock",
    "WebCode",
    "call",
    "chrony_sample",
    "notify",
    "open_writer",
    "watchdog_interval",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "CLOCK_FILE": "hub.daemon.clock",
        "ClockError": "hub.daemon.clock",
        "SavedClock": "hub.daemon.clock",
        "chrony_sample": "hub.daemon.clock",
        "DaemonNotRunning": "hub.daemon.control",
        "call": "hub.daemon.control",
        "HubCore": "hub.daemon.core",
        "DeliveryStore": "hub.daemon.deliveries",
        "Daemon": "hub.daemon.loop",
        "NotifyError": "hub.daemon.sdnotify",
        "notify": "hub.daemon.sdnotify",
        "watchdog_interval": "hub.daemon.sdnotify",
        "WebCode": "hub.daemon.webcodes",
        "open_writer": "hub.daemon.writer",
    },
)
