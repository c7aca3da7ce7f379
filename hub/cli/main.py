"""The `canopy` command line: a thin click layer that parses options and calls the hub's API.

Commands are loaded lazily by name: running one imports only its own module, and
`canopy --help` imports none (their one-line summaries are below, and a test keeps them equal
to the commands' own), so it answers at once even on a Pi Zero, and `hub` never imports
`radio` or `portal` at import time.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

# name -> "module:attribute" of a click command; loaded on first use.
LAZY_COMMANDS: dict[str, str] = {
    "init": "hub.cli.log:init_cmd",
    "id": "hub.cli.log:id_cmd",
    "note": "hub.cli.note:note_cmd",
    "log": "hub.cli.log:log_group",
    "checkpoint": "hub.cli.witness:checkpoint_cmd",
    "witness": "hub.cli.witness:witness_group",
    "poster": "hub.cli.witness:poster_cmd",
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
    "mandate": "hub.cli.mandate:mandate_group",
    "review": "hub.cli.review:review_group",
    "report": "hub.cli.review:report_cmd",
    "retention": "hub.cli.review:retention_group",
}


# name -> the command's one-line summary, for `canopy --help` without importing it.
SUMMARIES: dict[str, str] = {
    "init": "Create the hub identity (Ed25519 key) and settings.",
    "id": "Show the hub's name, feed key, verifier key and checkpoint origin.",
    "note": "Append a signed note by the hub operator; print its position.",
    "log": "Show, export, verify and prove the signed log.",
    "checkpoint": (
        "Print the current signed checkpoint (C2SP tlog-checkpoint note) with its cosignatures."
    ),
    "witness": "Hubs cosign each other's checkpoints: who witnessed whom, and what was refused.",
    "poster": "Make the shop-window poster: the cosigned checkpoint as a QR code and text (A4).",
    "run": "Run the hub daemon: the single writer of the data directory.",
    "sim": "Run a simulated LoRa mesh; node i is a Meshtastic TCP node on BASE_PORT+i.",
    "demo": "Run a simulated neighbourhood: virtual radios, a hub, its portal and MQTT.",
    "radio": "Talk to a Meshtastic radio.",
    "deploy": "Render and install the system files that make a Raspberry Pi a hub.",
    "sticker": "Make the shop-window sticker: a QR code that opens the portal.",
    "portal": "Serve the captive portal: nginx in front of gunicorn.",
    "charter": "Publish the charter shown on the portal.",
    "protocol": "Publish protocols (de-escalation; when and how outside help is called).",
    "partner": "Partner shops and the vows they made.",
    "nodes": "List heard nodes, most recent first.",
    "roster": "Enrol stewards and coordinators, list and revoke them.",
    "alert": "Send an alert to every radio (or cancel one with --cancel N).",
    "alerts": "Show alerts, newest first, with who acknowledged and when.",
    "peer": "Federate with other hubs: they keep each other's signed logs.",
    "sync": "Hub-to-hub sync over the mesh.",
    "correct": (
        "Sign a correction of entry INDEX; the original stays, marked corrected (or retracted)."
    ),
    "audit": "Patrol, incidents, alerts, overdue, corrections and roles over a period, all feeds.",
    "kit": "A signed kit another neighbourhood can start from (no people in it).",
    "mandate": "Mandates from the assembly: propose a role for a term, list votes and terms.",
    "review": "The review key: who can read sealed details, and reading them.",
    "report": "Record an incident: category and place public, details sealed.",
    "retention": "Destroy the keys of sealed details past the retention period.",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported only when invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from :data:`SUMMARIES`: no command module is imported."""
        rows = [(name, SUMMARIES.get(name, "")) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

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
