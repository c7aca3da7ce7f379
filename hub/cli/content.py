"""`canopy charter set`, `canopy protocol set` and `canopy partner add`: the portal's texts.

Each command appends a signed entry (``charter``, ``protocol``, ``vow``) through the
daemon if it runs, else under the writer lock. The portal shows the latest entry of each
(per protocol slug, per partner name), rendered from Markdown and sanitised.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from hub.cli.common import data_option, echo_json, get_datadir, handle_errors
from hub.cli.mandate import rules_of
from hub.cli.options import settings_options
from hub.daemon import open_writer
from hub.errors import InputError
from hub.log import BY_NAME, FieldValue, iso_time

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def _max_len(kind: str, field: str) -> int:
    return next(f.max_len for f in BY_NAME[kind].fields if f.name == field)


def read_text(path: Path, limit: int) -> str:
    """Read a UTF-8 Markdown file of at most ``limit`` bytes; raises :class:`InputError`."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from e
    if len(data) > limit:
        raise InputError(f"{path} is {len(data)} bytes; the limit is {limit}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{path} is not UTF-8 text: {e}") from e
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    if not text.strip():
        raise InputError(f"{path} is empty")
    return text


def _append(data: Path | None, kind: str, fields: dict[str, FieldValue]) -> int:
    with open_writer(get_datadir(data)) as w:
        res = w.append(kind, fields)
    return int(res["index"])


@click.group("charter")
def charter_group() -> None:
    """Publish the charter shown on the portal."""


@charter_group.command("set")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@data_option
@handle_errors
def charter_set(file: Path, data: Path | None) -> None:
    """Sign FILE (Markdown) into the log as the charter, until the assembly ratifies one."""
    text = read_text(file, _max_len("charter", "text"))
    with open_writer(get_datadir(data)) as w:  # refused once the assembly ratified one
        index = int(w.request("charter_set", text=text)["index"])
    click.echo(f"charter recorded at index {index}")


@charter_group.command("propose")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--closes", default=None, help="When the vote closes: 7d or 2027-01-31T18:00.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@settings_options("assembly")
@data_option
@handle_errors
def charter_propose(
    file: Path, closes: str | None, as_json: bool, data: Path | None, **kw: Any
) -> None:
    """Open an assembly vote on FILE as the charter (the same text again ratifies it)."""
    text = read_text(file, _max_len("charter", "text"))
    with open_writer(get_datadir(data)) as w:
        res = w.request(
            "mandate_propose", what="charter", text=text, closes=closes, rules=rules_of(kw)
        )
    if as_json:
        echo_json({k: v for k, v in res.items() if k != "ok"})
        return
    click.echo(f"vote #{res['vote']} on the charter, open until {iso_time(res['closes'])}")


@click.group("protocol")
def protocol_group() -> None:
    """Publish protocols (de-escalation; when and how outside help is called)."""


@protocol_group.command("set")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@data_option
@handle_errors
def protocol_set(slug: str, file: Path, data: Path | None) -> None:
    """Sign FILE (Markdown) into the log as protocol SLUG (e.g. de-escalation)."""
    if not SLUG_RE.match(slug):
        raise InputError("SLUG must be 1-64 characters: a-z, 0-9 and -, not starting with -")
    text = read_text(file, _max_len("protocol", "text"))
    index = _append(data, "protocol", {"slug": slug, "text": text})
    click.echo(f"protocol {slug!r} recorded at index {index}")


@click.group("partner")
def partner_group() -> None:
    """Partner shops and the vows they made."""


@partner_group.command("add")
@click.option(
    "--name", required=True, help="The partner shop's name (this hub's own name for its vow)."
)
@click.option("--vow", required=True, help="The vow (Markdown), or @FILE to read it from a file.")
@data_option
@handle_errors
def partner_add(name: str, vow: str, data: Path | None) -> None:
    """Sign a partner shop's vow into the log; a later vow for the same name replaces it."""
    name = " ".join(name.split())
    if not name:
        raise InputError("--name must not be empty")
    limit = _max_len("vow", "text")
    text = read_text(Path(vow[1:]), limit) if vow.startswith("@") else vow
    if not text.strip():
        raise InputError("--vow must not be empty")
    index = _append(data, "vow", {"name": name, "text": text})
    click.echo(f"vow of {name!r} recorded at index {index}")
