"""`canopy portal`: run the captive portal (nginx in front of gunicorn) for a data directory.

Its options are ``data`` and the ``[portal]`` rows of the settings table
(:mod:`hub.settings.table`), with ``--config FILE`` for a TOML file holding them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from hub.audit import legacy_note
from hub.cli import get_datadir, handle_errors, settings_options


@click.command("portal")
@settings_options("hub.data", "portal")
@handle_errors
def portal_cmd(
    hub_data: Path | None,
    portal_bind: str,
    portal_workers: int,
    portal_url: str | None,
    portal_front: str,
    portal_audit_cycle: int,
    portal_front_cache: str,
) -> None:
    """Serve the captive portal: nginx in front of gunicorn.

    nginx is configured by portal/front.py, gunicorn by portal/gunicorn_conf.py."""
    dd = get_datadir(hub_data)
    dd.require_initialised()
    env = dict(os.environ, CANOPY_DATA=str(dd.root.resolve()))
    env["CANOPY_AUDIT_CYCLE"] = str(portal_audit_cycle)  # read by the /audits pages
    note = legacy_note(dd.root)
    if note:
        click.echo(note, err=True)
    if portal_url:
        env["CANOPY_PORTAL_URL"] = portal_url
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:portal.gunicorn_conf",
        "--workers",
        str(portal_workers),
        "portal:create_app()",
    ]
    if portal_front == "nginx":
        from portal.front import FrontMissing, run_stack

        try:
            sys.exit(run_stack(portal_bind, argv, env, cache=portal_front_cache == "on"))
        except FrontMissing as e:
            raise click.ClickException(str(e)) from e
    argv[5:5] = ["--bind", portal_bind]
    # exec, so that under systemd gunicorn is the main process (Type=notify, signals).
    os.execve(sys.executable, argv, env)
