"""Write a config file: every setting of the chosen sections, with its help as a comment.

Settings given a value are written as ``key = value``; the others appear commented out
with their default, so the file doubles as a list of what can be set. ``tomllib`` reads
it back to the same values (a test keeps it so).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from hub.settings.model import Setting

__all__ = ["dumps", "toml_value"]


def toml_value(value: object) -> str:
    """One value in TOML syntax: strings (JSON escapes are valid TOML), numbers, lists."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def dumps(settings: Iterable[Setting], values: Mapping[str, object]) -> str:
    """The config file text; ``values`` maps ``section.name`` to what to set."""
    lines: list[str] = []
    section = None
    for s in settings:
        if s.section != section:
            section = s.section
            lines += [*([""] if lines else []), f"[{section}]"]
        lines.append(f"# {s.help}")
        value = values.get(s.key)
        if value is not None and value != ():
            lines.append(f"{s.name} = {toml_value(value)}")
        elif s.default is not None and s.default != ():
            lines.append(f"# {s.name} = {toml_value(s.default)}")
        else:
            unset = f"unset: {s.shown_default}" if s.shown_default else "unset"
            lines.append(f"# {s.name} = ({unset})")
    return "\n".join(lines) + "\n"
