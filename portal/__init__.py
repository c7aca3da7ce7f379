"""The captive portal: a Flask app serving the public log to passers-by on the shop Wi-Fi.

:func:`create_app` is the application factory (gunicorn runs ``portal:create_app()``).
Every page works with no JavaScript, no cookie and nothing loaded from outside the hub;
the portal reads the log files directly and hands every write to the hub daemon.

Names are loaded from their modules on first use (:mod:`hub.lazy`): the `canopy portal`
process that starts and watches nginx and gunicorn never loads Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from portal.app import DEFAULTS as DEFAULTS
    from portal.app import create_app as create_app

__all__ = ["DEFAULTS", "create_app"]
__getattr__, __dir__ = lazy_exports(
    __name__, {"DEFAULTS": "portal.app", "create_app": "portal.app"}
)
