"""Canopy over MQTT: the log published as an outbox, hub status, alerts, commands, Meshtastic.

Modules: :mod:`hub.mqtt.settings` (the settings table and broker URL),
:mod:`hub.mqtt.topics` (the topic tree and payloads), :mod:`hub.mqtt.outbox` (the durable
publish cursor), :mod:`hub.mqtt.commands` (the command topic), :mod:`hub.mqtt.service`
(the paho-mqtt client service) and :mod:`hub.cli.mqtt` (``canopy run`` options).

Names are loaded from their modules on first use (:mod:`hub.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from hub.mqtt.commands import TokenBucket as TokenBucket
    from hub.mqtt.commands import parse_command as parse_command
    from hub.mqtt.outbox import Outbox as Outbox
    from hub.mqtt.service import MqttService as MqttService
    from hub.mqtt.settings import SETTINGS as SETTINGS
    from hub.mqtt.settings import Limits as Limits
    from hub.mqtt.settings import build_settings as build_settings
    from hub.mqtt.settings import parse_url as parse_url

__all__ = [
    "SETTINGS",
    "Limits",
    "MqttService",
    "Outbox",
    "TokenBucket",
    "build_settings",
    "parse_command",
    "parse_url",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "TokenBucket": "hub.mqtt.commands",
        "parse_command": "hub.mqtt.commands",
        "Outbox": "hub.mqtt.outbox",
        "MqttService": "hub.mqtt.service",
        "Limits": "hub.mqtt.settings",
        "SETTINGS": "hub.mqtt.settings",
        "build_settings": "hub.mqtt.settings",
        "parse_url": "hub.mqtt.settings",
    },
)
