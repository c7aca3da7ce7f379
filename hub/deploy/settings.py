"""The deploy settings table and its validation: options in, a checked DeployConfig out.

The ``[deploy]`` rows of the one settings table (:mod:`hub.settings.table`) define every
option of ``canopy deploy render``: its name, default and help. The click command,
``install.sh``'s pass-through, ``docs/deploy.md`` and ``docs/settings.md`` all follow it
(tests fail when a guide misses a setting). The checks live here, because they look at
several options at once.

Validation is strict because every value ends up in a system file read as root:
interface names, SSIDs, addresses and paths are checked against what the kernel and the
daemons accept, and against characters that could break out of a config line. Nothing
rendered may point outside the hub: no upstream DNS, no NTP pool, bridges only to
private addresses.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from hub.errors import InputError
from hub.settings import Setting, select

__all__ = [
    "SETTINGS",
    "Bridge",
    "DeployConfig",
    "DeployConfigError",
    "Setting",
    "build_config",
]


class DeployConfigError(InputError):
    """A deploy option is invalid; the message names the option and says why."""


SETTINGS: tuple[Setting, ...] = select("deploy")
"""The ``[deploy]`` rows of the settings table (:mod:`hub.settings.table`)."""

_IFACE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,14}")
_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_HUB_ID = re.compile(r"[0-9a-f]{16}")
# Characters that could end a config value, start a comment, or be a systemd specifier.
_UNSAFE = re.compile(r"[\s\"'\\$%#;`]|[\x00-\x1f\x7f]")
_RFC1918 = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)


@dataclass(frozen=True, slots=True)
class Bridge:
    """An outgoing Mosquitto bridge to another hub's LAN listener."""

    name: str
    address: ipaddress.IPv4Address
    port: int


@dataclass(frozen=True, slots=True)
class DeployConfig:
    """Validated settings from which every system file is rendered."""

    name: str
    hub_id: str | None
    data: PurePosixPath
    iface: str
    ssid: str
    country: str
    channel: int
    address: ipaddress.IPv4Address
    subnet: ipaddress.IPv4Interface
    portal_port: int
    mqtt_port: int
    user: str
    canopy_bin: PurePosixPath
    radio: str | None
    bridges: tuple[Bridge, ...]
    bridge_password: str | None
    mosquitto_dir: PurePosixPath
    journal: str

    @property
    def hub_ip(self) -> ipaddress.IPv4Address:
        return self.subnet.ip

    @property
    def network(self) -> ipaddress.IPv4Network:
        return self.subnet.network

    @property
    def portal_url(self) -> str:
        # Phones always reach the portal on port 80; nftables maps it to portal_port.
        return f"http://{self.address}/"

    @property
    def dhcp_range(self) -> tuple[ipaddress.IPv4Address, ipaddress.IPv4Address]:
        """The larger block of host addresses on either side of the hub's own."""
        net = self.network
        first, last = int(net.network_address) + 1, int(net.broadcast_address) - 1
        hub = int(self.hub_ip)
        below, above = (first, hub - 1), (hub + 1, last)
        lo, hi = max(below, above, key=lambda r: r[1] - r[0])
        return ipaddress.IPv4Address(lo), ipaddress.IPv4Address(hi)

    @property
    def radio_ip(self) -> ipaddress.IPv4Address | None:
        """The address of a TCP radio, which the daemon's IP allow-list must include."""
        if self.radio is None or not self.radio.startswith("tcp://"):
            return None
        rest = self.radio.removeprefix("tcp://")
        return ipaddress.IPv4Address(rest.rsplit(":", 1)[0] if ":" in rest else rest)

    @property
    def state_directory(self) -> str | None:
        """The data dir relative to /var/lib when systemd's StateDirectory= can own it."""
        parts = self.data.parts
        if len(parts) == 4 and parts[:3] == ("/", "var", "lib"):
            return parts[3]
        return None


def _text(raw: Mapping[str, object], key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        for s in SETTINGS:
            if s.name == key and s.default is not None:
                return str(s.default)
        return None
    return str(value)


def _port(raw: Mapping[str, object], key: str) -> int:
    text = _text(raw, key) or ""
    try:
        port = int(text)
    except ValueError as e:
        raise DeployConfigError(f"--{key.replace('_', '-')}: not a port number: {text!r}") from e
    if not 1 <= port <= 65535:
        raise DeployConfigError(f"--{key.replace('_', '-')}: port out of range: {port}")
    return port


def _path(raw: Mapping[str, object], key: str) -> PurePosixPath:
    text = _text(raw, key) or ""
    flag = "--" + key.replace("_", "-")
    if not text.startswith("/") or _UNSAFE.search(text) or "/../" in text + "/":
        raise DeployConfigError(f"{flag}: need an absolute path without spaces or quotes")
    return PurePosixPath(text)


def _is_rfc1918(addr: ipaddress.IPv4Address) -> bool:
    return any(addr in n for n in _RFC1918)


def _address(text: str, subnet: ipaddress.IPv4Interface) -> ipaddress.IPv4Address:
    try:
        addr = ipaddress.IPv4Address(text)
    except ValueError as e:
        raise DeployConfigError(f"--address: not an IPv4 address: {text!r}") from e
    if _is_rfc1918(addr):
        raise DeployConfigError(
            f"--address: {addr} is private (RFC 1918); phones may treat a private DNS answer "
            "as 'no internet' — use a non-private address such as 198.18.0.1"
        )
    if (
        addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_unspecified
        or addr.is_reserved
        or addr in ipaddress.IPv4Network("100.64.0.0/10")
    ):
        raise DeployConfigError(f"--address: {addr} cannot be a host address")
    if addr in subnet.network:
        raise DeployConfigError(f"--address: {addr} must lie outside --subnet {subnet}")
    return addr


def _subnet(text: str) -> ipaddress.IPv4Interface:
    try:
        iface = ipaddress.IPv4Interface(text)
    except ValueError as e:
        raise DeployConfigError(f"--subnet: not ADDRESS/PREFIX: {text!r}") from e
    if "/" not in text:
        raise DeployConfigError(f"--subnet: give the prefix length too, e.g. {text}/24")
    net = iface.network
    if not 16 <= net.prefixlen <= 29:
        raise DeployConfigError(f"--subnet: prefix /{net.prefixlen} not in /16../29")
    if not _is_rfc1918(iface.ip):
        raise DeployConfigError(f"--subnet: {iface.ip} is not a private (RFC 1918) address")
    if iface.ip in (net.network_address, net.broadcast_address):
        raise DeployConfigError(f"--subnet: {iface.ip} is the network or broadcast address")
    return iface


def _ssid(text: str) -> str:
    if not text or len(text.encode("utf-8")) > 32:
        raise DeployConfigError(f"--ssid: must be 1 to 32 bytes of UTF-8, got {text!r}")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise DeployConfigError("--ssid: control characters are not allowed")
    return text


def _bridges(
    specs: Sequence[str], subnet: ipaddress.IPv4Interface, address: ipaddress.IPv4Address
) -> tuple[Bridge, ...]:
    out: list[Bridge] = []
    for spec in specs:
        name, sep, rest = spec.partition("=")
        if not sep or not _NAME.fullmatch(name):
            raise DeployConfigError(f"--bridge: want NAME=ADDRESS[:PORT], got {spec!r}")
        host, _, port_text = rest.partition(":")
        try:
            addr = ipaddress.IPv4Address(host)
            port = int(port_text) if port_text else 1883
        except ValueError as e:
            raise DeployConfigError(f"--bridge {name}: bad address or port in {rest!r}") from e
        if not 1 <= port <= 65535:
            raise DeployConfigError(f"--bridge {name}: port out of range: {port}")
        if not _is_rfc1918(addr) or addr in (subnet.ip, address):
            raise DeployConfigError(
                f"--bridge {name}: {addr} must be another hub on a private network"
            )
        if any(b.name == name for b in out):
            raise DeployConfigError(f"--bridge: duplicate name {name!r}")
        out.append(Bridge(name, addr, port))
    return tuple(out)


def _radio(text: str | None) -> str | None:
    """serial:///dev/tty…, ble://NAME, or tcp://IP:PORT with a loopback or private IP."""
    if text is None:
        return None
    if not text or _UNSAFE.search(text) or len(text) > 200:
        raise DeployConfigError("--radio: a URL without spaces, quotes or '%'")
    scheme, sep, rest = text.partition("://")
    if not sep or scheme not in ("serial", "tcp", "ble"):
        raise DeployConfigError("--radio: want serial:///dev/ttyX, tcp://IP:PORT or ble://NAME")
    if scheme == "serial" and not rest.startswith("/dev/tty"):
        raise DeployConfigError("--radio: a serial radio is a /dev/tty… device")
    if scheme == "tcp":
        host = rest.rsplit(":", 1)[0] if ":" in rest else rest
        try:
            ip = ipaddress.IPv4Address(host)
        except ValueError as e:
            raise DeployConfigError("--radio: a TCP radio is given by its IPv4 address") from e
        if not (ip.is_loopback or _is_rfc1918(ip)):
            raise DeployConfigError(f"--radio: {ip} is not on this hub's networks")
    return text


def _default_ssid(name: str | None) -> str:
    text = f"Canopy {name}" if name else "Canopy"
    text = "".join(c if c.isprintable() else " " for c in text)
    return text.encode("utf-8")[:32].decode("utf-8", "ignore").strip()


def build_config(
    raw: Mapping[str, object],
    bridge_password: str | None = None,
    hub_name: str | None = None,
    hub_feed: str | None = None,
) -> DeployConfig:
    """Check raw option values (strings or ints, ``None`` for unset) and build the config.

    ``hub_name`` and ``hub_feed`` (hex) are read from the hub's data dir, and used when
    ``name`` and ``hub_id`` are unset.

    :raises DeployConfigError: naming the first invalid option.
    """
    given = _text(raw, "name") or hub_name
    name = given or "canopy"
    slug = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:32] or "canopy"
    if not _NAME.fullmatch(slug):
        raise DeployConfigError(f"--name: cannot make a host-safe name from {name!r}")

    iface = _text(raw, "iface") or ""
    if not _IFACE.fullmatch(iface) or iface == "lo":
        raise DeployConfigError(
            f"--iface: {iface!r} is not a Wi-Fi interface name (1-15 of A-Z a-z 0-9 _ . -)"
        )
    country = (_text(raw, "country") or "").upper()
    if not _COUNTRY.fullmatch(country):
        raise DeployConfigError(f"--country: want a two-letter code, got {country!r}")
    try:
        channel = int(_text(raw, "channel") or "")
    except ValueError as e:
        raise DeployConfigError("--channel: not a number") from e
    if not 1 <= channel <= 13:
        raise DeployConfigError(f"--channel: {channel} is not a 2.4 GHz channel (1-13)")

    subnet = _subnet(_text(raw, "subnet") or "")
    address = _address(_text(raw, "address") or "", subnet)
    portal_port = _port(raw, "portal_port")
    mqtt_port = _port(raw, "mqtt_port")
    reserved = {53: "DNS", 67: "DHCP", 123: "NTP", 443: "HTTPS (reset)"}
    for flag, port in (("--portal-port", portal_port), ("--mqtt-port", mqtt_port)):
        if port in reserved:
            raise DeployConfigError(f"{flag}: {port} is taken by {reserved[port]}")
    if portal_port == mqtt_port:
        raise DeployConfigError("--portal-port and --mqtt-port must differ")

    user = _text(raw, "user") or ""
    if not _USER.fullmatch(user) or user == "root":
        raise DeployConfigError(f"--user: {user!r} is not a valid unprivileged user name")

    radio = _radio(_text(raw, "radio"))

    journal = _text(raw, "journal") or ""
    if journal not in ("volatile", "persistent"):
        raise DeployConfigError(f"--journal: 'volatile' or 'persistent', not {journal!r}")

    specs = raw.get("bridge") or ()
    if isinstance(specs, str):
        specs = (specs,)
    if not isinstance(specs, Sequence):
        raise DeployConfigError("--bridge: expected a list of NAME=ADDRESS[:PORT]")
    bridges = _bridges([str(s) for s in specs], subnet, address)
    hub_id = _text(raw, "hub_id") or (hub_feed[:16] if hub_feed else None)
    if hub_id is not None and not _HUB_ID.fullmatch(hub_id):
        raise DeployConfigError(f"--hub-id: want 16 lowercase hex digits, got {hub_id!r}")
    if bridges and hub_id is None:
        raise DeployConfigError(
            "--bridge: the hub's id is unknown; give --hub-id or --data with an initialised hub"
        )
    if bridges and not bridge_password:
        raise DeployConfigError("--bridge needs --bridge-secret FILE with the shared password")
    if bridge_password is not None and (
        not bridge_password or _UNSAFE.search(bridge_password) or len(bridge_password) > 128
    ):
        raise DeployConfigError("--bridge-secret: the password must be 1-128 printable chars")

    return DeployConfig(
        name=slug,
        hub_id=hub_id,
        data=_path(raw, "data"),
        iface=iface,
        ssid=_ssid(_text(raw, "ssid") or _default_ssid(given)),
        country=country,
        channel=channel,
        address=address,
        subnet=subnet,
        portal_port=portal_port,
        mqtt_port=mqtt_port,
        user=user,
        canopy_bin=_path(raw, "canopy_bin"),
        radio=radio,
        bridges=bridges,
        bridge_password=bridge_password,
        mosquitto_dir=_path(raw, "mosquitto_dir"),
        journal=journal,
    )
