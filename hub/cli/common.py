"""Options and error handling shared by every `canopy` command."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from hub.cli.entry import EXIT_BUSY as EXIT_BUSY
from hub.cli.entry import failure
from hub.errors import HubError
from hub.local import DataDir, default_data_dir
from hub.settings import by_key

F = TypeVar("F", bound=Callable[..., Any])


def data_option(fn: F) -> F:
    """Add ``--data DIR`` (default ``$CANOPY_DATA``, else ~/.local/share/canopy).

    The help is the table's (``hub.data``); ``canopy run`` and ``canopy portal`` get the
    option from :func:`hub.cli.options.settings_options` instead, with ``--config``.
    """
    s = by_key("hub.data")
    return click.option(
        s.option,
        "data",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=f"{s.help} [default: ${s.env_var} or {s.shown_default}]",
    )(fn)


def get_datadir(data: Path | None) -> DataDir:
    return DataDir(data if data is not None else default_data_dir())


def handle_errors(fn: F) -> F:
    """Turn hub errors into a one-line message on stderr and the non-zero exit
    :func:`hub.cli.entry.failure` names for them (the fast `canopy note` uses it too)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except HubError as e:
            message, code = failure(e)
            if code == 1:
                raise click.ClickException(str(e)) from e
            click.echo(message, err=True)
            sys.exit(code)

    return wrapper  # type: ignore[return-value]


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, sort_keys=False))


def setup_logging(verbose: bool) -> None:
    import logging  # here: a one-shot command never logs, and logging costs it start-up

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
