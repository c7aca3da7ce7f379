"""The `canopy` command line: a thin click layer that parses options and calls the hub's API.

Commands from other rooms (`sim`, `portal`, `deploy`, …) are loaded lazily by name so
that `canopy --help` stays fast and `hub` never imports `radio` or `portal` at import time.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

# name -> "module:attribute" of a click command; loaded on first use.
LAZY_COMMANDS: dict[str, str] = {
    "init": "hub.cli.log:init_cmd",
    "id": "hub.cli.log:id_cmd",
    "note": "hub.cli.log:note_cmd",
    "log": "hub.cli.log:log_group",
    "checkpoint": "hub.cli.log:checkpoint_cmd",
    "run": "hub.cli.run:run_cmd",
    "sim": "radio.sim.cli:sim_cmd",
    "demo": "radio.demo:demo_cmd",
    "radio": "radio.cli:radio_group",
    "deploy": "hub.deploy.cli:deploy_group",
    "sticker": "hub.deploy.cli:sticker_cmd",
    "portal": "portal.cli:portal_cmd",
    "charter": "hub.cli.content:charter_group",
    "protocol": "hub.cli.content:protocol_group",
    "partner": "hub.cli.content:partner_group",
    "nodes": "hub.cli.nodes:nodes_cmd",
    "roster": "hub.cli.roster:roster_group",
    "alert": "hub.cli.roster:alert_cmd",
    "alerts": "hub.cli.roster:alerts_cmd",
    "peer": "hub.cli.peer:peer_group",
    "sync": "hub.cli.peer:sync_group",
    "correct": "hub.cli.audit:correct_cmd",
    "audit": "hub.cli.audit:audit_cmd",
    "kit": "hub.cli.kit:kit_group",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported only when invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS:
            module_name, attr = LAZY_COMMANDS[cmd_name].split(":")
            module = importlib.import_module(module_name)
            command: Any = getattr(module, attr)
            if not isinstance(command, click.Command):
                raise TypeError(f"{LAZY_COMMANDS[cmd_name]} is not a click command")
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="canopy-hub", prog_name="canopy")
def main() -> None:
    """Canopy: an offline neighbourhood-safety hub.

    Every command takes --data DIR (default: $CANOPY_DATA, else ~/.local/share/canopy).
    """
