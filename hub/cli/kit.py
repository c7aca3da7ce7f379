"""`canopy kit export` and `canopy kit import`: a kit another neighbourhood can start from.

The composition root for the kit: the steward card is the radio command language, so it is
read from :mod:`radio.desk.texts` here, inside the command (``hub`` never imports ``radio``
at import time).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from hub.cli.common import data_option, get_datadir, handle_errors
from hub.cli.options import settings_options
from hub.daemon import open_writer
from hub.errors import HubError, InputError
from hub.kit import (
    CARRIED,
    LANGUAGES,
    Kit,
    build_kit,
    collect,
    personal_data,
    plan,
    read_kit,
    steward_card,
    translations,
)
from hub.local import DataDir, atomic_write, load_identity, load_signing_key
from hub.log import LogView
from hub.settings import by_key
from hub.state import HubState

KIT_FILE = "kit.json"  # the last export, in the data directory: the portal's /kit serves it
PENDING_FILE = "kit-pending.json"  # imported before `canopy init`, published by it


def steward_cards() -> tuple[str, dict[str, Any]]:
    """The steward card in the default language, and the kit's ``translations``."""
    from radio.desk import HELP, HELP_COORD

    return steward_card(LANGUAGES[0], HELP, HELP_COORD), translations(HELP, HELP_COORD)


@click.group("kit")
def kit_group() -> None:
    """A signed kit another neighbourhood can start from (no people in it)."""


@kit_group.command("export")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@settings_options(*CARRIED.values())
@data_option
@handle_errors
def export_cmd(out: Path, data: Path | None, **settings: int) -> None:
    """Write the kit: charter, protocols, vow templates, compact, roles, settings, card."""
    dd = get_datadir(data)
    ident = load_identity(dd)
    view = LogView(dd)
    state = HubState(view.own_feed)
    for e in view.entries():
        state.apply(e)
    card, translated = steward_cards()
    carried = {name: settings[key.replace(".", "_")] for name, key in CARRIED.items()}
    contents = collect(view, state, card, carried, translated)
    found = personal_data(contents, set(state.roster.members))
    if found:
        raise InputError("not exported, the kit would carry personal data: " + "; ".join(found))
    blob = build_kit(
        contents,
        ident.name,
        ident.verifier.to_string(),
        load_signing_key(dd, ident),
        int(time.time()),
    )
    try:
        atomic_write(out, blob)
        atomic_write(dd.root / KIT_FILE, blob)
    except OSError as e:
        raise InputError(f"cannot write {out}: {e.strerror}") from e
    n = len(contents["protocols"])
    click.echo(f"kit written to {out}: charter, {n} protocols, roles, settings, steward card")


@kit_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before publishing.")
@data_option
@handle_errors
def import_cmd(file: Path, yes: bool, data: Path | None) -> None:
    """Verify a kit and publish it as this hub's own signed entries, noting its origin.

    Before `canopy init` the verified kit is kept in the data directory, and `canopy init`
    publishes it once the hub has its key."""
    dd = get_datadir(data)
    try:
        blob = file.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read {file}: {e.strerror}") from e
    kit = read_kit(blob)
    steps = plan(kit)
    click.echo(f"Kit from {kit.origin} (sha256 {kit.digest[:16]}…), signature verified.")
    click.echo("This hub will publish, as its own signed entries:")
    for s in steps:
        click.echo(f"  - {s.says}")
    for name, value in sorted(kit.contents.get("settings", {}).items()):
        click.echo(f"  - setting {name} = {value}")
    if not yes and not click.confirm("Publish these?", default=False):
        raise click.ClickException("nothing was published")
    if not dd.identity.exists():
        try:
            dd.root.mkdir(parents=True, exist_ok=True, mode=0o750)
            atomic_write(dd.root / PENDING_FILE, blob)
        except OSError as e:
            raise InputError(f"cannot keep the kit in {dd.root}: {e.strerror}") from e
        click.echo(
            f"No hub in {dd.root} yet: the kit is kept there and published by "
            f"`canopy init --name NAME --data {dd.root}`."
        )
        return
    publish_kit(dd, kit)


def publish_pending(dd: DataDir) -> None:
    """After `canopy init`: publish a kit imported before it (see :func:`import_cmd`)."""
    path = dd.root / PENDING_FILE
    if not path.exists():
        return
    try:
        kit = read_kit(path.read_bytes())
    except (OSError, HubError) as e:
        raise InputError(f"the kit kept in {path} was not published: {e}; import it again") from e
    publish_kit(dd, kit)
    path.unlink()


def publish_kit(dd: DataDir, kit: Kit) -> None:
    steps = plan(kit)
    with open_writer(dd) as w:
        first = None
        for s in steps:
            res = w.append(s.kind, s.fields)
            first = res["index"] if first is None else first
    carried = kit.contents.get("settings", {})
    for name, key in CARRIED.items():
        value, setting = carried.get(name), by_key(key)
        if isinstance(value, int) and value != setting.default:
            click.echo(
                f"The kit sets {name} = {value}: to do the same, put "
                f"'{setting.name} = {value}' under [{setting.section}] in this hub's config "
                f"file (or use {setting.option} / {setting.env_var})."
            )
    click.echo(f"published {len(steps)} entries of the kit of {kit.origin} from #{first}")
