"""Turn the ``meshtastic`` library's camelCase packet and node dicts into our events (pure).

:func:`decode_packet` takes the dict the library publishes for a received ``MeshPacket`` and
returns a :class:`~radio.events.TextReceived`, :class:`~radio.events.DataReceived` or
:class:`~radio.events.NodeSeen`; ``None`` for well-known Meshtastic traffic Canopy does not use
(position, telemetry, routing…); and raises :class:`PacketDropped` with a reason for garbage:
packets it could not decrypt, text that is not UTF-8, unknown port numbers, missing or
out-of-range fields. Packets from nodes the radio has never heard of are passed on.

``MessageToDict`` leaves out fields equal to their protobuf default (channel 0, hop limit 0,
SNR 0.0), so absent numeric fields map to 0 where the protocol defines them, and to ``None``
where absence means "not measured" (rx time, SNR, RSSI).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from meshtastic.protobuf import portnums_pb2

from radio.errors import RadioInputError
from radio.events import (
    MAX_NODE_NUM,
    PRIVATE_PORT_MAX,
    PRIVATE_PORT_MIN,
    TEXT_PORT,
    DataReceived,
    NodeSeen,
    PositionReceived,
    TextReceived,
)

NODEINFO_PORT = portnums_pb2.PortNum.NODEINFO_APP
POSITION_PORT = portnums_pb2.PortNum.POSITION_APP
# A GPS time outside these bounds (2020 … 2106) is a radio without a fix, not a time.
GPS_TIME_MIN, GPS_TIME_MAX = 1_577_836_800, 2**32 - 1
PUBLIC_KEY_LEN = 32
_KNOWN_PORTS = frozenset(portnums_pb2.PortNum.values())


class PacketDropped(RadioInputError):
    """A packet from the radio that Canopy cannot use; ``str(e)`` says why."""


def _int_field(d: Mapping[str, Any], key: str, default: int | None, hi: int) -> int | None:
    value = d.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= hi:
        raise PacketDropped(f"field {key}={value!r} out of range")
    return value


def _opt_int(d: Mapping[str, Any], key: str) -> int | None:
    value = d.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _opt_float(d: Mapping[str, Any], key: str) -> float | None:
    value = d.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def decode_public_key(value: Any) -> bytes | None:
    """A 32-byte key from raw bytes or the base64 text ``MessageToDict`` makes; else None."""
    if isinstance(value, bytes):
        raw = value
    elif isinstance(value, str):
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None
    else:
        return None
    return raw if len(raw) == PUBLIC_KEY_LEN else None


def port_number(value: Any) -> int:
    """The numeric port of a ``decoded.portnum`` value (enum name or plain int)."""
    if isinstance(value, str):
        try:
            return int(portnums_pb2.PortNum.Value(value))
        except ValueError as e:
            raise PacketDropped(f"unknown port name {value!r}") from e
    if isinstance(value, bool) or not isinstance(value, int):
        raise PacketDropped(f"bad port number {value!r}")
    return value


def decode_node(node: Mapping[str, Any]) -> NodeSeen:
    """A node DB entry (``nodesByNum`` value / ``meshtastic.node.updated``) as NodeSeen.

    :raises PacketDropped: no usable node number.
    """
    num = _int_field(node, "num", None, MAX_NODE_NUM)
    if num is None or num in (0, MAX_NODE_NUM):
        raise PacketDropped(f"node entry without a valid number: {node.get('num')!r}")
    user = node.get("user")
    user = user if isinstance(user, Mapping) else {}
    return NodeSeen(
        num=num,
        long_name=str(user.get("longName", "")),
        short_name=str(user.get("shortName", "")),
        public_key=decode_public_key(user.get("publicKey")),
        last_heard=_opt_int(node, "lastHeard"),
    )


def decode_packet(
    packet: Mapping[str, Any],
) -> TextReceived | DataReceived | NodeSeen | PositionReceived | None:
    """Decode one received packet dict (see module doc).

    :raises PacketDropped: garbage, with the reason.
    """
    if not isinstance(packet, Mapping):
        raise PacketDropped(f"packet is a {type(packet).__name__}, not a dict")
    from_num = _int_field(packet, "from", None, MAX_NODE_NUM)
    if not from_num or from_num == MAX_NODE_NUM:
        raise PacketDropped(f"bad sender {packet.get('from')!r}")
    to_num = _int_field(packet, "to", 0, MAX_NODE_NUM) or 0
    decoded = packet.get("decoded")
    if not isinstance(decoded, Mapping):
        if "encrypted" in packet:
            raise PacketDropped(f"undecryptable packet from {from_num:#010x} (no key)")
        raise PacketDropped(f"packet from {from_num:#010x} without payload")
    port = port_number(decoded.get("portnum", 0))
    payload = decoded.get("payload", b"")
    if not isinstance(payload, bytes):
        raise PacketDropped(f"payload is a {type(payload).__name__}, not bytes")
    if port == NODEINFO_PORT:
        user = decoded.get("user")
        if not isinstance(user, Mapping):
            raise PacketDropped(f"NODEINFO from {from_num:#010x} without a user")
        return decode_node({"num": from_num, "user": user, "lastHeard": packet.get("rxTime")})
    if port == POSITION_PORT:
        position = decoded.get("position")
        gps_time = position.get("time") if isinstance(position, Mapping) else None
        if type(gps_time) is int and GPS_TIME_MIN <= gps_time <= GPS_TIME_MAX:
            return PositionReceived(from_num=from_num, gps_time=gps_time)
        return None  # a position without a usable time: nothing for Canopy
    if port != TEXT_PORT and not PRIVATE_PORT_MIN <= port <= PRIVATE_PORT_MAX:
        if port in _KNOWN_PORTS:
            return None  # ordinary Meshtastic traffic Canopy does not consume
        raise PacketDropped(f"unknown port {port} from {from_num:#010x}")
    pki = bool(packet.get("pkiEncrypted", False))
    hop_start = _opt_int(packet, "hopStart")
    common: dict[str, Any] = {
        "from_num": from_num,
        "to_num": to_num,
        "packet_id": _int_field(packet, "id", 0, MAX_NODE_NUM) or 0,
        "channel": _int_field(packet, "channel", 0, MAX_NODE_NUM) or 0,
        "pki_encrypted": pki,
        "public_key": decode_public_key(packet.get("publicKey")) if pki else None,
        "rx_time": _opt_int(packet, "rxTime"),
        "hop_start": hop_start,
        "hop_limit": _int_field(packet, "hopLimit", 0 if hop_start is not None else None, 7),
        "rx_snr": _opt_float(packet, "rxSnr"),
        "rx_rssi": _opt_int(packet, "rxRssi"),
        "via": "mqtt" if packet.get("viaMqtt") else "radio",
    }
    if port == TEXT_PORT:
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as e:
            raise PacketDropped(f"text from {from_num:#010x} is not UTF-8: {e.reason}") from e
        return TextReceived(text=text, **common)
    return DataReceived(port=port, payload=payload, **common)
