"""The portal's window on the hub: reading the log, the derived page state, presentation.

Names are loaded from their modules on first use (:mod:`hub.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from portal.data.audits import audit_page as audit_page
    from portal.data.audits import due as due
    from portal.data.audits import published as published
    from portal.data.content import render_markdown as render_markdown
    from portal.data.hubdata import PortalHub as PortalHub
    from portal.data.hubdata import PortalWriteError as PortalWriteError
    from portal.data.hubdata import WritesPaused as WritesPaused
    from portal.data.hubdata import get_hub as get_hub
    from portal.data.state import LogState as LogState
    from portal.data.witness import cosigned_text as cosigned_text
    from portal.data.witness import witness_stamp as witness_stamp
    from portal.data.witness import witnessing as witnessing

__all__ = [
    "LogState",
    "PortalHub",
    "PortalWriteError",
    "WritesPaused",
    "audit_page",
    "cosigned_text",
    "due",
    "get_hub",
    "published",
    "render_markdown",
    "witness_stamp",
    "witnessing",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "audit_page": "portal.data.audits",
        "due": "portal.data.audits",
        "published": "portal.data.audits",
        "render_markdown": "portal.data.content",
        "PortalHub": "portal.data.hubdata",
        "PortalWriteError": "portal.data.hubdata",
        "WritesPaused": "portal.data.hubdata",
        "get_hub": "portal.data.hubdata",
        "LogState": "portal.data.state",
        "cosigned_text": "portal.data.witness",
        "witness_stamp": "portal.data.witness",
        "witnessing": "portal.data.witness",
    },
)
