"""One settings table for the hub daemon, MQTT, the portal, the radio desk and deploy.

:mod:`hub.settings.table` defines every setting once (name, type, default, help,
environment variable, checks); :mod:`hub.settings.config` reads the TOML config file and
applies the precedence (option > environment > file > default); :mod:`hub.settings.docs`
writes docs/settings.md; the click options are made in :mod:`hub.cli.options`. No I/O
library beyond ``tomllib`` and reading a file.
"""

from __future__ import annotations

from hub.settings.config import load_file, parse_file, resolve
from hub.settings.model import FILE_SECTIONS, SECTIONS, Setting, SettingsError
from hub.settings.table import SETTINGS, by_key, select

__all__ = [
    "FILE_SECTIONS",
    "SECTIONS",
    "SETTINGS",
    "Setting",
    "SettingsError",
    "by_key",
    "load_file",
    "parse_file",
    "resolve",
    "select",
]
