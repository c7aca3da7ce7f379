"""`canopy run`: start the hub daemon for a data directory, with its radio and MQTT."""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from types import FrameType

import click

from hub.cli_common import data_option, get_datadir, handle_errors, setup_logging
from hub.daemon import Daemon

log = logging.getLogger("canopy.run")


@click.command("run")
@data_option
@click.option(
    "--radio",
    "radio_url",
    default=None,
    help="serial:///dev/ttyUSB0, tcp://HOST:PORT or ble://NAME.",
)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@handle_errors
def run_cmd(data: Path | None, radio_url: str | None, verbose: bool) -> None:
    """Run the hub daemon: the single writer of the data directory."""
    setup_logging(verbose)
    daemon = Daemon(get_datadir(data))
    if radio_url:
        import importlib

        radio_service = importlib.import_module("radio.hubservice")
        daemon.services.append(radio_service.RadioService(radio_url))

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        daemon.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    daemon.start()
    click.echo("hub running; Ctrl-C to stop", err=True)
    daemon.run_forever()
