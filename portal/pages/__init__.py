"""The portal's pages: one blueprint per area.

Names are loaded from their modules on first use (:mod:`hub.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from portal.pages.captive import PROBES as PROBES

__all__ = [
    "PROBES",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "PROBES": "portal.pages.captive",
    },
)
