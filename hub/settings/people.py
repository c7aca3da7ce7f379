"""The settings about people: the assembly's voting rules and what the public may see.

Rows of the one settings table (:mod:`hub.settings.table` lists them in its order), kept
here so the table stays readable; docs/governance.md and docs/privacy.md explain them.
"""

from __future__ import annotations

from hub.settings.defaults import (
    CHARTER_CHANGES,
    PRIVACY_CATEGORIES,
    PRIVACY_DELAY,
    PRIVACY_RETENTION_DAYS,
    REMIND_DAYS,
    TERM_LIMIT,
    VOTE_DAYS,
    VOTE_MAJORITY,
    VOTE_QUORUM,
)
from hub.settings.model import Setting

__all__ = ["ASSEMBLY", "PRIVACY"]


def _category(value: object) -> object:
    text = str(value)
    if not (1 <= len(text) <= 16 and text.isascii() and text.replace("-", "").isalnum()):
        raise ValueError(f"a category is 1-16 letters, digits or '-', got {text[:20]!r}")
    return text.lower()


def _policy(kind: str, default: str, choices: tuple[str, ...]) -> Setting:
    return Setting(
        "privacy",
        kind,
        str,
        default,
        f"Free text of {kind} entries on public surfaces: public at once, after the delay, "
        "or sealed to the review key at write time.",
        choices=choices,
    )


# the assembly: votes on mandates and the charter (docs/governance.md)
ASSEMBLY: tuple[Setting, ...] = (
    Setting(
        "assembly",
        "quorum",
        int,
        VOTE_QUORUM,
        "Per cent of the members eligible when a vote opens who must vote for it to count.",
        min=1,
        max=100,
        metavar="PERCENT",
    ),
    Setting(
        "assembly",
        "majority",
        int,
        VOTE_MAJORITY,
        "YES must be more than this per cent of the votes cast.",
        min=50,
        max=99,
        metavar="PERCENT",
    ),
    Setting(
        "assembly",
        "vote_days",
        int,
        VOTE_DAYS,
        "Days a vote stays open unless it is decided sooner.",
        min=1,
        max=60,
        metavar="DAYS",
    ),
    Setting(
        "assembly",
        "term_limit",
        int,
        TERM_LIMIT,
        "Consecutive terms one member may hold in the same role (0: no limit).",
        min=0,
        max=20,
    ),
    Setting(
        "assembly",
        "remind_days",
        int,
        REMIND_DAYS,
        "Days before a term ends that its holder is reminded by radio.",
        min=1,
        max=60,
        metavar="DAYS",
    ),
    Setting(
        "assembly",
        "charter_changes",
        int,
        CHARTER_CHANGES,
        "Ratified charter changes allowed per quarter (91 days).",
        min=0,
        max=12,
    ),
)

# privacy (`canopy review set-key` records them in the data directory; docs/privacy.md)
PRIVACY: tuple[Setting, ...] = (
    Setting(
        "privacy",
        "categories",
        str,
        PRIVACY_CATEGORIES,
        "Incident categories stewards may send (INC <category> [place]: <details>); short "
        "words, canned-message friendly (repeatable; space-separated in the environment).",
        multiple=True,
        parse=_category,
    ),
    Setting(
        "privacy",
        "delay",
        int,
        PRIVACY_DELAY,
        "Seconds a 'delay' text (check-in/out notes and places) is withheld from every "
        "public surface after it was written.",
        min=0,
        max=7 * 86400,
        metavar="SECONDS",
    ),
    Setting(
        "privacy",
        "retention_days",
        int,
        PRIVACY_RETENTION_DAYS,
        "Days the keys of sealed details are kept; then every hub destroys them "
        "(the details become unreadable; the log and its proofs stay whole).",
        min=1,
        max=36500,
        metavar="DAYS",
    ),
    _policy("note", "public", ("public", "delay", "sealed")),
    _policy("checkin", "delay", ("public", "delay")),
    _policy("checkout", "delay", ("public", "delay")),
    _policy("incident", "public", ("public", "delay", "sealed")),
)
