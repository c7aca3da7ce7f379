"""`canopy run`: start the hub daemon for a data directory, with its radio and MQTT.

Its options are the ``[hub]``, ``[desk]`` and ``[mqtt]`` rows of the settings table
(:mod:`hub.settings.table`), with ``--config FILE`` for a TOML file holding them.
"""

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

from hub.cli.common import get_datadir, handle_errors, setup_logging
from hub.cli.mqtt import service_from_options
from hub.cli.options import settings_options
from hub.daemon import Daemon
from hub.errors import InputError
from hub.lazy import defer_import
from hub.state import Rules
from hub.sync import SyncPolicy, SyncService
from hub.witness import WitnessService

log = logging.getLogger("canopy.run")


def offset_clock(path: Path) -> Callable[[], float]:
    """Wall time plus the number of seconds written in ``path`` (for end-to-end tests of
    timed behaviour: overdue stewards, alert re-paging, the clock stepping back or forward)."""
    offset = [0.0, -1.0]  # value, mtime

    def clock() -> float:
        try:
            mtime = path.stat().st_mtime
            if mtime != offset[1]:
                offset[0] = float(path.read_text().strip() or 0)
                offset[1] = mtime
        except (OSError, ValueError):
            pass
        return time.time() + offset[0]

    return clock


@click.command("run")
@settings_options("hub", "desk", "assembly", "sync", "mqtt")
@click.option("--clock-offset-file", type=click.Path(path_type=Path), default=None, hidden=True)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@handle_errors
def run_cmd(
    hub_data: Path | None,
    hub_radio: str | None,
    desk_ack_timeout: float,
    desk_max_pages: int,
    desk_overdue_grace: int,
    desk_tick: float,
    desk_channel: int,
    sync_share: float,
    sync_imin: float,
    sync_imax: float,
    sync_hop_limit: int,
    sync_witness_gap: float,
    clock_offset_file: Path | None,
    verbose: bool,
    **mqtt_kw: Any,
) -> None:
    """Run the hub daemon: the single writer of the data directory."""
    defer_import("requests")  # before meshtastic loads: it imports requests and never uses it
    setup_logging(verbose)
    assembly = {k: mqtt_kw.pop(k) for k in list(mqtt_kw) if k.startswith("assembly_")}
    if clock_offset_file is not None:
        daemon = Daemon(get_datadir(hub_data), clock=offset_clock(clock_offset_file))
    else:
        daemon = Daemon(get_datadir(hub_data))
    daemon.core.rules = Rules(**{k.removeprefix("assembly_"): v for k, v in assembly.items()})
    daemon.settings = {
        **{k.replace("_", ".", 1): v for k, v in assembly.items()},
        "hub.radio": hub_radio,
        "desk.ack_timeout": desk_ack_timeout,
        "desk.max_pages": desk_max_pages,
        "desk.overdue_grace": desk_overdue_grace,
        "desk.tick": desk_tick,
        "desk.channel": desk_channel,
        "sync.share": sync_share,
        "sync.imin": sync_imin,
        "sync.imax": sync_imax,
        "sync.hop_limit": sync_hop_limit,
        "sync.witness_gap": sync_witness_gap,
        "mqtt.url": mqtt_kw.get("mqtt_url"),
    }
    if hub_radio:
        radio_service = importlib.import_module("radio.service")
        policy = radio_service.desk_policy(
            ack_timeout=desk_ack_timeout, max_pages=desk_max_pages, overdue_grace=desk_overdue_grace
        )
        daemon.services.append(
            radio_service.RadioService(
                hub_radio, policy=policy, tick=desk_tick, channel=desk_channel
            )
        )
    if sync_share > 0 and sync_imin <= sync_imax:
        policy = SyncPolicy(
            imin=sync_imin, imax=sync_imax, share=sync_share, hop_limit=sync_hop_limit
        )
        daemon.services.append(SyncService(policy))
        daemon.services.append(
            WitnessService(min_gap=sync_witness_gap)
        )  # cosigns what sync brings in
    elif sync_imin > sync_imax:
        raise InputError("--sync-imin must not be longer than --sync-imax")
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
