"""Packet-level pieces of the simulator: delivery events, counters, frame size, routing packets."""

from __future__ import annotations

from dataclasses import dataclass

from meshtastic.protobuf import mesh_pb2, portnums_pb2

from radio.sim.airtime import MESH_HEADER_BYTES

PKI_OVERHEAD_BYTES = 12  # auth tag + extra nonce of a PKI-encrypted DM
ROUTING = portnums_pb2.PortNum.ROUTING_APP
# Meshtastic never PKI-encrypts these ports, even in a DM.
PKI_EXEMPT_PORTS = frozenset(
    {
        portnums_pb2.PortNum.ROUTING_APP,
        portnums_pb2.PortNum.NODEINFO_APP,
        portnums_pb2.PortNum.POSITION_APP,
        portnums_pb2.PortNum.TRACEROUTE_APP,
    }
)


@dataclass(frozen=True, slots=True)
class Delivery:
    """A packet for every client connected to node `node`."""

    node: int
    packet: mesh_pb2.MeshPacket


@dataclass(slots=True)
class NodeStats:
    """Counters of one node; "dropped" counts receptions lost and own packets refused."""

    packets_sent: int = 0
    bytes_sent: int = 0
    packets_received: int = 0
    bytes_received: int = 0
    packets_dropped: int = 0
    bytes_dropped: int = 0
    collisions: int = 0
    duplicates: int = 0
    duty_cycle_refusals: int = 0
    delivered_to_client: int = 0
    airtime_s: float = 0.0


def from_num(p: mesh_pb2.MeshPacket) -> int:
    """`from` of a packet (a Python keyword, hence getattr)."""
    return int(getattr(p, "from"))


def frame_size(p: mesh_pb2.MeshPacket) -> int:
    """Bytes on the air: encoded payload (+ PKI overhead) + the 16-byte Meshtastic header."""
    payload = p.decoded.ByteSize() if p.HasField("decoded") else len(p.encrypted)
    return payload + (PKI_OVERHEAD_BYTES if p.pki_encrypted else 0) + MESH_HEADER_BYTES


def routing_packet(
    src: int, dst: int, packet_id: int, request_id: int, error: int
) -> mesh_pb2.MeshPacket:
    """A ROUTING_APP packet: an ACK (error NONE) or NAK of `request_id`."""
    a = mesh_pb2.MeshPacket()
    setattr(a, "from", src)
    a.to = dst
    a.id = packet_id
    a.priority = mesh_pb2.MeshPacket.Priority.ACK
    a.decoded.portnum = ROUTING
    a.decoded.request_id = request_id
    a.decoded.payload = mesh_pb2.Routing(error_reason=error).SerializeToString()
    return a
