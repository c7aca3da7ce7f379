"""Airtime against the Semtech formula's known values for Meshtastic presets."""

from __future__ import annotations

import pytest

from radio.lora import frame_airtime_s
from radio.sim import UnknownPresetError, duty_cycle_percent, packet_airtime_s, preset_params


@pytest.mark.parametrize(
    ("preset", "frame", "ms"),
    [
        ("LONG_FAST", 66, 722.944),  # SF11/250k/4:5, 16+50 bytes
        ("LONG_FAST", 249, 2115.584),  # a full frame, 16+233 bytes
        ("SHORT_FAST", 66, 65.664),  # SF7/250k
        ("SHORT_FAST", 249, 198.784),
        ("LONG_SLOW", 66, 4595.712),  # SF12/125k/4:8, low-data-rate optimisation on
        ("SHORT_TURBO", 66, 32.832),
    ],
)
def test_known_airtimes(preset: str, frame: int, ms: float) -> None:
    assert frame_airtime_s(frame, preset_params(preset)) * 1000 == pytest.approx(ms, abs=0.01)


def test_payload_adds_the_16_byte_header() -> None:
    lf = preset_params("LONG_FAST")
    assert packet_airtime_s(50, lf) == frame_airtime_s(66, lf)


def test_low_data_rate_optimisation_only_above_16_ms_symbols() -> None:
    assert not preset_params("LONG_FAST").low_data_rate  # 8.192 ms
    assert preset_params("LONG_SLOW").low_data_rate  # 32.768 ms
    assert preset_params("VERY_LONG_SLOW").low_data_rate


def test_airtime_grows_with_length_and_spreading_factor() -> None:
    lf, sf = preset_params("LONG_FAST"), preset_params("SHORT_FAST")
    assert frame_airtime_s(10, lf) < frame_airtime_s(100, lf) < frame_airtime_s(200, lf)
    assert frame_airtime_s(100, sf) * 10 < frame_airtime_s(100, lf)


def test_unknown_preset_and_negative_length_raise() -> None:
    with pytest.raises(UnknownPresetError):
        preset_params("WARP_SPEED")
    with pytest.raises(ValueError):
        frame_airtime_s(-1, preset_params("LONG_FAST"))


def test_regional_duty_cycle() -> None:
    assert duty_cycle_percent("EU_868") == 10.0
    assert duty_cycle_percent("eu_868") == 10.0
    assert duty_cycle_percent("US") is None
