"""The kit: a signed bundle of what another neighbourhood needs to start (no people).

Names are loaded from their modules on first use (:mod:`hub.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from hub.kit.bundle import CARRIED as CARRIED
    from hub.kit.bundle import Kit as Kit
    from hub.kit.bundle import build_kit as build_kit
    from hub.kit.bundle import personal_data as personal_data
    from hub.kit.bundle import read_kit as read_kit
    from hub.kit.hubkit import collect as collect
    from hub.kit.hubkit import plan as plan
    from hub.kit.texts import LANGUAGES as LANGUAGES
    from hub.kit.texts import steward_card as steward_card
    from hub.kit.texts import translations as translations

__all__ = [
    "CARRIED",
    "LANGUAGES",
    "Kit",
    "build_kit",
    "collect",
    "personal_data",
    "plan",
    "read_kit",
    "steward_card",
    "translations",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "CARRIED": "hub.kit.bundle",
        "Kit": "hub.kit.bundle",
        "build_kit": "hub.kit.bundle",
        "personal_data": "hub.kit.bundle",
        "read_kit": "hub.kit.bundle",
        "collect": "hub.kit.hubkit",
        "plan": "hub.kit.hubkit",
        "LANGUAGES": "hub.kit.texts",
        "steward_card": "hub.kit.texts",
        "translations": "hub.kit.texts",
    },
)
