"""Sans-IO codec for Meshtastic's own MQTT: ``ServiceEnvelope`` bytes in, typed events out.

A Meshtastic gateway publishes every packet it hears on
``<root>/2/e/<channel>/!<gateway>`` as a ``ServiceEnvelope{packet, channel_id, gateway_id}``
protobuf. The packet's payload is usually encrypted with the channel key:

- AES-CTR, AES-128 for 16-byte keys and AES-256 for 32-byte keys;
- nonce (16 bytes) = ``packet_id`` (u64 little-endian) || ``from`` (u32 LE) || four zero bytes;
- a one-byte pre-shared key ``k`` (``AQ==`` is ``k = 1``) stands for the published default key
  ``d4f1bb3a20290759f0bcffabcf4e6901`` with ``k - 1`` added to its last byte; ``k = 0`` and an
  empty key mean "no encryption";
- the packet's ``channel`` field carries a one-byte hash (XOR of the channel name's bytes and
  the key's bytes), used here only to try the likely key first.

Invariants:

- Nothing decoded here is authenticated: anyone with the channel key can claim any node
  number, and anyone who can publish to the broker can forge a plaintext envelope. Events
  carry ``via="mqtt"``, ``pki_encrypted=False`` and no public key.
- AES-CTR always "decrypts"; a result counts only if it parses as a ``Data`` protobuf with a
  known, non-zero port number, and text must be strict UTF-8.
- The same packet relayed by several gateways is reported once (:class:`MeshMqttDecoder`
  remembers the last ``(from, id)`` pairs it passed on).

The codec imports no socket, thread, clock or MQTT library: callers pass ``now``.
"""

from __future__ import annotations

import base64
import binascii
import struct
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from google.protobuf.message import DecodeError
from meshtastic.protobuf import mesh_pb2, mqtt_pb2, portnums_pb2

from hub.errors import InputError
from radio.errors import RadioInputError
from radio.events import MAX_NODE_NUM, NodeSeen, TextReceived

DEFAULT_KEY = bytes.fromhex("d4f1bb3a20290759f0bcffabcf4e6901")
DEFAULT_PSK = "AQ=="
MAX_ENVELOPE = 1024
"""A LoRa frame is at most 256 bytes; an envelope around it is far below this."""
MAX_TEXT = 240
TEXT_PORT = portnums_pb2.PortNum.TEXT_MESSAGE_APP
NODEINFO_PORT = portnums_pb2.PortNum.NODEINFO_APP
_KNOWN_PORTS = frozenset(portnums_pb2.PortNum.values()) - {0}


class MeshMqttError(RadioInputError):
    """An MQTT message that cannot be used; ``reason`` is a short counter name."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class ChannelKey:
    """A channel key the hub knows; ``name`` None means "try on any channel"."""

    name: str | None
    key: bytes | None  # None: the channel is not encrypted

    def channel_hash(self, name: str) -> int:
        return _xor(name.encode("utf-8")) ^ _xor(self.key or b"")


@dataclass(frozen=True, slots=True)
class MeshTopic:
    root: str
    kind: str  # "e" (protobuf envelopes), "c", "json", "map", …
    channel: str
    gateway: str


@dataclass(frozen=True, slots=True)
class Decoded:
    """One usable envelope: who sent what, heard by which gateway."""

    channel_id: str
    gateway_id: str
    from_num: int
    to_num: int
    packet_id: int
    portnum: int
    encrypted: bool
    duplicate: bool
    events: tuple[TextReceived | NodeSeen, ...]

    @property
    def nodes(self) -> tuple[NodeSeen, ...]:
        return tuple(e for e in self.events if isinstance(e, NodeSeen))

    @property
    def texts(self) -> tuple[TextReceived, ...]:
        return tuple(e for e in self.events if isinstance(e, TextReceived))


def _xor(data: bytes) -> int:
    out = 0
    for b in data:
        out ^= b
    return out


def expand_psk(psk: bytes) -> bytes | None:
    """Expand a channel pre-shared key as the firmware does; raises :class:`MeshMqttError`."""
    if len(psk) == 0 or psk == b"\x00":
        return None
    if len(psk) == 1:
        return DEFAULT_KEY[:-1] + bytes([(DEFAULT_KEY[-1] + psk[0] - 1) & 0xFF])
    if len(psk) in (16, 32):
        return bytes(psk)
    raise MeshMqttError("bad_key", f"a channel key is 0, 1, 16 or 32 bytes, not {len(psk)}")


def parse_channel_key(spec: str) -> ChannelKey:
    """Parse ``NAME=BASE64`` or ``BASE64`` (URL-safe base64 accepted, padding optional)."""
    name: str | None = None
    b64 = spec.strip()
    if "=" in b64.rstrip("="):
        name, _, b64 = b64.partition("=")
        name = name.strip()
        if not name or len(name) > 11:
            raise MeshMqttError("bad_key", f"channel name {name!r} must be 1-11 characters")
    b64 = b64.strip().replace("-", "+").replace("_", "/")
    b64 += "=" * (-len(b64) % 4)
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError) as e:
        raise MeshMqttError("bad_key", f"channel key is not base64: {e}") from e
    return ChannelKey(name, expand_psk(raw))


def parse_topic(topic: str) -> MeshTopic:
    """Split ``<root>/2/<kind>/<channel>/<gateway>``; raises :class:`MeshMqttError`."""
    parts = topic.split("/")
    for i in range(len(parts) - 4, 0, -1):
        if parts[i] == "2" and parts[i + 1] in ("e", "c", "json", "map", "stat"):
            return MeshTopic("/".join(parts[:i]), parts[i + 1], parts[i + 2], parts[i + 3])
    raise MeshMqttError("bad_topic", f"not a Meshtastic topic: {topic[:120]!r}")


def nonce(packet_id: int, from_num: int) -> bytes:
    return struct.pack("<QI", packet_id, from_num) + bytes(4)


def crypt(key: bytes, packet_id: int, from_num: int, data: bytes) -> bytes:
    """AES-CTR en- or decryption (the same operation) of one packet payload."""
    # loaded on the first encrypted packet, not with the daemon: 6.6 MB on a 512 MB board
    # for a hub that may never see Meshtastic's MQTT
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    c = Cipher(algorithms.AES(key), modes.CTR(nonce(packet_id, from_num))).encryptor()
    return c.update(data) + c.finalize()


def _parse_data(raw: bytes) -> mesh_pb2.Data | None:
    data = mesh_pb2.Data()
    try:
        data.ParseFromString(raw)
    except (DecodeError, ValueError):
        return None
    if data.portnum not in _KNOWN_PORTS:
        return None
    return data


def encode_envelope(
    *,
    channel: str,
    gateway: str,
    from_num: int,
    to_num: int,
    packet_id: int,
    portnum: int,
    payload: bytes,
    key: bytes | None,
    channel_hash: int = 0,
) -> bytes:
    """Build a ServiceEnvelope as a gateway would (for tests, the bench and gateway mode)."""
    data = mesh_pb2.Data(portnum=portnum, payload=payload).SerializeToString()
    pkt = mesh_pb2.MeshPacket(to=to_num, id=packet_id, channel=channel_hash, hop_limit=3)
    setattr(pkt, "from", from_num)
    if key is None:
        pkt.decoded.ParseFromString(data)
    else:
        pkt.encrypted = crypt(key, packet_id, from_num, data)
    env = mqtt_pb2.ServiceEnvelope(channel_id=channel, gateway_id=gateway)
    env.packet.CopyFrom(pkt)
    out: bytes = env.SerializeToString()
    return out


class MeshMqttDecoder:
    """Decode envelopes with the channel keys the hub knows; remembers recent packets."""

    def __init__(self, keys: Sequence[ChannelKey], *, remember: int = 1024) -> None:
        default = ChannelKey(None, DEFAULT_KEY)
        self.keys: tuple[ChannelKey, ...] = (*keys, *(() if default in keys else (default,)))
        self._seen: OrderedDict[tuple[int, int], None] = OrderedDict()
        self._remember = remember

    def decode(self, topic: str, payload: bytes, now: float) -> Decoded:
        """Decode one MQTT message; raises :class:`MeshMqttError` with a reason."""
        if len(payload) > MAX_ENVELOPE:
            raise MeshMqttError("too_large", f"{len(payload)} bytes")
        where = parse_topic(topic)
        if where.kind not in ("e", "c"):
            raise MeshMqttError("ignored", f"{where.kind} topics carry no envelopes")
        env = mqtt_pb2.ServiceEnvelope()
        try:
            env.ParseFromString(payload)
        except (DecodeError, ValueError) as e:
            raise MeshMqttError("bad_protobuf", f"not a ServiceEnvelope: {e}") from e
        if not env.HasField("packet"):
            raise MeshMqttError("bad_protobuf", "envelope without a packet")
        pkt = env.packet
        from_num, to_num, packet_id = getattr(pkt, "from"), pkt.to, pkt.id
        if not 0 < from_num < MAX_NODE_NUM or packet_id == 0:
            raise MeshMqttError("bad_packet", f"from {from_num:#x} id {packet_id:#x}")
        channel = env.channel_id or where.channel
        if pkt.HasField("decoded"):
            data: mesh_pb2.Data | None = pkt.decoded
            encrypted = False
            if data is None or data.portnum not in _KNOWN_PORTS:
                raise MeshMqttError("bad_packet", "plaintext packet with an unknown port")
        elif pkt.pki_encrypted:
            raise MeshMqttError("no_key", "a PKI direct message is for its addressee only")
        elif pkt.encrypted:
            data = self._decrypt(pkt, channel)
            encrypted = True
        else:
            raise MeshMqttError("bad_packet", "packet carries neither data nor ciphertext")
        key = (from_num, packet_id)
        duplicate = key in self._seen
        if not duplicate:
            self._seen[key] = None
            if len(self._seen) > self._remember:
                self._seen.popitem(last=False)
        events = () if duplicate else self._events(pkt, data, now)
        return Decoded(
            channel, env.gateway_id, from_num, to_num, packet_id, data.portnum, encrypted,
            duplicate, events,
        )  # fmt: skip

    def _decrypt(self, pkt: mesh_pb2.MeshPacket, channel: str) -> mesh_pb2.Data:
        matching = [k for k in self.keys if k.name in (None, channel) and k.key is not None]
        # try keys whose channel hash matches the packet's first: it is only a hint
        matching.sort(key=lambda k: k.channel_hash(channel) != pkt.channel)
        from_num = getattr(pkt, "from")
        for k in matching:
            assert k.key is not None
            data = _parse_data(crypt(k.key, pkt.id, from_num, pkt.encrypted))
            if data is not None:
                return data
        raise MeshMqttError("no_key", f"no known key decrypts a packet on {channel[:20]!r}")

    def _events(
        self, pkt: mesh_pb2.MeshPacket, data: mesh_pb2.Data, now: float
    ) -> tuple[TextReceived | NodeSeen, ...]:
        from_num = getattr(pkt, "from")
        if data.portnum == TEXT_PORT:
            if len(data.payload) > MAX_TEXT:
                raise MeshMqttError("too_large", f"text of {len(data.payload)} bytes")
            try:
                text = data.payload.decode("utf-8")
            except UnicodeDecodeError as e:
                raise MeshMqttError("garbage", f"text is not UTF-8: {e}") from e
            return (
                TextReceived(
                    from_num=from_num,
                    to_num=pkt.to,
                    packet_id=pkt.id,
                    channel=0,  # MQTT carries a channel hash, not the radio's channel index
                    text=text,
                    pki_encrypted=False,
                    public_key=None,
                    rx_time=pkt.rx_time or int(now),
                    hop_start=pkt.hop_start or None,
                    hop_limit=pkt.hop_limit,
                    rx_snr=pkt.rx_snr or None,
                    rx_rssi=pkt.rx_rssi or None,
                    via="mqtt",
                ),
            )
        if data.portnum == NODEINFO_PORT:
            user = mesh_pb2.User()
            try:
                user.ParseFromString(data.payload)
            except (DecodeError, ValueError) as e:
                raise MeshMqttError("garbage", f"NODEINFO payload is not a User: {e}") from e
            return (
                NodeSeen(
                    num=from_num,
                    long_name=user.long_name[:40],
                    short_name=user.short_name[:8],
                    public_key=None,  # never pin a key learnt over MQTT
                    last_heard=int(now),
                ),
            )
        return ()


def make_decoder(channel_keys: tuple[str, ...] | list[str]) -> MeshMqttDecoder:
    """A decoder for the given channel keys (the default key is always tried).

    :raises hub.errors.InputError: a key that does not parse, with the reason.
    """
    try:
        keys = [parse_channel_key(spec) for spec in channel_keys]
    except ValueError as e:
        raise InputError(f"bad Meshtastic channel key: {e}") from e
    return MeshMqttDecoder(keys)
