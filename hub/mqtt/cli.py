"""``canopy run`` options for MQTT, generated from the settings table.

Apply :func:`mqtt_options` to a click command; it adds ``--mqtt URL`` and ``--mqtt-*``
options whose values arrive as keyword arguments named ``mqtt_<setting>`` (``mqtt_url``,
``mqtt_username``, …, ``mqtt_channel_key`` as a tuple). :func:`service_from_options` turns
them into an :class:`~hub.mqtt.service.MqttService`, or None when ``--mqtt`` is not given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from hub.mqtt.settings import SETTINGS, build_settings

F = TypeVar("F", bound=Callable[..., Any])


def option_name(setting: str) -> str:
    return "--mqtt" if setting == "url" else "--mqtt-" + setting.replace("_", "-")


def mqtt_options(fn: F) -> F:
    """Add the MQTT options (one per entry of :data:`hub.mqtt.settings.SETTINGS`)."""
    for s in reversed(SETTINGS):
        fn = click.option(
            option_name(s.name),
            f"mqtt_{s.name}",
            default=() if s.multiple else s.default,
            multiple=s.multiple,
            show_default=s.default is not None,
            metavar="URL" if s.name == "url" else None,
            help=s.help,
        )(fn)
    return fn


def service_from_options(
    params: dict[str, Any], decoder_factory: Callable[[tuple[str, ...]], Any] | None = None
) -> Any:
    """Build the MQTT service from the parsed ``mqtt_*`` values; None without ``--mqtt``.

    Raises :class:`hub.errors.InputError` for a bad URL, file or key.
    """
    url = params.get("mqtt_url")
    if not url:
        return None
    from hub.mqtt.service import MqttService

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
