"""The radio adapter.

Names are loaded from their modules on first use (:mod:`hub.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from radio.adapter.core import RadioAdapter as RadioAdapter
    from radio.adapter.core import read_radio_info as read_radio_info
    from radio.adapter.decode import PacketDropped as PacketDropped
    from radio.adapter.decode import decode_node as decode_node
    from radio.adapter.decode import decode_packet as decode_packet
    from radio.adapter.decode import decode_public_key as decode_public_key
    from radio.adapter.info import format_info as format_info
    from radio.adapter.link import Backoff as Backoff
    from radio.adapter.link import RadioUrl as RadioUrl
    from radio.adapter.link import parse_radio_url as parse_radio_url
    from radio.adapter.link import transmit as transmit

__all__ = [
    "Backoff",
    "PacketDropped",
    "RadioAdapter",
    "RadioUrl",
    "decode_node",
    "decode_packet",
    "decode_public_key",
    "format_info",
    "parse_radio_url",
    "read_radio_info",
    "transmit",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "RadioAdapter": "radio.adapter.core",
        "read_radio_info": "radio.adapter.core",
        "PacketDropped": "radio.adapter.decode",
        "decode_node": "radio.adapter.decode",
        "decode_packet": "radio.adapter.decode",
        "decode_public_key": "radio.adapter.decode",
        "format_info": "radio.adapter.info",
        "Backoff": "radio.adapter.link",
        "RadioUrl": "radio.adapter.link",
        "parse_radio_url": "radio.adapter.link",
        "transmit": "radio.adapter.link",
    },
)
