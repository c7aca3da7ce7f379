"""What the steward desk says and does: its actions, policy knobs and fixed texts.

Split from :mod:`radio.desk.core` so that the command logic reads on its own; everything
here is plain data (sans-IO).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from hub.mesh import MAX_TEXT_BYTES
from hub.settings import OVERDUE_GRACE
from hub.state import AlertPolicy
from radio.desk.limits import Limits
from radio.fragment import split_text

MAX_IN_BYTES = 233
MAX_PART = MAX_TEXT_BYTES  # every reply part fits one radio text
BURNED = (
    "That JOIN code was sent where every radio on the channel can read it, so it is now "
    "cancelled. Ask a coordinator for a new one and send it as a direct message."
)
HELP_SHORT = (
    "Unknown command. Try: IN [min], OUT, LOG text, INC cat [place]: details, WHO, ALERTS, "
    "ACK n, HELP"
)
HELP = (
    "IN [min] [note] start shift | OUT [note] end | LOG text note | "
    "INC cat [place]: details (sealed) | "
    "WHO on duty | ALERTS | MORE next page | ACK n | RESEND k part k | "
    "FIX n text correct your entry n | ROLES | VOTES | VOTE n YES/NO | PROPOSE h role 90d"
)
HELP_COORD = " | ALERT text | CANCEL n"
STATE_VERBS = frozenset(
    {"IN", "OUT", "LOG", "INC", "ACK", "FIX", "ALERT", "CANCEL", "PROPOSE", "VOTE"}
)
READ_VERBS = frozenset({"WHO", "ALERTS", "MORE", "RESEND", "HELP", "VOTES", "ROLES"})
REFUSE_TEXT = {
    "channel": "Send commands to the hub as a direct message.",
    "not-pki": "Not accepted: send an encrypted DM from your enrolled radio.",
    "unknown": "Not accepted: this radio is not enrolled. Ask a coordinator for a JOIN code.",
    "key-mismatch": "Not accepted: this radio's key is not the enrolled one.",
    "revoked": "Not accepted: your enrolment was revoked.",
    "expired": "Not accepted: your role has ended. Ask a coordinator to renew it.",
    "too-long": f"Too long: keep messages under {MAX_TEXT_BYTES} bytes.",
    "control": "Not accepted: the text has control, invisible or direction characters.",
    "burst": "Too many messages; wait a minute.",
    "join-limit": "Too many JOIN attempts; try again later.",
}


@dataclass(frozen=True, slots=True)
class Reply:
    """A DM to ``dest``, already split into parts; ``urgent`` leaves at alert priority."""

    dest: int
    parts: tuple[str, ...]
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class Broadcast:
    """A message for every radio on the patrol channel (already split into parts)."""

    parts: tuple[str, ...]
    urgent: bool = True


@dataclass(frozen=True, slots=True)
class Refusal:
    """Something the desk refused or dropped, for the log (not sent anywhere)."""

    node: int
    reason: str
    detail: str = ""


Action = Reply | Broadcast | Refusal


@dataclass(frozen=True, slots=True)
class DeskPolicy:
    """The desk's knobs: alert re-paging, rate limits, overdue grace (s), dedupe memory."""

    alerts: AlertPolicy = field(default_factory=AlertPolicy)
    limits: Limits = field(default_factory=Limits)
    overdue_grace: int = OVERDUE_GRACE
    seen_packets: int = 2048


def parts(text: str) -> tuple[str, ...]:
    return tuple(split_text(text, MAX_PART, max_parts=16))


def number(s: str) -> int | None:
    s = s.strip().lstrip("#")
    if not s.isascii() or not s.isdigit() or len(s) > 9:
        return None
    return int(s)


def split_command(text: str) -> tuple[str, str]:
    """The verb (upper-cased) and the rest of a command, split on any whitespace."""
    words = text.split(None, 1)
    if not words:
        return "", ""
    return words[0].upper(), words[1].strip() if len(words) > 1 else ""


def numeric_like(s: str) -> bool:
    """Whether ``s`` was meant as a number though :func:`number` cannot read it
    (``-5``, ``1e3``, ``1.5``, ``٣٠``, twenty digits): such input is refused, not a note."""
    s = s.lstrip("#")
    return any(ch.isnumeric() for ch in s) and all(ch.isnumeric() or ch in "+-.,_eE" for ch in s)


def is_join(text: str) -> bool:
    """Whether a text is a JOIN command (it carries a secret: never passed on)."""
    return split_command(text.strip())[0] == "JOIN"


def iso_date(t: int) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d")
