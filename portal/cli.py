"""`canopy portal`: run the captive portal under gunicorn for a data directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from hub.cli.common import data_option, get_datadir, handle_errors


@click.command("portal")
@data_option
@click.option(
    "--bind",
    default="127.0.0.1:8080",
    show_default=True,
    help="HOST:PORT to listen on: nginx there, in front of gunicorn on a private unix "
    "socket; with --no-front, gunicorn itself (or unix:PATH; ignored under systemd socket "
    "activation).",
)
@click.option(
    "--no-front",
    is_flag=True,
    help="Run gunicorn alone, without nginx in front (behind a front started elsewhere).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 16),
    default=2,
    show_default=True,
    help="gunicorn worker processes (each stays under 50 MB).",
)
@click.option(
    "--url",
    "portal_url",
    default=None,
    help="Address the OS probes are redirected to, e.g. http://198.18.0.1/ "
    "[default: the page's own host].",
)
@handle_errors
def portal_cmd(
    data: Path | None, bind: str, workers: int, portal_url: str | None, no_front: bool
) -> None:
    """Serve the captive portal: nginx (portal/front.py) in front of gunicorn
    (portal/gunicorn_conf.py)."""
    dd = get_datadir(data)
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
        "--workers",
        str(workers),
        "portal:create_app()",
    ]
    if not no_front:
        from portal.front import FrontMissing, run_stack

        try:
            sys.exit(run_stack(bind, argv, env))
        except FrontMissing as e:
            raise click.ClickException(str(e)) from e
    argv[5:5] = ["--bind", bind]
    # exec, so that under systemd gunicorn is the main process (Type=notify, signals).
    os.execve(sys.executable, argv, env)
