"""gunicorn settings for the portal on a Pi Zero 2 W (512 MB, 4 slow cores).

`canopy portal` passes ``--bind`` and ``--workers``; everything else is here. Under
systemd the listening socket comes from socket activation (``LISTEN_FDS``), which
gunicorn picks up by itself, and gunicorn reports ``READY=1``.
"""

from __future__ import annotations

import os
from typing import Any

from hub.settings import by_key

wsgi_app = "portal:create_app()"
workers = int(os.environ.get("CANOPY_PORTAL_WORKERS", str(by_key("portal.workers").default)))
# gthread (threads keep connections alive; pages are cached, so they rarely wait), whose own
# error answers carry the security headers too (portal/worker.py)
worker_class = "portal.worker.PortalWorker"
# Two threads measured best on 2 cores: more threads only add GIL contention to the p99.
threads = 2
preload_app = True  # import once in the master, fork cheap copies
proc_name = "canopy-portal"
timeout = 20
graceful_timeout = 5
keepalive = 2
backlog = 256
# Hostile requests: gunicorn answers 400 to lines and headers past these limits.
limit_request_line = 2048
limit_request_fields = 40
limit_request_field_size = 2048
# Recycle workers now and then so a slow leak can never grow past the memory budget.
max_requests = 200000
max_requests_jitter = 20000
# Client addresses are the connection's; no proxy is trusted to tell us otherwise.
forwarded_allow_ips = ""
# No access log: it would record passers-by's addresses.
accesslog = None
errorlog = "-"
loglevel = "warning"


def when_ready(server: Any) -> None:
    """After the app is preloaded, before the workers fork (portal.app.warm_master)."""
    from portal.app import warm_master

    warm_master(server.app.wsgi())
