"""One setting: its name, type, default, help, environment variable and the checks on it.

A value reaches a setting from the command line, the environment, the config file or the
default. Text (command line, environment) goes through :meth:`Setting.parse_text`, a TOML
value through :meth:`Setting.check`; both end in the same bounds, choices and ``parse``
check, so a value means the same and is refused the same wherever it came from.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hub.errors import InputError

__all__ = ["FILE_SECTIONS", "SECTIONS", "TYPE_NAMES", "Setting", "SettingsError"]

SECTIONS = ("hub", "desk", "assembly", "sync", "mqtt", "portal", "privacy", "deploy")
"""Every section of the table, in the order the docs list them."""

FILE_SECTIONS = ("hub", "desk", "assembly", "sync", "mqtt", "portal", "privacy")
"""Sections the config file may hold: what ``canopy run`` and ``canopy portal`` read.
The deploy settings are options of ``canopy deploy render`` only."""

TYPE_NAMES: dict[type, str] = {str: "string", int: "integer", float: "number", Path: "path"}


class SettingsError(InputError):
    """A setting's value, or the config file, is wrong; the message names the key and where."""


@dataclass(frozen=True, slots=True)
class Setting:
    """One row of the settings table.

    ``env`` is the environment variable ("" for none; ``None`` means the usual
    ``CANOPY_<SECTION>_<NAME>``); ``flag`` the command-line option (``None``: the usual
    ``--<section>-<name>``). ``parse`` checks and normalises a typed value further and
    raises :class:`ValueError` with the reason. ``shown_default`` is how a default that is
    computed at run time (``None`` here) reads in ``--help`` and the docs.
    """

    section: str
    name: str
    type: type
    default: object
    help: str
    env: str | None = None
    flag: str | None = None
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    parse: Callable[[object], object] | None = None
    multiple: bool = False
    metavar: str | None = None
    shown_default: str | None = None

    def __post_init__(self) -> None:
        if self.section not in SECTIONS:
            raise ValueError(f"setting {self.name}: unknown section {self.section!r}")
        if self.type not in TYPE_NAMES:
            raise ValueError(f"setting {self.key}: unsupported type {self.type!r}")

    @property
    def key(self) -> str:
        """``section.name``: the key in the config file (``[section]`` then ``name = …``)."""
        return f"{self.section}.{self.name}"

    @property
    def dest(self) -> str:
        """The keyword argument a command receives the value as."""
        return f"{self.section}_{self.name}"

    @property
    def option(self) -> str:
        return self.flag or f"--{self.section}-{self.name.replace('_', '-')}"

    @property
    def env_var(self) -> str | None:
        if self.env is None:
            return f"CANOPY_{self.section}_{self.name}".upper()
        return self.env or None

    @property
    def in_file(self) -> bool:
        return self.section in FILE_SECTIONS

    @property
    def type_name(self) -> str:
        name = TYPE_NAMES[self.type]
        return f"list of {name}s" if self.multiple else name

    @property
    def default_text(self) -> str | None:
        """The default as shown to people, or None when there is none."""
        if self.shown_default is not None:
            return self.shown_default
        if self.default is None or self.default == ():
            return None
        return str(self.default)

    @property
    def bounds_text(self) -> str:
        """Allowed values in words: ``1 to 3600``, ``one of a, b``, or ""."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        lo, hi = self.min, self.max

        def fmt(v: float) -> str:
            return str(int(v)) if self.type is int else f"{v:g}"

        if lo is not None and hi is not None:
            return f"{fmt(lo)} to {fmt(hi)}"
        if lo is not None:
            return f"at least {fmt(lo)}"
        if hi is not None:
            return f"at most {fmt(hi)}"
        return ""

    # ------------------------------------------------------------------ checking values

    def parse_text(self, text: str) -> object:
        """One value from text (a command-line option or environment variable).

        :raises ValueError: with the reason, for the caller to name the source.
        """
        value: object
        if self.type is int:
            try:
                value = int(text.strip())
            except ValueError:
                raise ValueError(f"{text!r} is not an integer") from None
        elif self.type is float:
            try:
                value = float(text.strip())
            except ValueError:
                raise ValueError(f"{text!r} is not a number") from None
        else:
            value = text
        return self._checked(value)

    def check(self, value: object) -> object:
        """A value read from the config file (TOML types), whole: a list when ``multiple``.

        :raises ValueError: saying which type was expected and what came instead.
        """
        if self.multiple:
            if not isinstance(value, list):
                raise ValueError(f"expected a {self.type_name}, got {_describe(value)}")
            return tuple(self._one(v) for v in value)
        return self._one(value)

    def _one(self, value: object) -> object:
        want = TYPE_NAMES[self.type]
        want = f"an {want}" if want[0] in "aeiou" else f"a {want}"
        if isinstance(value, bool):  # TOML booleans are ints to Python; never a number here
            raise ValueError(f"expected {want}, got {_describe(value)}")
        fits = {
            float: isinstance(value, int | float),
            int: isinstance(value, int),
            str: isinstance(value, str),
            Path: isinstance(value, str),
        }
        if not fits[self.type]:
            raise ValueError(f"expected {want}, got {_describe(value)}")
        if self.type is float:
            value = float(value)  # type: ignore[arg-type]
        return self._checked(value)

    def _checked(self, value: object) -> object:
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{value} is not a finite number")
        if isinstance(value, str) and any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            raise ValueError("control characters are not allowed")
        if self.choices and value not in self.choices:
            raise ValueError(f"{value!r} is not {self.bounds_text}")
        low = self.min is not None and isinstance(value, int | float) and value < self.min
        high = self.max is not None and isinstance(value, int | float) and value > self.max
        if low or high:
            raise ValueError(f"{value} is out of range ({self.bounds_text})")
        if self.type is Path and isinstance(value, str):
            if not value:
                raise ValueError("an empty path")
            value = Path(value).expanduser()
        if self.parse is not None:
            value = self.parse(value)
        return value


def _describe(value: object) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list"}
    kind = names.get(type(value), "table" if isinstance(value, dict) else type(value).__name__)
    shown = repr(value)
    return f"{kind} {shown[:40]}{'…' if len(shown) > 40 else ''}"
