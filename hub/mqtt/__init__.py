"""Canopy over MQTT: the log published as an outbox, hub status, alerts, commands, Meshtastic.

Modules: :mod:`hub.mqtt.settings` (the settings table and broker URL),
:mod:`hub.mqtt.topics` (the topic tree and payloads), :mod:`hub.mqtt.outbox` (the durable
publish cursor), :mod:`hub.mqtt.commands` (the command topic), :mod:`hub.mqtt.service`
(the paho-mqtt client service) and :mod:`hub.cli.mqtt` (``canopy run`` options).
"""

from __future__ import annotations
