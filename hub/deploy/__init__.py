"""Deploying a hub: the deploy settings, rendering system files, and the `canopy deploy` and
`canopy sticker` commands.

Names are loaded from their modules on first use (:mod:`hub.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from hub.deploy.cli import cli_features as cli_features
    from hub.deploy.cli import deploy_group as deploy_group
    from hub.deploy.cli import sticker_cmd as sticker_cmd
    from hub.deploy.render import OUTPUTS as OUTPUTS
    from hub.deploy.settings import SETTINGS as SETTINGS
    from hub.deploy.settings import build_config as build_config

__all__ = [
    "OUTPUTS",
    "SETTINGS",
    "build_config",
    "cli_features",
    "deploy_group",
    "sticker_cmd",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "cli_features": "hub.deploy.cli",
        "deploy_group": "hub.deploy.cli",
        "sticker_cmd": "hub.deploy.cli",
        "OUTPUTS": "hub.deploy.render",
        "SETTINGS": "hub.deploy.settings",
        "build_config": "hub.deploy.settings",
    },
)
