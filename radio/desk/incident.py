"""``INC <category> [place]: <details>``: an incident's public part and its sealed details.

The category and the coarse place before the colon are public at once; the details after
it are sealed to the review key by the hub before anything is written (hub.privacy). The
hub checks the category against the neighbourhood's list and refuses a public part that
looks like details; its reason is the reply, so the steward can resend at once.
"""

from __future__ import annotations

from hub.log import FieldValue

INC_EXAMPLE = "e.g. INC noise Elm St: details"


def inc_fields(rest: str) -> dict[str, FieldValue] | str:
    """The ``report`` fields asked for, or the reply saying what is missing."""
    head, _, details = rest.partition(":")
    words = head.split()
    if not words:
        return f"INC needs a category, {INC_EXAMPLE}."
    fields: dict[str, FieldValue] = {"category": words[0].lower()}
    if len(words) > 1:
        fields["place"] = " ".join(words[1:])
    if details.strip():
        fields["details"] = details.strip()
    return fields


def inc_refused(reason: str) -> str:
    """The reply to a report the hub refused: its reason, cut to fit one part."""
    text = f"Not recorded: {reason}."
    return (
        text
        if len(text.encode("utf-8")) <= 200
        else text.encode()[:196].decode(errors="ignore") + "…"
    )
