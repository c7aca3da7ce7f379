"""``canopy run`` options for MQTT, generated from the settings table.

:func:`mqtt_options` adds ``--config``, ``--mqtt URL`` and the ``--mqtt-*`` options (the
``[mqtt]`` rows of :mod:`hub.settings.table`) to a click command on its own; ``canopy run``
adds them together with its other sections through :func:`hub.cli.options.settings_options`.
Their values arrive as keyword arguments named ``mqtt_<setting>`` (``mqtt_url``,
``mqtt_username``, …, ``mqtt_channel_key`` as a tuple). :func:`service_from_options` turns
them into an :class:`~hub.mqtt.service.MqttService`, or None when ``--mqtt`` is not given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hub.cli.options import settings_options
from hub.mqtt import build_settings
from hub.settings import by_key

mqtt_options = settings_options("mqtt")
"""Add ``--config`` and the MQTT options, resolved against the environment and the file."""


def option_name(setting: str) -> str:
    """The command-line option of MQTT setting ``setting`` (``url`` -> ``--mqtt``)."""
    return by_key(f"mqtt.{setting}").option


def service_from_options(
    params: dict[str, Any], decoder_factory: Callable[[tuple[str, ...]], Any] | None = None
) -> Any:
    """Build the MQTT service from the parsed ``mqtt_*`` values; None without ``--mqtt``.

    Raises :class:`hub.errors.InputError` for a bad URL, file or key.
    """
    url = params.get("mqtt_url")
    if not url:
        return None
    from hub.mqtt import MqttService

    settings = build_settings(
        url,
        username=params.get("mqtt_username"),
        password_file=params.get("mqtt_password_file"),
        tls_ca=params.get("mqtt_tls_ca"),
        tls_cert=params.get("mqtt_tls_cert"),
        tls_key=params.get("mqtt_tls_key"),
        client_id=params.get("mqtt_client_id"),
        meshtastic_root=params.get("mqtt_meshtastic_root") or "",
        channel_keys=list(params.get("mqtt_channel_key") or ()),
    )
    decoder = None
    if decoder_factory is not None and settings.meshtastic_root:
        decoder = decoder_factory(settings.channel_keys)
    return MqttService(settings, decoder)
