"""The `canopy` command line.

Names are loaded from their modules on first use (:mod:`hub.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from hub.cli.common import data_option as data_option
    from hub.cli.common import get_datadir as get_datadir
    from hub.cli.common import handle_errors as handle_errors
    from hub.cli.content import charter_group as charter_group
    from hub.cli.content import partner_group as partner_group
    from hub.cli.content import protocol_group as protocol_group
    from hub.cli.docs import render as render
    from hub.cli.main import LAZY_COMMANDS as LAZY_COMMANDS
    from hub.cli.mqtt import mqtt_options as mqtt_options
    from hub.cli.mqtt import service_from_options as service_from_options
    from hub.cli.nodes import nodes_cmd as nodes_cmd
    from hub.cli.options import settings_options as settings_options
    from hub.cli.roster import parse_when as parse_when

__all__ = [
    "LAZY_COMMANDS",
    "charter_group",
    "data_option",
    "get_datadir",
    "handle_errors",
    "mqtt_options",
    "nodes_cmd",
    "parse_when",
    "partner_group",
    "protocol_group",
    "render",
    "service_from_options",
    "settings_options",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "data_option": "hub.cli.common",
        "get_datadir": "hub.cli.common",
        "handle_errors": "hub.cli.common",
        "charter_group": "hub.cli.content",
        "partner_group": "hub.cli.content",
        "protocol_group": "hub.cli.content",
        "render": "hub.cli.docs",
        "LAZY_COMMANDS": "hub.cli.main",
        "mqtt_options": "hub.cli.mqtt",
        "service_from_options": "hub.cli.mqtt",
        "nodes_cmd": "hub.cli.nodes",
        "settings_options": "hub.cli.options",
        "parse_when": "hub.cli.roster",
    },
)
