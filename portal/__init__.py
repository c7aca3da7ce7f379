"""The captive portal: a Flask app serving the public log to passers-by on the shop Wi-Fi.

:func:`create_app` is the application factory (gunicorn runs ``portal:create_app()``).
Every page works with no JavaScript, no cookie and nothing loaded from outside the hub;
the portal reads the log files directly and hands every write to the hub daemon.
"""

from __future__ import annotations

from portal.app import DEFAULTS, create_app

__all__ = ["DEFAULTS", "create_app"]
