"""``canopy radio …``: look at a Meshtastic radio through the adapter (thin click layer)."""

from __future__ import annotations

import contextlib
import json
import sys

import click

from radio.adapter import format_info, read_radio_info
from radio.errors import RadioInputError, RadioTransportError

RADIO_URL_HELP = "serial:///dev/ttyUSB0, tcp://HOST[:PORT] (default port 4403) or ble://NAME"


@click.group("radio")
def radio_group() -> None:
    """Talk to a Meshtastic radio."""


@radio_group.command("info")
@click.option("--radio", "radio_url", required=True, envvar="CANOPY_RADIO", help=RADIO_URL_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option(
    "--timeout", default=15.0, show_default=True, help="Seconds to wait for the radio's config."
)
def info_cmd(radio_url: str, as_json: bool, timeout: float) -> None:
    """Print what the radio reports: node number, names, firmware, region/preset, channels,
    nodes heard."""
    try:
        # The meshtastic library prints to stdout on some failures; keep stdout for our output.
        with contextlib.redirect_stdout(sys.stderr):
            info = read_radio_info(radio_url, timeout)
    except RadioInputError as e:
        raise click.BadParameter(str(e), param_hint="--radio") from e
    except RadioTransportError as e:
        raise click.ClickException(str(e)) from e
    if as_json:
        click.echo(json.dumps(info.to_dict(), indent=2, sort_keys=True))
    else:
        click.echo(format_info(info))
