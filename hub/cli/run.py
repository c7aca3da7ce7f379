"""`canopy run`: start the hub daemon for a data directory, with its radio and MQTT."""

from __future__ import annotations

import importlib
import logging
import signal
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import click

from hub.cli.common import data_option, get_datadir, handle_errors, setup_logging
from hub.daemon.loop import Daemon
from hub.mqtt.cli import mqtt_options, service_from_options

log = logging.getLogger("canopy.run")


def offset_clock(path: Path) -> Callable[[], float]:
    """Wall time plus the number of seconds written in ``path`` (for end-to-end tests of
    timed behaviour: overdue stewards, alert re-paging). The offset may only grow."""
    offset = [0.0, -1.0]  # value, mtime

    def clock() -> float:
        try:
            mtime = path.stat().st_mtime
            if mtime != offset[1]:
                offset[0] = max(offset[0], float(path.read_text().strip() or 0))
                offset[1] = mtime
        except (OSError, ValueError):
            pass
        return time.time() + offset[0]

    return clock


@click.command("run")
@data_option
@click.option(
    "--radio",
    "radio_url",
    default=None,
    help="serial:///dev/ttyUSB0, tcp://HOST:PORT or ble://NAME.",
)
@click.option(
    "--alert-ack-timeout",
    type=click.FloatRange(1.0, 3600.0),
    default=120.0,
    show_default=True,
    help="Seconds an on-duty steward has to ACK an alert before a DM; doubles per retry.",
)
@click.option(
    "--alert-max-pages",
    type=click.IntRange(0, 10),
    default=3,
    show_default=True,
    help="DMs per steward per alert at most.",
)
@click.option(
    "--overdue-grace",
    type=click.IntRange(0, 86400),
    default=600,
    show_default=True,
    help="Seconds after the overdue reminder before coordinators are told.",
)
@click.option("--clock-offset-file", type=click.Path(path_type=Path), default=None, hidden=True)
@mqtt_options
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@handle_errors
def run_cmd(
    data: Path | None,
    radio_url: str | None,
    alert_ack_timeout: float,
    alert_max_pages: int,
    overdue_grace: int,
    clock_offset_file: Path | None,
    verbose: bool,
    **mqtt_kw: Any,
) -> None:
    """Run the hub daemon: the single writer of the data directory."""
    setup_logging(verbose)
    if clock_offset_file is not None:
        daemon = Daemon(get_datadir(data), clock=offset_clock(clock_offset_file))
    else:
        daemon = Daemon(get_datadir(data))
    if radio_url:
        radio_service = importlib.import_module("radio.service")
        policy = radio_service.desk_policy(
            ack_timeout=alert_ack_timeout, max_pages=alert_max_pages, overdue_grace=overdue_grace
        )
        daemon.services.append(radio_service.RadioService(radio_url, policy=policy))

    # the Meshtastic MQTT codec lives in radio/, loaded only when MQTT is on
    mqtt = service_from_options(
        mqtt_kw, lambda keys: importlib.import_module("radio.mqttcodec").make_decoder(keys)
    )
    if mqtt is not None:
        daemon.services.append(mqtt)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        daemon.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    daemon.start()
    click.echo("hub running; Ctrl-C to stop", err=True)
    daemon.run_forever()
