"""One settings table for the hub daemon, MQTT, the portal, the radio desk and deploy.

:mod:`hub.settings.table` defines every setting once (name, type, default, help,
environment variable, checks); :mod:`hub.settings.config` reads the TOML config file and
applies the precedence (option > environment > file > default); :mod:`hub.settings.docs`
writes docs/settings.md; the click options are made in :mod:`hub.cli.options`. No I/O
library beyond ``tomllib`` and reading a file.

Names are loaded from their modules on first use (:mod:`hub.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from hub.settings.config import load_file as load_file
    from hub.settings.config import parse_file as parse_file
    from hub.settings.config import resolve as resolve
    from hub.settings.defaults import ACK_TIMEOUT as ACK_TIMEOUT
    from hub.settings.defaults import CHARTER_CHANGES as CHARTER_CHANGES
    from hub.settings.defaults import CONFIG_PATH as CONFIG_PATH
    from hub.settings.defaults import MAX_PAGES as MAX_PAGES
    from hub.settings.defaults import OVERDUE_GRACE as OVERDUE_GRACE
    from hub.settings.defaults import PRIVACY_CATEGORIES as PRIVACY_CATEGORIES
    from hub.settings.defaults import PRIVACY_DELAY as PRIVACY_DELAY
    from hub.settings.defaults import PRIVACY_RETENTION_DAYS as PRIVACY_RETENTION_DAYS
    from hub.settings.defaults import REMIND_DAYS as REMIND_DAYS
    from hub.settings.defaults import SYNC_HOP_LIMIT as SYNC_HOP_LIMIT
    from hub.settings.defaults import SYNC_IMAX as SYNC_IMAX
    from hub.settings.defaults import SYNC_IMIN as SYNC_IMIN
    from hub.settings.defaults import SYNC_SHARE as SYNC_SHARE
    from hub.settings.defaults import TERM_LIMIT as TERM_LIMIT
    from hub.settings.defaults import VOTE_DAYS as VOTE_DAYS
    from hub.settings.defaults import VOTE_MAJORITY as VOTE_MAJORITY
    from hub.settings.defaults import VOTE_QUORUM as VOTE_QUORUM
    from hub.settings.defaults import WITNESS_GAP as WITNESS_GAP
    from hub.settings.docs import render as render
    from hub.settings.model import FILE_SECTIONS as FILE_SECTIONS
    from hub.settings.model import SECTIONS as SECTIONS
    from hub.settings.model import Setting as Setting
    from hub.settings.model import SettingsError as SettingsError
    from hub.settings.table import SETTINGS as SETTINGS
    from hub.settings.table import by_key as by_key
    from hub.settings.table import select as select
    from hub.settings.toml import dumps as dumps

__all__ = [
    "ACK_TIMEOUT",
    "CHARTER_CHANGES",
    "CONFIG_PATH",
    "FILE_SECTIONS",
    "MAX_PAGES",
    "OVERDUE_GRACE",
    "PRIVACY_CATEGORIES",
    "PRIVACY_DELAY",
    "PRIVACY_RETENTION_DAYS",
    "REMIND_DAYS",
    "SECTIONS",
    "SETTINGS",
    "SYNC_HOP_LIMIT",
    "SYNC_IMAX",
    "SYNC_IMIN",
    "SYNC_SHARE",
    "TERM_LIMIT",
    "VOTE_DAYS",
    "VOTE_MAJORITY",
    "VOTE_QUORUM",
    "WITNESS_GAP",
    "Setting",
    "SettingsError",
    "by_key",
    "dumps",
    "load_file",
    "parse_file",
    "render",
    "resolve",
    "select",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "load_file": "hub.settings.config",
        "parse_file": "hub.settings.config",
        "resolve": "hub.settings.config",
        "ACK_TIMEOUT": "hub.settings.defaults",
        "VOTE_QUORUM": "hub.settings.defaults",
        "VOTE_MAJORITY": "hub.settings.defaults",
        "VOTE_DAYS": "hub.settings.defaults",
        "TERM_LIMIT": "hub.settings.defaults",
        "REMIND_DAYS": "hub.settings.defaults",
        "CHARTER_CHANGES": "hub.settings.defaults",
        "CONFIG_PATH": "hub.settings.defaults",
        "MAX_PAGES": "hub.settings.defaults",
        "OVERDUE_GRACE": "hub.settings.defaults",
        "SYNC_HOP_LIMIT": "hub.settings.defaults",
        "PRIVACY_CATEGORIES": "hub.settings.defaults",
        "PRIVACY_DELAY": "hub.settings.defaults",
        "PRIVACY_RETENTION_DAYS": "hub.settings.defaults",
        "SYNC_IMAX": "hub.settings.defaults",
        "WITNESS_GAP": "hub.settings.defaults",
        "SYNC_IMIN": "hub.settings.defaults",
        "SYNC_SHARE": "hub.settings.defaults",
        "render": "hub.settings.docs",
        "FILE_SECTIONS": "hub.settings.model",
        "SECTIONS": "hub.settings.model",
        "Setting": "hub.settings.model",
        "SettingsError": "hub.settings.model",
        "SETTINGS": "hub.settings.table",
        "by_key": "hub.settings.table",
        "select": "hub.settings.table",
        "dumps": "hub.settings.toml",
    },
)
