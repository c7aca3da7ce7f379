"""Options and error handling shared by every `canopy` command."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from hub.errors import Busy, HubError, VerifyError
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


EXIT_BUSY = 75  # EX_TEMPFAIL: nothing was done; the same command may work in a moment


def handle_errors(fn: F) -> F:
    """Turn hub errors into a one-line message on stderr and a non-zero exit.

    The class says which exit: a :class:`Busy` hub exits :data:`EXIT_BUSY` (retry), a log
    that does not verify 2, anything else (bad input, a refusal) 1.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except VerifyError as e:
            click.echo(f"FAILED: {e}", err=True)
            sys.exit(2)
        except Busy as e:
            click.echo(f"Error: {e}", err=True)
            sys.exit(EXIT_BUSY)
        except HubError as e:
            raise click.ClickException(str(e)) from e

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
