"""How the desk talks back: replies in LoRa-sized parts, and each sender's MORE/RESEND memory.

Sans-IO. A reply longer than one part is split (:func:`radio.desk.texts.parts`) and
remembered for ``RESEND k``; a listing longer than one part shows what fits and keeps the
rest for ``MORE``. Memory is bounded: the least recently heard sender is forgotten first.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from hub.state import Notice
from radio.desk.texts import MAX_PART, Action, Broadcast, Reply, parts


@dataclass(slots=True)
class Session:
    listing: list[str] = field(default_factory=list)  # lines not yet shown
    last_parts: tuple[str, ...] = ()


class Conversations:
    """Per-sender sessions, at most ``max_sessions`` of them."""

    def __init__(self, max_sessions: int) -> None:
        self.max_sessions = max_sessions
        self._sessions: OrderedDict[int, Session] = OrderedDict()

    def reply(self, node: int, text: str) -> list[Action]:
        p = parts(text)
        if len(p) > 1:
            self.session(node).last_parts = p
        return [Reply(node, p)]

    def session(self, node: int) -> Session:
        """The sender's MORE/RESEND memory; the least recently used is forgotten first."""
        s = self._sessions.get(node)
        if s is None:
            s = self._sessions[node] = Session()
            if len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)
        else:
            self._sessions.move_to_end(node)
        return s

    def page(self, node: int, header: str, lines: list[str]) -> list[Action]:
        """Show as many lines as fit one part (at least one); keep the rest for MORE."""
        text, shown = header, 0
        for i, line in enumerate(lines):
            left = len(lines) - i - 1
            more = f" (+{left} MORE)" if left else ""
            candidate = f"{text} {line}".strip()
            if shown and len((candidate + more).encode("utf-8")) > MAX_PART:
                break
            text, shown = candidate, shown + 1
        rest = lines[shown:]
        if rest:
            text += f" (+{len(rest)} MORE)"
        self.session(node).listing = rest
        return self.reply(node, text)


def notice_action(n: Notice) -> Action:
    """A notice as the radio action that says it: a broadcast, or a DM."""
    if n.dest is None:
        return Broadcast(parts(n.text), n.urgent)
    return Reply(n.dest, parts(n.text), n.urgent)
