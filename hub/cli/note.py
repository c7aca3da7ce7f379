"""`canopy note`: the everyday write, kept to the modules a write needs.

Its own module (not with the `log` group) so that a note written with no daemon, under the
lock, loads the signing and storing path and nothing for showing, exporting or verifying:
on a Pi every module imported is start-up time. Its plain forms do not even load click
(:mod:`hub.cli.entry`); this command is what every other form gets.
"""

from __future__ import annotations

from pathlib import Path

import click

from hub.cli.common import data_option, handle_errors
from hub.cli.entry import record_note


@click.command("note")
@click.argument("text")
@data_option
@handle_errors
def note_cmd(text: str, data: Path | None) -> None:
    """Append a signed note by the hub operator; print its position."""
    click.echo(f"note recorded at index {record_note(text, data)}")
