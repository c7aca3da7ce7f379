"""What a connected radio reports about itself: a typed snapshot and its text rendering.

Read once after the config download, from the library interface, into plain dataclasses
(:class:`RadioInfo`) that ``canopy radio info`` prints and ``RadioAdapter.info()`` returns.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from meshtastic.protobuf import channel_pb2, config_pb2

from radio.adapter.decode import decode_public_key
from radio.outqueue import PRESETS, LoraPreset


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """One configured channel (disabled slots are left out)."""

    index: int
    role: str
    name: str


@dataclass(frozen=True, slots=True)
class HeardNode:
    """A node in the radio's node DB."""

    num: int
    long_name: str
    short_name: str
    last_heard: int | None
    snr: float | None
    hops_away: int | None
    has_public_key: bool


@dataclass(frozen=True, slots=True)
class RadioInfo:
    """The radio's own description of itself and what it has heard."""

    url: str
    my_node_num: int
    long_name: str
    short_name: str
    firmware: str
    hw_model: str
    region: str
    modem_preset: str
    hop_limit: int
    channels: tuple[ChannelInfo, ...]
    nodes: tuple[HeardNode, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (node numbers as ints, plus ``!xxxxxxxx`` ids for people)."""
        d = dataclasses.asdict(self)
        d["my_node_id"] = f"!{self.my_node_num:08x}"
        for n in d["nodes"]:
            n["node_id"] = f"!{n['num']:08x}"
        return d


def _enum_name(enum: Any, value: int) -> str:
    try:
        return str(enum.Name(value))
    except ValueError:
        return str(value)


def lora_preset(iface: Any) -> LoraPreset | None:
    """The LoRa modulation the radio uses, or None when the radio did not say."""
    lora = iface.localNode.localConfig.lora
    if not lora.use_preset and lora.spread_factor and lora.bandwidth:
        cr = lora.coding_rate if 5 <= lora.coding_rate <= 8 else 5
        return LoraPreset("CUSTOM", lora.spread_factor, lora.bandwidth * 1000.0, cr)
    name = _enum_name(config_pb2.Config.LoRaConfig.ModemPreset, lora.modem_preset)
    return PRESETS.get(name)


def snapshot(iface: Any, url: str) -> RadioInfo:
    """Read a :class:`RadioInfo` from a configured library interface."""
    my_num = int(iface.myInfo.my_node_num)
    nodes_by_num: dict[int, Any] = dict(iface.nodesByNum or {})
    me = nodes_by_num.get(my_num, {}).get("user", {})
    metadata = getattr(iface, "metadata", None)
    lora = iface.localNode.localConfig.lora
    channels = tuple(
        ChannelInfo(
            index=int(c.index),
            role=_enum_name(channel_pb2.Channel.Role, c.role),
            name=c.settings.name,
        )
        for c in (iface.localNode.channels or [])
        if c.role != channel_pb2.Channel.Role.DISABLED
    )
    heard = tuple(
        HeardNode(
            num=int(num),
            long_name=str(n.get("user", {}).get("longName", "")),
            short_name=str(n.get("user", {}).get("shortName", "")),
            last_heard=n.get("lastHeard"),
            snr=n.get("snr"),
            hops_away=n.get("hopsAway"),
            has_public_key=decode_public_key(n.get("user", {}).get("publicKey")) is not None,
        )
        for num, n in sorted(nodes_by_num.items())
        if num != my_num
    )
    return RadioInfo(
        url=url,
        my_node_num=my_num,
        long_name=str(me.get("longName", "")),
        short_name=str(me.get("shortName", "")),
        firmware=metadata.firmware_version if metadata is not None else "",
        hw_model=str(me.get("hwModel", "")),
        region=_enum_name(config_pb2.Config.LoRaConfig.RegionCode, lora.region),
        modem_preset=_enum_name(config_pb2.Config.LoRaConfig.ModemPreset, lora.modem_preset)
        if lora.use_preset
        else "CUSTOM",
        hop_limit=int(lora.hop_limit),
        channels=channels,
        nodes=heard,
    )


def format_info(info: RadioInfo) -> str:
    """Human-readable rendering for ``canopy radio info``."""
    lines = [
        f"radio:     {info.url}",
        f"node:      !{info.my_node_num:08x} ({info.my_node_num})",
        f"names:     {info.long_name} / {info.short_name}",
        f"firmware:  {info.firmware or 'unknown'}  hardware: {info.hw_model or 'unknown'}",
        f"lora:      region {info.region}, preset {info.modem_preset}, hop limit {info.hop_limit}",
        f"channels:  {len(info.channels)}",
    ]
    lines += [f"  [{c.index}] {c.role:<9} {c.name or '(default)'}" for c in info.channels]
    lines.append(f"nodes heard: {len(info.nodes)}")
    for n in info.nodes:
        extra = []
        if n.snr is not None:
            extra.append(f"snr {n.snr:g}")
        if n.hops_away is not None:
            extra.append(f"{n.hops_away} hops")
        if n.has_public_key:
            extra.append("pki")
        tail = f"  ({', '.join(extra)})" if extra else ""
        lines.append(f"  !{n.num:08x} {n.long_name} / {n.short_name}{tail}")
    return "\n".join(lines)
