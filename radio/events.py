"""Typed events the radio adapter delivers, and the constants callers need to send.

Every event is a frozen, slotted dataclass with snake_case fields; nothing of the
``meshtastic`` library's camelCase dicts or protobufs leaks past the adapter. Node numbers
are plain ``int`` (0..0xFFFFFFFF); :data:`BROADCAST` addresses every node.

Authenticity: ``from_num`` of a channel message is *not* authenticated. A DM with
``pki_encrypted`` true carries the sender's ``public_key`` as seen by the radio; compare it
with the key pinned at enrolment before trusting ``from_num``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypeAlias

from hub.mesh import BROADCAST as BROADCAST  # re-exported: callers send to it

MAX_NODE_NUM = BROADCAST  # node numbers are 32-bit; the top one means "everyone"
MAX_HOP_LIMIT = 7
PRIVATE_PORT_MIN = 256
PRIVATE_PORT_MAX = 511
TEXT_PORT = 1
"""Meshtastic's TEXT_MESSAGE_APP port number."""


class Priority(enum.IntEnum):
    """Outgoing priority: lower value leaves first. Alerts before replies before bulk data."""

    ALERT = 0
    REPLY = 1
    BULK = 2


@dataclass(frozen=True, slots=True)
class Connected:
    """The adapter finished the radio's config download and can send."""

    my_node_num: int
    long_name: str
    short_name: str
    firmware: str


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The link to the radio went away; the adapter will reconnect with backoff."""

    reason: str


@dataclass(frozen=True, slots=True)
class TextReceived:
    """A UTF-8 text message (Meshtastic TEXT_MESSAGE_APP) heard by the radio."""

    from_num: int
    to_num: int
    packet_id: int
    channel: int
    text: str
    pki_encrypted: bool
    public_key: bytes | None
    rx_time: int | None
    hop_start: int | None
    hop_limit: int | None
    rx_snr: float | None
    rx_rssi: int | None
    via: str = "radio"

    @property
    def is_direct(self) -> bool:
        """True for a DM (addressed to one node), False for a channel broadcast."""
        return self.to_num != BROADCAST


@dataclass(frozen=True, slots=True)
class DataReceived:
    """A binary payload on a private application port (256–511)."""

    from_num: int
    to_num: int
    packet_id: int
    channel: int
    port: int
    payload: bytes
    pki_encrypted: bool
    public_key: bytes | None
    rx_time: int | None
    hop_start: int | None
    hop_limit: int | None
    rx_snr: float | None
    rx_rssi: int | None
    via: str = "radio"

    @property
    def is_direct(self) -> bool:
        """True for a DM (addressed to one node), False for a channel broadcast."""
        return self.to_num != BROADCAST

    @property
    def relayed(self) -> bool:
        """True when another node rebroadcast it on its way here (the firmware sets
        ``hop_start`` since 2.3; without it, taken as heard directly)."""
        start, left = self.hop_start, self.hop_limit
        return start is not None and left is not None and start > left


@dataclass(frozen=True, slots=True)
class NodeSeen:
    """The radio reported a node (from its node DB or a NODEINFO packet)."""

    num: int
    long_name: str
    short_name: str
    public_key: bytes | None
    last_heard: int | None


@dataclass(frozen=True, slots=True)
class PositionReceived:
    """A position report carrying a GPS time (seconds since the epoch); other fields are
    not used by Canopy. From the hub's own radio it is the hub's best clock."""

    from_num: int
    gps_time: int


@dataclass(frozen=True, slots=True)
class SendResult:
    """Outcome of one accepted outgoing part.

    ``ok`` is true on ACK, or once handed to the radio when no ACK was wanted. Otherwise
    ``reason`` is the routing error name from the NAK (e.g. ``MAX_RETRANSMIT``) or why the
    adapter gave up (``ACK_TIMEOUT``, ``EXPIRED``, ``GAVE_UP``, ``STOPPED``).
    """

    outgoing_id: int
    ok: bool
    reason: str


RadioEvent: TypeAlias = (
    Connected
    | Disconnected
    | TextReceived
    | DataReceived
    | NodeSeen
    | PositionReceived
    | SendResult
)
