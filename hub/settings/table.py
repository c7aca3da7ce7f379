"""The settings table: every setting of the hub daemon, MQTT, the portal and deploy, once.

Each row feeds the command-line options (:mod:`hub.cli.options`), the config file
(:mod:`hub.settings.config`), the environment variables and ``docs/settings.md``
(:mod:`hub.settings.docs`). Checks that need I/O or several settings at once stay with
their users (the MQTT URL and files in :mod:`hub.mqtt.settings`, the deploy options in
:mod:`hub.deploy.settings`); the ones here are per value.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from hub.settings.defaults import (
    ACK_TIMEOUT,
    AUDIT_CYCLE,
    MAX_PAGES,
    OVERDUE_GRACE,
    SYNC_HOP_LIMIT,
    SYNC_IMAX,
    SYNC_IMIN,
    SYNC_SHARE,
    WITNESS_GAP,
)
from hub.settings.model import SECTIONS, Setting
from hub.settings.people import ASSEMBLY, PRIVACY

__all__ = ["SETTINGS", "by_key", "select"]


def _host_port(value: object) -> object:
    host, sep, port = str(value).rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"want HOST:PORT, got {value!r}")
    return value


def _http_url(value: object) -> object:
    text = str(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(text) > 300:
        raise ValueError(f"want an http:// or https:// URL, got {text[:60]!r}")
    return value


def _mqtt(name: str, help: str, default: object = None, **kw: object) -> Setting:
    flag = "--mqtt" if name == "url" else None
    return Setting("mqtt", name, str, default, help, flag=flag, **kw)  # type: ignore[arg-type]


def _deploy(name: str, default: object, help: str, type: type = str, **kw: object) -> Setting:
    flag = "--" + name.replace("_", "-")
    return Setting("deploy", name, type, default, help, env="", flag=flag, **kw)  # type: ignore[arg-type]


SETTINGS: tuple[Setting, ...] = (
    # --- the hub daemon (`canopy run`; `data` also `canopy portal`)
    Setting(
        "hub",
        "data",
        Path,
        None,
        "Data directory: the hub's key, its signed log and its state.",
        env="CANOPY_DATA",
        flag="--data",
        metavar="DIRECTORY",
        shown_default="~/.local/share/canopy",
    ),
    Setting(
        "hub",
        "radio",
        str,
        None,
        "Meshtastic radio: serial:///dev/ttyUSB0, tcp://HOST:PORT or ble://NAME. Off if unset.",
        flag="--radio",
        metavar="URL",  # checked where it is opened, by the radio adapter
    ),
    # --- the steward desk: how the hub answers and pages radios
    Setting(
        "desk",
        "ack_timeout",
        float,
        ACK_TIMEOUT,
        "Seconds an on-duty steward has to ACK an alert before a DM; doubles per retry.",
        flag="--alert-ack-timeout",
        min=1.0,
        max=3600.0,
        metavar="SECONDS",
    ),
    Setting(
        "desk",
        "max_pages",
        int,
        MAX_PAGES,
        "DMs per steward per alert at most.",
        flag="--alert-max-pages",
        min=0,
        max=10,
    ),
    Setting(
        "desk",
        "overdue_grace",
        int,
        OVERDUE_GRACE,
        "Seconds after the overdue reminder before coordinators are told.",
        flag="--overdue-grace",
        min=0,
        max=86400,
        metavar="SECONDS",
    ),
    Setting(
        "desk",
        "tick",
        float,
        1.0,
        "Seconds between the desk's checks for alerts to send, re-pages and overdue shifts.",
        flag="--desk-tick",
        min=0.05,
        max=60.0,
        metavar="SECONDS",
    ),
    Setting(
        "desk",
        "channel",
        int,
        0,
        "Meshtastic channel index (0-7) the hub sends its texts and alerts on.",
        flag="--desk-channel",
        min=0,
        max=7,
    ),
    *ASSEMBLY,
    # --- hub-to-hub sync over the mesh (`canopy run`; see docs/sync.md)
    Setting(
        "sync",
        "share",
        float,
        SYNC_SHARE,
        "Share of the radio's duty-cycle budget sync may use in any hour; 0 turns sync off.",
        flag="--sync-share",
        min=0.0,
        max=0.5,
    ),
    Setting(
        "sync",
        "imin",
        float,
        SYNC_IMIN,
        "Seconds: the shortest summary interval (Trickle Imin), after something changed.",
        flag="--sync-imin",
        min=5.0,
        max=3600.0,
        metavar="SECONDS",
    ),
    Setting(
        "sync",
        "imax",
        float,
        SYNC_IMAX,
        "Seconds: the longest summary interval (Trickle Imax), while every hub agrees.",
        flag="--sync-imax",
        min=60.0,
        max=86400.0,
        metavar="SECONDS",
    ),
    Setting(
        "sync",
        "hop_limit",
        int,
        SYNC_HOP_LIMIT,
        "Hops the mesh may relay a sync frame: 1 crosses a relay between shops, 0 where hubs "
        "hear each other.",
        flag="--sync-hop-limit",
        min=0,
        max=7,
    ),
    Setting(
        "sync",
        "witness_gap",
        float,
        WITNESS_GAP,
        "Seconds: the shortest time between two cosignatures of one peer's grown log "
        "(witnessing, docs/witness.md); each costs one packet.",
        flag="--witness-gap",
        min=1.0,
        max=86400.0,
        metavar="SECONDS",
    ),
    # --- MQTT (`canopy run`); the URL and files are checked in hub.mqtt.settings
    _mqtt(
        "url", "Broker: mqtt://[USER@]HOST[:PORT] or mqtts://… (TLS). Off if unset.", metavar="URL"
    ),
    _mqtt("username", "Broker user name (overrides one given in the URL)."),
    _mqtt("password_file", "File holding the broker password (first line)."),
    _mqtt("tls_ca", "CA certificate file for mqtts:// (default: system CAs)."),
    _mqtt("tls_cert", "Client certificate file for mqtts://."),
    _mqtt("tls_key", "Client key file for mqtts://."),
    _mqtt("client_id", "MQTT client id [default: canopy-<hub feed, 16 hex>]."),
    _mqtt("meshtastic_root", "Meshtastic MQTT topic filter to decode; '' for none.", "msh/#"),
    _mqtt(
        "channel_key",
        "Meshtastic channel key NAME=BASE64 or BASE64 (repeatable; space-separated in the "
        "environment); AQ== is always tried.",
        (),
        multiple=True,
    ),
    *PRIVACY,
    # --- the captive portal (`canopy portal`)
    Setting(
        "portal",
        "bind",
        str,
        "127.0.0.1:8080",
        "HOST:PORT to listen on: the front (nginx) there, in front of gunicorn on a private "
        "socket; with --front none, gunicorn itself (ignored under systemd socket activation).",
        flag="--bind",
        parse=_host_port,
    ),
    Setting(
        "portal",
        "front",
        str,
        "nginx",
        "nginx: buffer slow clients, compress and add the security headers in front of "
        "gunicorn; none: gunicorn alone (behind a front started elsewhere).",
        flag="--front",
        choices=("nginx", "none"),
    ),
    Setting(
        "portal",
        "front_cache",
        str,
        "on",
        "on: nginx answers repeats of a cached public page for up to 1 s itself, per client "
        "and language (a new entry shows within a second); off: every request reaches gunicorn.",
        flag="--front-cache",
        choices=("on", "off"),
    ),
    Setting(
        "portal",
        "workers",
        int,
        2,
        "gunicorn worker processes (each stays under 50 MB).",
        flag="--workers",
        min=1,
        max=16,
    ),
    Setting(
        "portal",
        "url",
        str,
        None,
        "Address the OS probes are redirected to, e.g. http://198.18.0.1/.",
        flag="--url",
        metavar="URL",
        parse=_http_url,
        shown_default="the page's own host",
    ),
    Setting(
        "portal",
        "audit_cycle",
        int,
        AUDIT_CYCLE,
        "Days between public audits: the period `canopy audit` covers by default and signs "
        "into a published audit; the portal shows when the next one is due.",
        env="CANOPY_AUDIT_CYCLE",
        flag="--audit-cycle",
        min=7,
        max=366,
        metavar="DAYS",
    ),
    # --- `canopy deploy render`; checked together in hub.deploy.settings
    _deploy("name", None, "Hub name (default: read from the hub in --data, else 'canopy')."),
    _deploy("data", "/var/lib/canopy", "The hub's data directory on the target system."),
    _deploy(
        "hub_id",
        None,
        "First 16 hex digits of the hub's feed key, naming its MQTT topics "
        "(default: read from the hub in --data).",
    ),
    _deploy("iface", "wlan0", "Wi-Fi interface that carries the access point."),
    _deploy("ssid", None, "Network name shown to phones (default: 'Canopy <name>')."),
    _deploy("country", "GB", "Two-letter regulatory country code for the Wi-Fi radio."),
    _deploy("channel", 6, "2.4 GHz Wi-Fi channel (1-13).", int),
    _deploy("address", "198.18.0.1", "Portal address: every DNS name resolves to it."),
    _deploy("subnet", "10.77.0.1/24", "Hub address and prefix on the Wi-Fi network."),
    _deploy(
        "portal_port", 80, "TCP port the portal listens on (port 80 is redirected to it).", int
    ),
    _deploy("mqtt_port", 1883, "Mosquitto port, on loopback and on the hub's Wi-Fi address.", int),
    _deploy("user", "canopy", "System user that runs the hub and the portal."),
    _deploy("canopy_bin", "/opt/canopy/venv/bin/canopy", "Path of the installed canopy program."),
    _deploy("radio", None, "Radio URL passed to the daemon, e.g. serial:///dev/ttyUSB0."),
    _deploy("bridge", (), "Bridge to another hub's broker: NAME=ADDRESS[:PORT].", multiple=True),
    _deploy("bridge_secret", None, "File holding the shared bridge password."),
    _deploy("mosquitto_dir", "/var/lib/mosquitto", "Mosquitto persistence directory."),
    _deploy("journal", "volatile", "journald storage: 'volatile' (RAM) or 'persistent'."),
)

_BY_KEY = {s.key: s for s in SETTINGS}
if len(_BY_KEY) != len(SETTINGS):  # pragma: no cover - a mistake in the table above
    raise RuntimeError("two settings share a key")


def by_key(key: str) -> Setting:
    """The setting ``section.name``; raises :class:`KeyError`."""
    return _BY_KEY[key]


def select(*names: str) -> tuple[Setting, ...]:
    """The settings of whole sections (``"desk"``) or single keys (``"hub.data"``), in
    the order given. Raises :class:`KeyError` for a name that is neither."""
    out: list[Setting] = []
    for name in names:
        if name in SECTIONS:
            out.extend(s for s in SETTINGS if s.section == name)
        else:
            out.append(_BY_KEY[name])
    return tuple(out)
