"""The steward command language: a text DM, its sender and ``now`` in; entries and replies out.

Actions, policy and fixed texts live in :mod:`radio.desk.texts` and are re-exported here.

Sans-IO: no socket, thread, sleep or clock. :class:`StewardDesk` takes a received text and
the time and returns actions (:class:`Reply`, :class:`Broadcast`, :class:`Refusal`) for the
radio service to perform; it writes entries only through the ``append`` callable it is given.

Rules it keeps:

- A command that changes state is accepted only as a PKI-encrypted DM whose public key is
  the one pinned to an enrolled, current member. Channel messages, plain DMs, unknown
  radios, a pinned node number with another key: refused, with at most one short reply per
  node per ``refusal_interval`` (an hour), so the hub never joins a reply storm.
- Read-only commands (WHO, ALERTS, MORE, RESEND, HELP) are answered for any DM to the hub
  heard by its own radio; the portal publishes the same facts. Texts over MQTT are logged,
  never answered.
- A packet seen twice (same sender and packet id) is handled once.
- Every reply part is at most 200 bytes of UTF-8, split on character boundaries and tagged
  ``[k/n]`` (:func:`radio.fragment.split_text`).
- Bad input (empty, over 233 bytes, bursts, anything :mod:`hub.log.text` refuses: control,
  line-break, invisible format or direction characters) gets a short answer or a logged
  refusal and never an entry; accepted text is normalised to NFC.
- A JOIN code heard in the clear (on the channel, or in a DM that is not PKI-encrypted) has
  been seen by every radio with the channel key: it is burned at once and the sender told
  to ask for a new one (the radio service never passes it on to MQTT either).
"""

from __future__ import annotations

import unicodedata
from collections import OrderedDict
from collections.abc import Callable

from hub.errors import HubError
from hub.log import Body, FieldValue, text_problem
from hub.state import (
    COORDINATOR,
    MAX_ALERT_BYTES,
    MAX_SHIFT_MINUTES,
    STEWARD,
    Deliveries,
    HubState,
    Member,
    Shift,
    ago,
    alert_notices,
    all_clear_notices,
    overdue_notices,
    overdue_steps,
)
from radio.desk.fix import fix
from radio.desk.incident import inc_fields, inc_refused
from radio.desk.join import BurnFn, JoinDesk, RedeemFn
from radio.desk.limits import RateLimits
from radio.desk.replies import Conversations, notice_action
from radio.desk.texts import (
    HELP,
    HELP_COORD,
    HELP_SHORT,
    MAX_IN_BYTES,
    READ_VERBS,
    REFUSE_TEXT,
    STATE_VERBS,
    Action,
    Broadcast,
    DeskPolicy,
    Refusal,
    Reply,
    number,
    numeric_like,
    parts,
    split_command,
)
from radio.desk.votes import LIST_VERBS, VOTE_VERBS, VoteDesk
from radio.events import BROADCAST, TextReceived

__all__ = [
    "HELP",
    "HELP_SHORT",
    "Action",
    "AppendFn",
    "Broadcast",
    "BurnFn",
    "DeskPolicy",
    "RedeemFn",
    "Refusal",
    "Reply",
    "StewardDesk",
]

AppendFn = Callable[[str, dict[str, FieldValue], str], tuple[int, Body]]


class StewardDesk(JoinDesk):
    """Handles texts to the hub and the periodic alert/overdue work (see module doc)."""

    def __init__(
        self,
        state: HubState,
        deliveries: Deliveries,
        append: AppendFn,
        redeem: RedeemFn,
        policy: DeskPolicy | None = None,
        burn: BurnFn | None = None,
    ) -> None:
        """``burn(code, now)`` cancels a live JOIN code heard in the clear (True if it was)."""
        self.state = state
        self.deliveries = deliveries
        self._append = append
        self._redeem = redeem
        self._burn: BurnFn = burn or (lambda code, now: False)
        self.policy = policy or DeskPolicy()
        self.hub_num: int | None = None
        self._seen: OrderedDict[tuple[int, int], None] = OrderedDict()
        self.limits = RateLimits(self.policy.limits)
        self.talk = Conversations(self.policy.seen_packets)
        self.counters: dict[str, int] = {}
        self.votes = VoteDesk(state, self._write, self.talk, deliveries.reminded)  # votes.py

    # ------------------------------------------------------------------ entry points

    def handle(self, msg: TextReceived, now: float, *, via_radio: bool = True) -> list[Action]:
        """Handle one received text.

        Texts that did not come through the hub's own radio (``via_radio=False``: MQTT) are
        counted and logged, never answered: anyone on a bridged broker could otherwise make
        the hub spend LoRa airtime, and they touch no rate limit, session or dedupe memory.
        """
        node = msg.from_num
        if not via_radio:
            self._count("unauthenticated-path")
            return [Refusal(node, "mqtt", "not from the hub's radio: logged, not answered")]
        if msg.packet_id:
            key = (node, msg.packet_id)
            if key in self._seen:
                return [Refusal(node, "duplicate", f"packet {msg.packet_id:#x}")]
            self._seen[key] = None
            if len(self._seen) > self.policy.seen_packets:
                self._seen.popitem(last=False)
        if msg.is_direct and (self.hub_num is None or msg.to_num != self.hub_num):
            return []  # a DM between other nodes (or before we know our own number)
        text = msg.text.strip()
        verb, rest = split_command(text)
        if verb == "JOIN" and (burned := self._heard_in_clear(msg, rest, now)):
            return burned
        if not msg.is_direct:
            if verb in STATE_VERBS or verb in READ_VERBS or verb == "JOIN":
                return self._refuse(node, "channel", now)
            return []  # ordinary channel chat is none of the hub's business
        member = self.state.roster.by_node(node)
        authentic = (
            msg.pki_encrypted
            and msg.public_key is not None
            and member is not None
            and member.pkey == msg.public_key
        )
        if not self.limits.take(node, authentic, now):
            self._count("refused:burst")
            out: list[Action] = [Refusal(node, "burst")]
            return out + (
                self.talk.reply(node, REFUSE_TEXT["burst"])
                if self.limits.warn_once(node, authentic)
                else []
            )
        if len(msg.text.encode("utf-8")) > MAX_IN_BYTES:
            return self._refuse(node, "too-long", now, authentic)
        if text_problem(text) is not None:  # the hub's one text policy (hub.log.text)
            return self._refuse(node, "control", now, authentic)
        text = unicodedata.normalize("NFC", text)
        verb, rest = split_command(text)
        self._count(verb if verb in STATE_VERBS | READ_VERBS | {"JOIN"} else "other")
        if verb == "JOIN":
            return self._join(msg, rest, now)
        if verb in LIST_VERBS:
            return self.votes.listing(node, verb, now)
        if verb in READ_VERBS:
            return self._read(node, verb, rest, member if authentic else None, now)
        if verb not in STATE_VERBS:
            return self.talk.reply(node, HELP_SHORT)
        if not authentic:
            return self._refuse(node, self._why_not(msg, member), now)
        assert member is not None
        role = member.role(now)
        if (
            role is None
            and not member.revoked
            and verb == "OUT"
            and member.handle in self.state.patrol.shifts
        ):
            role = STEWARD  # a role that ended mid-shift still lets its holder come home
        if role is None:
            why = "revoked" if member.revoked else "expired"
            return self._refuse(node, why, now, authentic=True)  # the key is verified
        try:
            return self._state(node, member, role, verb, rest, now)
        except HubError as e:  # an entry the log refused: say so, write nothing
            return [
                *self.talk.reply(node, "Not recorded: invalid text."),
                Refusal(node, "entry", str(e)),
            ]

    def tick(self, now: float) -> list[Action]:
        """Alert broadcasts and cancellations, re-pages and overdue steps due at ``now``."""
        st = self.state
        duty = st.on_duty_handles(now)
        policy = self.policy.alerts
        notices = alert_notices(st.alerts, self.deliveries, st.roster, duty, now, policy)
        for step in overdue_steps(st.patrol, now, self.policy.overdue_grace):
            self._write("overdue", {"handle": step.handle, "stage": step.stage}, "")
            notices += overdue_notices(step, st.roster, duty, now)
        return [notice_action(n) for n in notices] + self.votes.tick(now)

    # ------------------------------------------------------------------ refusals

    def _why_not(self, msg: TextReceived, member: Member | None) -> str:
        if not msg.pki_encrypted or msg.public_key is None:
            return "not-pki"
        if member is None:
            return "unknown"
        return "key-mismatch"

    def _refuse(self, node: int, reason: str, now: float, authentic: bool = False) -> list[Action]:
        """A refusal, logged; the explanatory reply goes to a verified member always, to
        anyone else at most once per node per hour (and a few per hour hub-wide)."""
        self._count(f"refused:{reason}")
        out: list[Action] = [Refusal(node, reason)]
        if authentic or self.limits.may_explain(node, now):
            out += self.talk.reply(node, REFUSE_TEXT[reason])
        return out

    # ------------------------------------------------------------------ read-only

    def _read(
        self, node: int, verb: str, rest: str, member: Member | None, now: float
    ) -> list[Action]:
        st = self.state
        if verb == "HELP":
            coord = member is not None and member.role(now) == COORDINATOR
            return self.talk.reply(node, HELP + (HELP_COORD if coord else ""))
        if verb == "WHO":
            lines = []
            for handle in st.on_duty_handles(now):
                shift = st.patrol.shifts[handle]
                m = st.roster.get(handle)
                flag = "*" if m is not None and m.role(now) == COORDINATOR else ""
                late = " OVERDUE" if shift.stage else ""
                lines.append(f"{handle}{flag} {ago(now, shift.start)}{late};")
            if not lines:
                return self.talk.reply(node, "Nobody is on duty.")
            return self.talk.page(node, f"On duty ({len(lines)}):", lines)
        if verb == "ALERTS":
            active = st.alerts.active()
            if not active:
                return self.talk.reply(node, "No active alerts.")
            lines = [f"#{a.index} {ago(now, a.time)} {a.text} [{len(a.acks)} ack];" for a in active]
            return self.talk.page(node, f"Alerts ({len(lines)}):", lines)
        if verb == "MORE":
            s = self.talk.session(node)
            if not s.listing:
                return self.talk.reply(node, "Nothing more.")
            return self.talk.page(node, "", s.listing)
        # RESEND k
        s = self.talk.session(node)
        if not s.last_parts:
            return self.talk.reply(node, "Nothing to resend.")
        k = number(rest)
        if k is None or not 1 <= k <= len(s.last_parts):
            return [Reply(node, parts(f"RESEND 1..{len(s.last_parts)}"))]
        return [Reply(node, (s.last_parts[k - 1],))]

    # ------------------------------------------------------------------ state changes

    def _write(self, kind: str, fields: dict[str, FieldValue], author: str) -> tuple[int, Body]:
        """Append through the hub's log; its listener folds the entry into ``self.state``."""
        return self._append(kind, fields, author)

    def _state(
        self, node: int, m: Member, role: str, verb: str, rest: str, now: float
    ) -> list[Action]:
        st, h = self.state, m.handle
        if verb == "IN":
            first, _, note = rest.partition(" ")
            minutes = number(first)
            if minutes is None and numeric_like(first):  # 1e3, -5, ٣٠, 99999999999999999999
                why = f"IN minutes must be a whole number 1-{MAX_SHIFT_MINUTES} in digits 0-9, "
                return self.talk.reply(node, why + "e.g. IN 45.")
            if minutes is None:
                note = rest
            elif not 1 <= minutes <= MAX_SHIFT_MINUTES:
                why = f"IN minutes must be 1-{MAX_SHIFT_MINUTES}, e.g. IN 45."
                return self.talk.reply(node, why)
            fields: dict[str, FieldValue] = {}
            if minutes is not None:
                fields["minutes"] = minutes
            if note.strip():
                fields["text"] = note.strip()
            shift = st.patrol.shifts.get(h)
            i, _ = self._write("checkin", fields, h)
            back = f", back in {minutes} min" if minutes else ""
            out = self.talk.reply(
                node, f"{'Shift renewed' if shift else 'On duty'} (#{i}){back}. Send OUT when done."
            )
            return out + self._all_clear(shift, f"IN, #{i}", now)
        if verb == "OUT":
            shift = st.patrol.shifts.get(h)
            i, _ = self._write("checkout", {"text": rest} if rest else {}, h)
            after = f" after {ago(now, shift.start)}" if shift else " (you were not checked in)"
            out = self.talk.reply(node, f"Off duty (#{i}){after}. Thank you!")
            return out + self._all_clear(shift, f"OUT, #{i}", now)
        if verb == "INC":  # the public part before ':', sealed details after (hub.privacy)
            asked = inc_fields(rest)
            if isinstance(asked, str):
                return self.talk.reply(node, asked)
            try:
                i, _ = self._write("report", asked, h)
            except HubError as e:
                return [*self.talk.reply(node, inc_refused(str(e))), Refusal(node, "entry", str(e))]
            sealed = " details sealed" if "details" in asked else ""
            return self.talk.reply(node, f"Incident recorded (#{i}){sealed}.")
        if verb == "LOG":
            if not rest:
                return self.talk.reply(node, f"{verb} needs text, e.g. {verb} all quiet on Elm St.")
            i, _ = self._write("note", {"text": rest}, h)
            return self.talk.reply(node, f"Note recorded (#{i}).")
        if verb == "ACK":
            n = number(rest) if rest else None
            if rest and n is None:
                return self.talk.reply(node, "ACK needs an alert number, e.g. ACK 12.")
            if n is None:
                pending = [a for a in st.alerts.active() if h not in a.acks]
                if not pending:
                    return self.talk.reply(node, "No alert to acknowledge.")
                n = pending[0].index
            a = st.alerts.get(n)
            if a is None or not a.active:
                state = "cancelled" if a is not None else "unknown"
                return [
                    Refusal(node, "ack", f"alert {n} {state}"),
                    *self.talk.reply(node, f"No active alert #{n} ({state})."),
                ]
            if h in a.acks:
                return self.talk.reply(node, f"Alert #{n} already acknowledged.")
            i, _ = self._write("ack", {"alert": n}, h)
            return self.talk.reply(node, f"ACK recorded (#{i}) for alert #{n}.")
        if verb in VOTE_VERBS:
            return self.votes.command(node, m, verb, rest, now)
        if verb == "FIX":
            return fix(self.state, self._write, self.talk, node, h, role == COORDINATOR, rest)
        if role != COORDINATOR:
            return self.talk.reply(node, f"Only coordinators can {verb}.")
        if verb == "ALERT":
            if not rest:
                return self.talk.reply(node, "ALERT needs text.")
            if len(rest.encode("utf-8")) > MAX_ALERT_BYTES:
                return self.talk.reply(node, f"ALERT text: at most {MAX_ALERT_BYTES} bytes.")
            i, _ = self._write("alert", {"text": rest}, h)
            duty = len(st.on_duty_handles(now))
            return self.talk.reply(
                node, f"Alert #{i} recorded; broadcasting, tracking ACKs of {duty} on duty."
            )
        # CANCEL n [text]
        first, _, why = rest.partition(" ")
        n = number(first)
        a = st.alerts.get(n) if n is not None else None
        if n is None or a is None or not a.active:
            return self.talk.reply(node, "CANCEL needs an active alert number, e.g. CANCEL 12.")
        fields = {"alert": n, **({"text": why.strip()} if why.strip() else {})}
        i, _ = self._write("cancel", fields, h)
        return self.talk.reply(node, f"Alert #{n} cancelled (#{i}).")

    # ------------------------------------------------------------------ helpers

    def _all_clear(self, shift: Shift | None, what: str, now: float) -> list[Action]:
        st = self.state
        duty = st.on_duty_handles(now)
        return [notice_action(n) for n in all_clear_notices(shift, what, st.roster, duty, now)]

    def _count(self, what: str) -> None:
        self.counters[what] = self.counters.get(what, 0) + 1


__all__ = [
    "BROADCAST",
    "Action",
    "Broadcast",
    "DeskPolicy",
    "Refusal",
    "Reply",
    "StewardDesk",
]
