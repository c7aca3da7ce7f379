"""MQTT settings: the broker URL, files and limits, checked together into MqttSettings.

The options themselves (name, default, help) are the ``[mqtt]`` rows of the one settings
table, :mod:`hub.settings.table`; this module checks what needs files or several of them.

The broker URL is ``mqtt://[USER@]HOST[:PORT]`` (default port 1883) or
``mqtts://[USER@]HOST[:PORT]`` (TLS, default port 8883). A password never goes in the URL
(it would show in ``ps``): it is read from a file, whose trailing newline is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from hub.errors import InputError
from hub.settings import Setting, select

SETTINGS: tuple[Setting, ...] = select("mqtt")
"""The ``[mqtt]`` rows of the settings table (:mod:`hub.settings.table`)."""

_CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_HEX = set("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that keep a hostile broker or publisher from hurting the hub."""

    window: int = 64  # QoS 1 publishes in flight
    max_command_bytes: int = 1024
    max_mesh_bytes: int = 1024
    commands_per_minute: float = 20.0
    mesh_per_second: float = 50.0
    keepalive: int = 30
    reconnect_min: int = 1
    reconnect_max: int = 60


@dataclass(frozen=True, slots=True)
class MqttSettings:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    client_id: str | None = None
    meshtastic_root: str = "msh/#"
    channel_keys: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)

    @property
    def broker(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_url(url: str) -> tuple[str, int, bool, str | None]:
    """Return (host, port, tls, username); raises :class:`InputError` with the reason."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise InputError(f"bad MQTT URL {url!r}: {e}") from e
    if parts.scheme not in ("mqtt", "mqtts"):
        raise InputError(f"MQTT URL must start with mqtt:// or mqtts://, not {url!r}")
    if not parts.hostname:
        raise InputError(f"MQTT URL {url!r} names no host")
    if parts.password is not None:
        raise InputError("put the MQTT password in a file (--mqtt-password-file), not the URL")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InputError(f"MQTT URL {url!r} must not have a path or query")
    tls = parts.scheme == "mqtts"
    if port == 0:
        raise InputError("MQTT port must be 1-65535")
    user = unquote(parts.username) if parts.username else None
    return parts.hostname, port or (8883 if tls else 1883), tls, user


def _file(value: str | None, what: str) -> Path | None:
    if value is None:
        return None
    p = Path(value)
    if not p.is_file():
        raise InputError(f"{what} {value} is not a readable file")
    return p


def build_settings(
    url: str,
    *,
    username: str | None = None,
    password_file: str | None = None,
    tls_ca: str | None = None,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    client_id: str | None = None,
    meshtastic_root: str = "msh/#",
    channel_keys: list[str] | tuple[str, ...] = (),
    limits: Limits | None = None,
) -> MqttSettings:
    """Validate options into :class:`MqttSettings`; raises :class:`InputError`."""
    host, port, tls, url_user = parse_url(url)
    password = None
    pw = _file(password_file, "password file")
    if pw is not None:
        try:
            lines = pw.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"cannot read password file {pw}: {e}") from e
        password = lines[0] if lines else ""
    user = username or url_user
    if password is not None and not user:
        raise InputError("a password file needs a user name (--mqtt-username or USER@ in URL)")
    if (tls_ca or tls_cert or tls_key) and not tls:
        raise InputError("TLS options need an mqtts:// URL")
    if bool(tls_cert) != bool(tls_key):
        raise InputError("--mqtt-tls-cert and --mqtt-tls-key go together")
    if client_id is not None and not _CLIENT_ID.match(client_id):
        raise InputError("MQTT client id must be 1-64 letters, digits, '.', '_' or '-'")
    root = meshtastic_root.strip()
    if root and ("#" in root[:-1] or len(root) > 200 or root.startswith("canopy/")):
        raise InputError(f"bad Meshtastic topic filter {root!r}")
    # keys are parsed by the codec when the service starts; check their shape here
    for spec in channel_keys:
        if not spec or len(spec) > 120:
            raise InputError("a channel key is NAME=BASE64 or BASE64")
    return MqttSettings(
        host=host,
        port=port,
        tls=tls,
        username=user,
        password=password,
        tls_ca=_file(tls_ca, "CA file"),
        tls_cert=_file(tls_cert, "certificate file"),
        tls_key=_file(tls_key, "key file"),
        client_id=client_id,
        meshtastic_root=root,
        channel_keys=tuple(channel_keys),
        limits=limits or Limits(),
    )


def is_feed_hex(s: str) -> bool:
    return len(s) == 64 and set(s) <= _HEX
