"""The sans-IO Meshtastic MQTT codec, against captured packets and hostile input."""

from __future__ import annotations

import base64
import contextlib
import os
import struct

import pytest
from meshtastic.protobuf import mesh_pb2, mqtt_pb2, portnums_pb2

from radio.events import NodeSeen, TextReceived
from radio.mqttcodec import (
    DEFAULT_KEY,
    ChannelKey,
    MeshMqttDecoder,
    MeshMqttError,
    crypt,
    encode_envelope,
    expand_psk,
    parse_channel_key,
    parse_topic,
)

# Two LoRa frames captured off the air on a channel using the default key (AQ==), published
# as MESH_PAYLOAD_PACKET (and the commented-out second frame beside it) in a public
# Meshtastic decoder script derived from https://gitlab.com/crankylinuxuser/meshtastic_sdr
# (class ``Decrypter``). Layout: to, from, id (u32 LE each), flags, channel hash, next hop,
# relay node, then the AES-CTR ciphertext of a ``Data`` protobuf.
FRAME_TEXT = b"\xff\xff\xff\xffP\xcd]\xa4e5\x19\xcecw\x00\x00v\xbc\xaa:\xcd\x18nq$A\x1e0`\xaf\xa0"
FRAME_NODEINFO = (
    b"\xff\xff\xff\xffP|I\xca\\g\x1a~cw\x00P2\xd4\xaa\x06\xa4\xbca=\xce\x8b\xbbJ\xdb\xdc\xedJ"
    b"\xd9\x84\xff\\Mj\x88\xee\xe8\xee1\x85Q\xb6X\x9c\xbc]\xf6\x04\xae\xac\x00\xb7\x9c\xe2"
    b"\xe5\xf4\xcf\xca]\x8bI\x10y\xe5\xe7\x9aQ\xbe[\x1e\xf9M\xbf]\x19\x90\xa2\xbe\xd6?\x97"
    b"\x83\xe1\xd9\xba\xb2'\xb98;\x87\x99\xc1\xac)s\x86"
)
TOPIC = "msh/EU_868/2/e/LongFast/!a1b2c3d4"


def envelope_from_frame(frame: bytes, channel: str = "LongFast") -> bytes:
    """Wrap a captured LoRa frame as a gateway does: header fields + ciphertext."""
    to, frm, pid = struct.unpack_from("<III", frame)
    pkt = mesh_pb2.MeshPacket(to=to, id=pid, channel=frame[13], encrypted=frame[16:])
    setattr(pkt, "from", frm)
    env = mqtt_pb2.ServiceEnvelope(channel_id=channel, gateway_id="!a1b2c3d4")
    env.packet.CopyFrom(pkt)
    return env.SerializeToString()


def test_default_key_expansion() -> None:
    assert DEFAULT_KEY.hex() == "d4f1bb3a20290759f0bcffabcf4e6901"
    assert parse_channel_key("AQ==").key == DEFAULT_KEY
    assert parse_channel_key("AQ").key == DEFAULT_KEY  # padding optional
    assert expand_psk(b"\x02") == DEFAULT_KEY[:-1] + b"\x02"
    assert expand_psk(b"") is None and expand_psk(b"\x00") is None
    k = parse_channel_key("Ops=" + base64.b64encode(bytes(range(32))).decode())
    assert k.name == "Ops" and k.key == bytes(range(32))
    for bad in ("!!!", "AAAA", "x" * 13 + "=AQ=="):
        with pytest.raises(MeshMqttError):
            parse_channel_key(bad)


def test_captured_text_decodes_with_the_default_key() -> None:
    dec = MeshMqttDecoder([]).decode(TOPIC, envelope_from_frame(FRAME_TEXT), now=1_700_000_000)
    assert dec.from_num == 0xA45DCD50 and dec.packet_id == 0xCE193565 and dec.encrypted
    assert dec.portnum == portnums_pb2.PortNum.TEXT_MESSAGE_APP
    (ev,) = dec.events
    assert isinstance(ev, TextReceived)
    assert ev.text == "Hola mano" and ev.to_num == 0xFFFFFFFF
    assert ev.via == "mqtt" and ev.pki_encrypted is False and ev.public_key is None


def test_captured_nodeinfo_gives_names_but_never_a_key() -> None:
    dec = MeshMqttDecoder([]).decode(TOPIC, envelope_from_frame(FRAME_NODEINFO), now=5)
    (ev,) = dec.events
    assert isinstance(ev, NodeSeen)
    assert (ev.num, ev.long_name, ev.short_name) == (0xCA497C50, "Meshtastic 7c50", "7c50")
    assert ev.public_key is None and ev.last_heard == 5


def test_nonce_layout_and_aes256_round_trip() -> None:
    key = os.urandom(32)
    env = encode_envelope(
        channel="Ops", gateway="!00000001", from_num=0x1234, to_num=0xFFFFFFFF,
        packet_id=0xDEADBEEF, portnum=1, payload="hé".encode(), key=key,
    )  # fmt: skip
    dec = MeshMqttDecoder([ChannelKey("Ops", key)]).decode("msh/2/e/Ops/!00000001", env, 0)
    assert dec.events[0].text == "hé"  # type: ignore[union-attr]
    # CTR keystream block 0 is AES(nonce): id u64 LE || from u32 LE || 0u32
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    block = struct.pack("<QI", 7, 9) + bytes(4)
    ks = Cipher(algorithms.AES(DEFAULT_KEY), modes.ECB()).encryptor().update(block)
    assert crypt(DEFAULT_KEY, 7, 9, bytes(16)) == ks


def test_the_same_packet_via_two_gateways_is_reported_once() -> None:
    d = MeshMqttDecoder([])
    env = envelope_from_frame(FRAME_TEXT)
    assert d.decode(TOPIC, env, 0).events
    again = d.decode("msh/EU_868/2/e/LongFast/!99999999", env, 0)
    assert again.duplicate and again.events == ()


def test_wrong_key_and_garbage_are_refused_with_a_reason() -> None:
    d = MeshMqttDecoder([])
    other = encode_envelope(
        channel="LongFast", gateway="!1", from_num=5, to_num=1, packet_id=77,
        portnum=1, payload=b"secret", key=os.urandom(16),
    )  # fmt: skip
    cases = {
        "no_key": other,
        "bad_protobuf": b"\xff\xff\xff\xff garbage",
        "too_large": b"\x00" * 5000,
    }
    for reason, payload in cases.items():
        with pytest.raises(MeshMqttError) as e:
            d.decode(TOPIC, payload, 0)
        assert e.value.reason == reason, payload[:20]
    with pytest.raises(MeshMqttError) as e:
        d.decode(TOPIC, b"", 0)  # an empty envelope has no packet
    assert e.value.reason == "bad_protobuf"
    with pytest.raises(MeshMqttError) as e:
        d.decode("canopy/v1/x/status", envelope_from_frame(FRAME_TEXT), 0)
    assert e.value.reason == "bad_topic"
    with pytest.raises(MeshMqttError) as e:
        d.decode("msh/EU_868/2/json/LongFast/!1", b"{}", 0)
    assert e.value.reason == "ignored"
    bad_utf8 = encode_envelope(
        channel="LongFast", gateway="!1", from_num=5, to_num=1, packet_id=78,
        portnum=1, payload=b"\xff\xfe", key=None,
    )  # fmt: skip
    with pytest.raises(MeshMqttError) as e:
        d.decode(TOPIC, bad_utf8, 0)
    assert e.value.reason == "garbage"
    for _ in range(300):  # random bytes never crash, only refuse
        with contextlib.suppress(MeshMqttError):
            d.decode(TOPIC, os.urandom(200), 0)


def test_topic_parsing() -> None:
    t = parse_topic("msh/US/CA/bayarea/2/e/LongFast/!deadbeef")
    assert (t.root, t.kind, t.channel, t.gateway) == (
        "msh/US/CA/bayarea",
        "e",
        "LongFast",
        "!deadbeef",
    )
    with pytest.raises(MeshMqttError):
        parse_topic("msh/US")
