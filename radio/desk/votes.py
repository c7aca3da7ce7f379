"""The assembly on the radio: ``PROPOSE h role 90d``, ``VOTE n YES|NO``, ``VOTES``, ``ROLES``
and the reminders. Sans-IO, like the rest of the desk.

``PROPOSE`` and ``VOTE`` change state, so the desk lets them through only as a PKI DM from
an enrolled member with a current role (the rule every state command follows); the rules
themselves are :mod:`hub.state.assembly`'s, the same ``canopy mandate propose`` applies.
A refused proposal or vote gets its short reason and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, MutableMapping

from hub.errors import InputError
from hub.log import Body, FieldValue
from hub.state import (
    HubState,
    Member,
    Notice,
    Proposal,
    Rules,
    check_proposal,
    check_vote,
    parse_days,
    reminders,
    settle,
    vote_fields,
)
from radio.desk.replies import Conversations, notice_action
from radio.desk.texts import Action, Refusal, number

WriteFn = Callable[[str, dict[str, FieldValue], str], tuple[int, Body]]
VOTE_VERBS = frozenset({"PROPOSE", "VOTE"})
LIST_VERBS = frozenset({"VOTES", "ROLES"})


def _date(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d")


class VoteDesk:
    """The desk's voting commands; ``rules`` are the ``[assembly]`` settings."""

    def __init__(
        self,
        state: HubState,
        write: WriteFn,
        talk: Conversations,
        reminded: MutableMapping[str, int],
    ) -> None:
        self.state = state
        self._write = write
        self.talk = talk
        self.rules = Rules()
        self.reminded = reminded  # handle -> day of the last reminder (kept across restarts)

    def command(self, node: int, m: Member, verb: str, rest: str, now: float) -> list[Action]:
        try:
            if verb == "PROPOSE":
                return self._propose(node, m, rest, now)
            return self._vote(node, m, rest, now)
        except InputError as e:
            return [Refusal(node, verb.lower(), str(e)), *self.talk.reply(node, f"Refused: {e}.")]

    def _propose(self, node: int, m: Member, rest: str, now: float) -> list[Action]:
        words = rest.split()
        if len(words) != 3:
            return self.talk.reply(
                node, "PROPOSE handle role days, e.g. PROPOSE ana coordinator 90d"
            )
        fields = check_proposal(
            self.state,
            self.rules,
            now,
            handle=words[0],
            role=words[1],
            term=parse_days(words[2]),
        )
        i, _ = self._write("proposal", fields, m.handle)
        p = self.state.mandates.get(self.state.own, i)
        assert p is not None
        return self.talk.reply(
            node,
            f"Vote #{i} open: {p.subject()}, {len(p.voters)} voters, closes "
            f"{_date(p.closes)}. VOTE {i} YES or NO.",
        )

    def _vote(self, node: int, m: Member, rest: str, now: float) -> list[Action]:
        first, _, choice = rest.partition(" ")
        choice = choice.strip().upper()
        n = number(first)
        if n is None or choice not in ("YES", "NO"):
            return self.talk.reply(node, "VOTE n YES or VOTE n NO, e.g. VOTE 12 YES")
        p = check_vote(self.state, n, m.handle, now)
        i, _ = self._write("vote", vote_fields(self.state, p, choice == "YES"), m.handle)
        told = [text for _, text in settle(self.state, self._write, now)]
        text = f"Vote {choice} counted (#{i}). {self._number(p)}: {p.tally()}."
        if (there := self.state.other_hub(p.feed)) is not None:  # it counts the entry there
            text += f" {there} settles it."
        return self.talk.reply(node, " ".join([text, *told]))

    def _number(self, p: Proposal) -> str:
        """``#12``; ``#12 at Bakery`` for a vote another hub opened."""
        there = self.state.other_hub(p.feed)
        return f"#{p.index}" if there is None else f"#{p.index} at {there}"

    def listing(self, node: int, verb: str, now: float) -> list[Action]:
        st = self.state
        if verb == "VOTES":
            lines = [
                f"{self._number(p)} {p.subject()} {p.yes}y {p.no}n/{len(p.voters)} "
                f"to {_date(p.closes)};"
                for p in st.mandates.open_anywhere(now)
            ]
            if not lines:
                return self.talk.reply(node, "No open votes.")
            return self.talk.page(node, f"Open votes ({len(lines)}):", lines)
        held = [
            (r["until"], r["role"], mem.handle)
            for mem in st.roster.members.values()
            for r in mem.roles(now)
            if r["role"] != "steward"
        ]
        if not held:
            return self.talk.reply(node, "No roles held.")
        lines = [f"{role} {h} to {_date(until)};" for until, role, h in sorted(held)]
        return self.talk.page(node, f"Roles ({len(lines)}):", lines)

    def tick(self, now: float) -> list[Action]:
        """Outcomes decided by the close (the candidate is told), and the day's reminders,
        at bulk priority."""
        notes = []
        for p, text in settle(self.state, self._write, now):  # decided at the close
            m = self.state.roster.get(p.handle) if p.handle else None
            if m is not None and m.node is not None:  # the candidate hears the result
                notes.append(Notice(m.node, text, urgent=False))
        notes += reminders(self.state, self.rules, now, self.reminded)
        return [notice_action(n) for n in notes]
