"""The config file (TOML) and the order in which values win.

A config file holds sections named after the table's (``[hub]``, ``[desk]``, ``[mqtt]``,
``[portal]``), each with keys from the table::

    [hub]
    data = "/var/lib/canopy"
    radio = "serial:///dev/ttyUSB0"

    [desk]
    ack_timeout = 90

Anything else is refused, naming the file and the key: an unknown section or key, a key
outside a section, a value of the wrong type or out of range. A file that does not parse
is refused too. Nothing is ever silently ignored: a typo must not turn into a default.

Precedence, strongest first: command-line option, environment variable, config file,
default (:func:`resolve`; the CLI layer hands in the first two together).
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

from hub.settings.model import FILE_SECTIONS, Setting, SettingsError
from hub.settings.table import SETTINGS

__all__ = ["load_file", "parse_file", "resolve"]


def load_file(path: Path) -> dict[str, object]:
    """Read and check a config file: ``{"section.name": value}``.

    :raises SettingsError: the file cannot be read, is not TOML, or holds a bad key/value.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise SettingsError(f"config file {path}: not UTF-8 text ({e.reason})") from e
    except OSError as e:
        raise SettingsError(f"config file {path}: cannot read it: {e.strerror or e}") from e
    return parse_file(text, str(path))


def parse_file(text: str, where: str = "<config>") -> dict[str, object]:
    """Check the text of a config file; ``where`` names it in errors. See :func:`load_file`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SettingsError(f"config file {where}: not valid TOML: {e}") from e
    known = {s.key: s for s in SETTINGS if s.in_file}
    sections = ", ".join(f"[{n}]" for n in FILE_SECTIONS)
    values: dict[str, object] = {}
    for section, table in data.items():
        if not isinstance(table, dict):
            raise SettingsError(
                f"config file {where}: key {section!r} must be inside a section ({sections})"
            )
        if section not in FILE_SECTIONS:
            raise SettingsError(
                f"config file {where}: unknown section [{section}]{_hint(section, FILE_SECTIONS)}"
                f"; known: {sections}"
            )
        for name, value in table.items():
            key = f"{section}.{name}"
            setting = known.get(key)
            if setting is None:
                names = [k.split(".", 1)[1] for k in known if k.startswith(section + ".")]
                raise SettingsError(
                    f"config file {where}: unknown key {key!r}{_hint(name, names)}"
                    " (every setting: docs/settings.md)"
                )
            try:
                values[key] = setting.check(value)
            except ValueError as e:
                raise SettingsError(f"config file {where}: {key}: {e}") from e
    return values


def _hint(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def resolve(
    settings: Iterable[Setting],
    given: Mapping[str, object],
    file_values: Mapping[str, object],
) -> dict[str, object]:
    """The value of each setting: ``given`` (command line or environment, already checked)
    over ``file_values`` (from :func:`load_file`) over the default. Keys are
    ``section.name``; ``None`` or an empty tuple in ``given`` counts as not given."""
    out: dict[str, object] = {}
    for s in settings:
        value = given.get(s.key)
        if value is not None and value != ():
            out[s.key] = value
        elif s.key in file_values:
            out[s.key] = file_values[s.key]
        else:
            out[s.key] = s.default
    return out
