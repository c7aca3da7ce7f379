"""The steward desk: the command language (sans-IO), its texts and policy, its rate limits.

Names are loaded from their modules on first use (:mod:`hub.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from radio.desk.core import StewardDesk as StewardDesk
    from radio.desk.limits import Limits as Limits
    from radio.desk.limits import RateLimits as RateLimits
    from radio.desk.texts import BURNED as BURNED
    from radio.desk.texts import HELP as HELP
    from radio.desk.texts import HELP_COORD as HELP_COORD
    from radio.desk.texts import HELP_SHORT as HELP_SHORT
    from radio.desk.texts import MAX_PART as MAX_PART
    from radio.desk.texts import Action as Action
    from radio.desk.texts import Broadcast as Broadcast
    from radio.desk.texts import DeskPolicy as DeskPolicy
    from radio.desk.texts import Refusal as Refusal
    from radio.desk.texts import Reply as Reply
    from radio.desk.texts import is_join as is_join

__all__ = [
    "BURNED",
    "HELP",
    "HELP_COORD",
    "HELP_SHORT",
    "MAX_PART",
    "Action",
    "Broadcast",
    "DeskPolicy",
    "Limits",
    "RateLimits",
    "Refusal",
    "Reply",
    "StewardDesk",
    "is_join",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "StewardDesk": "radio.desk.core",
        "Limits": "radio.desk.limits",
        "RateLimits": "radio.desk.limits",
        "Action": "radio.desk.texts",
        "BURNED": "radio.desk.texts",
        "Broadcast": "radio.desk.texts",
        "DeskPolicy": "radio.desk.texts",
        "HELP": "radio.desk.texts",
        "HELP_COORD": "radio.desk.texts",
        "HELP_SHORT": "radio.desk.texts",
        "MAX_PART": "radio.desk.texts",
        "Refusal": "radio.desk.texts",
        "Reply": "radio.desk.texts",
        "is_join": "radio.desk.texts",
    },
)
