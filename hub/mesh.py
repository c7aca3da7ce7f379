"""Meshtastic facts the hub and the radio room both rely on, defined once.

They live in ``hub`` because ``hub`` may not import ``radio``; ``radio`` imports them from
here. See docs/radio.md and ARCHITECTURE.md (radio facts, meshtastic 2.7.x).
"""

from __future__ import annotations

BROADCAST = 0xFFFFFFFF
"""Destination meaning every node on the channel; node numbers are 32-bit, so it is also
the highest one."""

MAX_DATA_BYTES = 219
"""Largest binary payload of one packet on a private port: what fits in a PKI DM, and so
in a broadcast too."""

MAX_TEXT_BYTES = 200
"""What official Meshtastic clients allow per text message (UTF-8 bytes)."""
