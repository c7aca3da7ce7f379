"""The simulator's view of LoRa: presets by name, packet airtime, regional duty cycles.

The formula and the preset table are :mod:`radio.lora`'s, shared with the radio adapter.
"""

from __future__ import annotations

from radio.lora import (
    MESH_HEADER_BYTES,
    PREAMBLE_SYMBOLS,
    PRESETS,
    REGION_DUTY_CYCLE,
    ModemParams,
    frame_airtime_s,
)

__all__ = [
    "DUTY_CYCLE_PERCENT",
    "DUTY_CYCLE_WINDOW_S",
    "MAX_LORA_FRAME",
    "MESH_HEADER_BYTES",
    "PREAMBLE_SYMBOLS",
    "PRESETS",
    "ModemParams",
    "UnknownPresetError",
    "duty_cycle_percent",
    "frame_airtime_s",
    "packet_airtime_s",
    "preset_params",
]

MAX_LORA_FRAME = 255


class UnknownPresetError(ValueError):
    """A modem preset or region name the simulator does not know."""


# Regional duty-cycle limits in percent of airtime per hour; regions not listed have none.
DUTY_CYCLE_PERCENT: dict[str, float] = {r: f * 100 for r, f in REGION_DUTY_CYCLE.items()}
DUTY_CYCLE_WINDOW_S = 3600.0


def preset_params(name: str) -> ModemParams:
    """Return the parameters of a preset; raises UnknownPresetError for an unknown name."""
    try:
        return PRESETS[name.upper()]
    except KeyError as e:
        raise UnknownPresetError(f"unknown modem preset {name!r}") from e


def packet_airtime_s(payload_bytes: int, params: ModemParams) -> float:
    """Airtime of a Meshtastic packet whose encoded payload is `payload_bytes` long."""
    return frame_airtime_s(payload_bytes + MESH_HEADER_BYTES, params)


def duty_cycle_percent(region: str) -> float | None:
    """The region's duty-cycle limit in percent, or None when it has none."""
    return DUTY_CYCLE_PERCENT.get(region.upper())
