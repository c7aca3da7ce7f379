"""Click options made from the settings table, and ``--config FILE``.

``@settings_options("hub", "desk", "mqtt")`` adds ``--config`` and one option per setting
of those sections (or single keys such as ``"hub.data"``), with the table's help, default
and environment variable. The command then receives every setting as a keyword argument
named ``<section>_<name>`` (``desk_ack_timeout``), already resolved: option, else
environment variable (click reads it, through the same check), else config file, else
default. A bad config file is a one-line error and exit code 1, like any other bad input.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from hub.settings import Setting, SettingsError, load_file, resolve, select

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["SettingParam", "option_help", "setting_option", "settings_options"]


class SettingParam(click.ParamType):  # type: ignore[type-arg]
    """Converts option and environment text with :meth:`Setting.parse_text`."""

    def __init__(self, setting: Setting) -> None:
        self.setting = setting
        self.name = setting.metavar or _METAVARS[setting.type]

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):  # a default, or already converted
            return value
        try:
            return self.setting.parse_text(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return self.name.upper()


_METAVARS: dict[type, str] = {str: "TEXT", int: "INTEGER", float: "NUMBER", Path: "PATH"}


def option_help(s: Setting) -> str:
    """The table's help, then default, allowed values and environment variable."""
    extra = [f"default: {s.default_text}"] if s.default_text else []
    extra += [s.bounds_text] if s.bounds_text else []
    extra += [f"env: {s.env_var}"] if s.env_var else []
    return f"{s.help}  [{'; '.join(extra)}]" if extra else s.help


def setting_option(s: Setting) -> Callable[[F], F]:
    """One click option for ``s``; its value is None (or ``()``) unless given."""
    return click.option(
        s.option,
        s.dest,
        type=SettingParam(s),
        default=None,
        multiple=s.multiple,
        envvar=s.env_var,
        help=option_help(s),
    )


CONFIG_HELP = (
    "TOML settings file (docs/settings.md); options and environment variables win over it."
    "  [env: CANOPY_CONFIG]"
)


def settings_options(*names: str) -> Callable[[F], F]:
    """Add ``--config`` and the options of the named sections or keys (see module doc)."""
    chosen = select(*names)

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            config: Path | None = kwargs.pop("config", None)
            given = {s.key: kwargs.pop(s.dest, None) for s in chosen}
            try:
                from_file = load_file(config) if config is not None else {}
                values = resolve(chosen, given, from_file)
            except SettingsError as e:
                raise click.ClickException(str(e)) from e
            kwargs.update({s.dest: values[s.key] for s in chosen})
            return fn(*args, **kwargs)

        decorated: Callable[..., Any] = wrapper
        for s in reversed(chosen):
            decorated = setting_option(s)(decorated)
        decorated = click.option(
            "--config",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            envvar="CANOPY_CONFIG",
            help=CONFIG_HELP,
        )(decorated)
        return decorated  # type: ignore[return-value]

    return decorate
