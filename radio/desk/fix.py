"""``FIX n text``: a steward corrects an entry of the hub's feed from the radio (sans-IO).

The rule of who may correct what is :func:`hub.state.corrections.check_correction`, the
one the daemon's ``correct`` op keeps: the author of entry *n*, or a coordinator now.
A retraction is not offered by radio: it needs the care (and the reason) of the CLI.
"""

from __future__ import annotations

from collections.abc import Callable

from hub.errors import InputError
from hub.log import Body, FieldValue
from hub.state import HubState, check_correction
from radio.desk.replies import Conversations
from radio.desk.texts import Action, Refusal, number

WriteFn = Callable[[str, dict[str, FieldValue], str], tuple[int, Body]]


def fix(
    state: HubState,
    write: WriteFn,
    talk: Conversations,
    node: int,
    handle: str,
    coordinator: bool,
    rest: str,
) -> list[Action]:
    """Write the correction or say why not; never writes on a refusal."""
    first, _, text = rest.partition(" ")
    n = number(first)
    text = text.strip()
    if n is None or not text:
        return talk.reply(node, "FIX needs an entry number and text, e.g. FIX 12 it was Oak St.")
    mine = state.mine
    try:
        check_correction(mine.authors, mine.retracted, n, handle, coordinator, text, False)
    except InputError as e:
        return [Refusal(node, "fix", str(e)), *talk.reply(node, f"Not recorded: {e}.")]
    i, _ = write("correction", {"target": n, "text": text}, handle)
    return talk.reply(node, f"Correction recorded (#{i}) for entry #{n}.")
