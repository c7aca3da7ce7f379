"""JOIN: redeeming an invite code, and burning one that was heard in the clear.

A mixin of :class:`radio.desk.core.StewardDesk` (sans-IO, like the rest of the desk). A JOIN
sent on the channel, or in a DM that is not PKI-encrypted, has been read by every radio with
the channel key: if its code is live it is burned at once (``burn``) and the sender told to
ask for a new one, so a radio that overheard it cannot enrol under the steward's name.
"""

from __future__ import annotations

from collections.abc import Callable

from hub.local import Invite, InviteRefused
from hub.log import Body, FieldValue
from radio.desk.limits import RateLimits
from radio.desk.replies import Conversations
from radio.desk.texts import BURNED, Action, Refusal, iso_date
from radio.events import TextReceived

RedeemFn = Callable[[str, float], Invite]
BurnFn = Callable[[str, float], bool]


class JoinDesk:
    """The JOIN verb; the attributes below are the desk's."""

    limits: RateLimits
    talk: Conversations
    _redeem: RedeemFn
    _burn: BurnFn

    def _refuse(self, node: int, reason: str, now: float, authentic: bool = False) -> list[Action]:
        raise NotImplementedError

    def _write(self, kind: str, fields: dict[str, FieldValue], author: str) -> tuple[int, Body]:
        raise NotImplementedError

    def _count(self, what: str) -> None:
        raise NotImplementedError

    def _heard_in_clear(self, msg: TextReceived, rest: str, now: float) -> list[Action]:
        """Burn a live code sent where others could read it; [] if it was sent properly
        (a PKI DM) or named no live code."""
        if msg.is_direct and msg.pki_encrypted and msg.public_key:
            return []
        if not self._burn(rest.split()[0] if rest else "", now):
            return []
        self._count("burned:join")
        node = msg.from_num
        return [Refusal(node, "join-clear", "code burned"), *self.talk.reply(node, BURNED)]

    def _join(self, msg: TextReceived, code: str, now: float) -> list[Action]:
        node = msg.from_num
        if not msg.pki_encrypted or msg.public_key is None:
            return self._refuse(node, "not-pki", now)
        if not self.limits.join_allowed(node, now):
            return self._refuse(node, "join-limit", now)
        try:
            invite = self._redeem(code.split(" ")[0] if code else "", now)
        except InviteRefused as e:
            self.limits.join_failed(node, now)
            self._count("refused:join")
            return [
                Refusal(node, "join", e.reason),
                *self.talk.reply(node, f"JOIN refused: {e.reason}."),
            ]
        index, _ = self._write(
            "enrol",
            {
                "handle": invite.handle,
                "role": invite.role,
                "until": invite.until,
                "node": node,
                "pkey": msg.public_key,
            },
            "",
        )
        self.limits.join_succeeded(node)
        until = iso_date(invite.until)
        return self.talk.reply(
            node,
            f"Welcome, {invite.handle}! Enrolled as {invite.role} until {until} (#{index}). "
            "Send HELP for commands.",
        )
