"""`canopy nodes`: list the Meshtastic nodes the hub has heard, over radio or MQTT."""

from __future__ import annotations

from pathlib import Path

import click

from hub.cli.common import data_option, echo_json, get_datadir, handle_errors
from hub.local import read_nodes
from hub.log import iso_time


@click.command("nodes")
@data_option
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
@handle_errors
def nodes_cmd(data: Path | None, as_json: bool) -> None:
    """List heard nodes, most recent first. Names are claims, never authenticated."""
    datadir = get_datadir(data)
    datadir.require_initialised()
    nodes = read_nodes(datadir)
    if as_json:
        echo_json([n.to_json() for n in nodes])
        return
    if not nodes:
        click.echo("no nodes heard yet")
        return
    click.echo(f"{'id':<10} {'short':<8} {'long name':<40} {'last heard':<20} via")
    for n in nodes:
        click.echo(
            f"{n.node_id:<10} {n.short_name:<8} {n.long_name:<40} "
            f"{iso_time(n.last_heard):<20} {n.via}"
        )
