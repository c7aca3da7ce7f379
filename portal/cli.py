"""`canopy portal`: run the captive portal under gunicorn for a data directory.

Its options are ``data`` and the ``[portal]`` rows of the settings table
(:mod:`hub.settings.table`), with ``--config FILE`` for a TOML file holding them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from hub.cli.common import get_datadir, handle_errors
from hub.cli.options import settings_options


@click.command("portal")
@settings_options("hub.data", "portal")
@handle_errors
def portal_cmd(
    hub_data: Path | None, portal_bind: str, portal_workers: int, portal_url: str | None
) -> None:
    """Serve the captive portal (gunicorn, config in portal/gunicorn_conf.py)."""
    dd = get_datadir(hub_data)
    dd.require_initialised()
    env = dict(os.environ, CANOPY_DATA=str(dd.root.resolve()))
    if portal_url:
        env["CANOPY_PORTAL_URL"] = portal_url
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:portal.gunicorn_conf",
        "--bind",
        portal_bind,
        "--workers",
        str(portal_workers),
        "portal:create_app()",
    ]
    # exec, so that under systemd gunicorn is the main process (Type=notify, signals).
    os.execve(sys.executable, argv, env)
