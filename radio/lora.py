"""LoRa airtime from the Semtech formula and the Meshtastic modem presets (pure).

Invariants: a frame is the Meshtastic payload plus the 16-byte Meshtastic header; the PHY
uses a 16-symbol preamble, an explicit header and a payload CRC; low-data-rate optimisation
is on when the symbol time exceeds 16 ms (Semtech AN1200.13). The radio adapter's airtime
budget and the simulator's medium both use this one formula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MESH_HEADER_BYTES = 16
PREAMBLE_SYMBOLS = 16


@dataclass(frozen=True, slots=True)
class ModemParams:
    """Physical-layer parameters of one modem preset."""

    spreading_factor: int
    bandwidth_hz: float
    coding_rate: int  # denominator of 4/x, i.e. 5..8

    @property
    def symbol_time_s(self) -> float:
        return float(2**self.spreading_factor) / self.bandwidth_hz

    @property
    def low_data_rate(self) -> bool:
        return self.symbol_time_s > 0.016


# Meshtastic firmware's preset table (RadioInterface.cpp, modemPresetToParams).
PRESETS: dict[str, ModemParams] = {
    "SHORT_TURBO": ModemParams(7, 500_000.0, 5),
    "SHORT_FAST": ModemParams(7, 250_000.0, 5),
    "SHORT_SLOW": ModemParams(8, 250_000.0, 5),
    "MEDIUM_FAST": ModemParams(9, 250_000.0, 5),
    "MEDIUM_SLOW": ModemParams(10, 250_000.0, 5),
    "LONG_TURBO": ModemParams(11, 500_000.0, 8),
    "LONG_FAST": ModemParams(11, 250_000.0, 5),
    "LONG_MODERATE": ModemParams(11, 125_000.0, 8),
    "LONG_SLOW": ModemParams(12, 125_000.0, 8),
    "VERY_LONG_SLOW": ModemParams(12, 62_500.0, 8),
}


def frame_airtime_s(frame_bytes: int, params: ModemParams) -> float:
    """Time on air in seconds of a LoRa frame of `frame_bytes` PHY payload bytes."""
    if frame_bytes < 0:
        raise ValueError("frame length must be >= 0")
    sf = params.spreading_factor
    de = 1 if params.low_data_rate else 0
    cr = params.coding_rate - 4
    header_implicit = 0
    crc = 1
    numerator = 8 * frame_bytes - 4 * sf + 28 + 16 * crc - 20 * header_implicit
    payload_symbols = 8 + max(math.ceil(numerator / (4 * (sf - 2 * de))) * (cr + 4), 0)
    preamble_s = (PREAMBLE_SYMBOLS + 4.25) * params.symbol_time_s
    return preamble_s + payload_symbols * params.symbol_time_s


REGION_DUTY_CYCLE: dict[str, float] = {
    "EU_433": 0.10,
    "EU_868": 0.10,
    "UA_433": 0.10,
    "UA_868": 0.01,
}
"""Legal duty-cycle limits (as in the Meshtastic firmware's region table); others have none."""
