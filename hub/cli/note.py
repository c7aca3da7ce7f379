"""`canopy note`: the everyday write, kept to the modules a write needs.

Its own module (not with the `log` group) so that a note written with no daemon, under the
lock, loads the signing and storing path and nothing for showing, exporting or verifying:
on a Pi every module imported is start-up time.
"""

from __future__ import annotations

from pathlib import Path

import click

from hub.cli.common import data_option, get_datadir, handle_errors
from hub.daemon import open_writer


@click.command("note")
@click.argument("text")
@data_option
@handle_errors
def note_cmd(text: str, data: Path | None) -> None:
    """Append a signed note by the hub operator; print its position."""
    with open_writer(get_datadir(data)) as w:
        res = w.append("note", {"text": text})
    click.echo(f"note recorded at index {res['index']}")
