"""The radio adapter."""

from radio.adapter.core import RadioAdapter, read_radio_info

__all__ = ["RadioAdapter", "read_radio_info"]
