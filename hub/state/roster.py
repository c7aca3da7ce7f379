"""Who may do what: enrolment, pinned radio keys and time-bound roles, folded from the log.

Invariants:

- The roster is *derived*: it is rebuilt by folding the hub's own signed entries
  (``enrol``, ``revoke``, ``mandate`` and carried ``outcome``) in log order. Nothing
  here edits history.
- Every grant has an end (``until``, Unix seconds). A coordinator grant also makes the
  member a steward for :data:`STEWARD_TERM` from the grant, so an expired coordinator is a
  steward again without anyone acting. Renewal is simply a newer grant.
- ``enrol`` with a ``pkey`` pins that Meshtastic PKI public key (and node number) to the
  handle; the newest pin of a node number or key wins, so a radio handed to someone else is
  re-enrolled, never shared. ``revoke`` ends every grant of the handle.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hub.log import Body
from hub.state.names import COORDINATOR, ROLE_RE, ROLES, STEWARD, check_handle, check_role

DAY = 86_400
STEWARD_TERM = 365 * DAY
DEFAULT_TERMS = {STEWARD: STEWARD_TERM, COORDINATOR: 90 * DAY}

__all__ = [
    "COORDINATOR",
    "DEFAULT_TERMS",
    "ROLES",
    "STEWARD",
    "STEWARD_TERM",
    "Member",
    "Roster",
    "check_handle",
    "check_role",
]


@dataclass(slots=True)
class Member:
    """One handle's standing, as of the entries folded so far."""

    handle: str
    node: int | None = None
    pkey: bytes | None = None
    grants: dict[str, int] = field(default_factory=dict)  # role -> until
    revoked: bool = False
    enrolled_at: int = 0
    enrol_index: int = -1

    def role(self, now: float) -> str | None:
        """The effective role at ``now``: coordinator, steward, or None (expired/revoked)."""
        if self.revoked:
            return None
        if self.grants.get(COORDINATOR, 0) > now:
            return COORDINATOR
        if self.grants.get(STEWARD, 0) > now:
            return STEWARD
        return None

    def until(self, role: str) -> int:
        return self.grants.get(role, 0)

    def roles(self, now: float) -> list[dict[str, Any]]:
        """Every role held at ``now`` with its end, soonest end first."""
        if self.revoked:
            return []
        held = [(until, role) for role, until in self.grants.items() if until > now]
        return [{"role": role, "until": until} for until, role in sorted(held)]

    def to_json(self, now: float) -> dict[str, Any]:
        return {
            "roles": self.roles(now),
            "handle": self.handle,
            "role": self.role(now),
            "steward_until": self.grants.get(STEWARD),
            "coordinator_until": self.grants.get(COORDINATOR),
            "node": self.node,
            "node_id": f"!{self.node:08x}" if self.node is not None else None,
            "pkey": self.pkey.hex() if self.pkey else None,
            "revoked": self.revoked,
            "enrolled_at": self.enrolled_at,
            "entry": self.enrol_index,
        }


Unpin = Callable[[object], tuple[int | None, bytes | None]]


class Roster:
    """Members by handle and by pinned node number; fed entries with :meth:`apply`."""

    def __init__(self, unpin: Unpin | None = None) -> None:
        """``unpin(pin)``: a sealed enrolment's ``(node, pkey)``, for a hub holding the
        federated hubs' pin secret (hub.privacy); without it such an enrolment grants its
        role and pins no radio."""
        self.unpin = unpin
        self.members: dict[str, Member] = {}
        self._by_node: dict[int, str] = {}
        self._ends: list[int] = []  # every grant's end, sorted: roles change there

    def _grant(self, m: Member, role: str, until: int) -> None:
        m.grants[role] = until
        bisect.insort(self._ends, until)

    def ends_passed(self, now: float) -> int:
        """How many grant ends are at or before ``now`` (grows exactly when a role ends)."""
        return bisect.bisect_right(self._ends, now)

    def next_end(self, now: float) -> int | None:
        """The first grant end after ``now``, when a role may end next; None if none is due."""
        i = bisect.bisect_right(self._ends, now)
        return self._ends[i] if i < len(self._ends) else None

    def apply(self, index: int, body: Body) -> None:
        name = body.kind_name
        f = body.named_fields()
        if name in ("enrol", "mandate", "enrol-sealed"):
            handle, role, until = f.get("handle"), f.get("role"), f.get("until")
            if not isinstance(handle, str) or role not in ROLES or not isinstance(until, int):
                return  # an entry this hub cannot use still verifies; it just grants nothing
            m = self.members.setdefault(handle, Member(handle))
            if m.revoked:  # a new grant after a revocation re-admits the handle
                m.revoked = False
                m.grants.clear()
            assert isinstance(role, str)
            self._grant(m, role, until)
            if role == COORDINATOR:
                self._grant(m, STEWARD, max(m.grants.get(STEWARD, 0), body.time + STEWARD_TERM))
            node, pkey = f.get("node"), f.get("pkey")
            if name == "enrol-sealed" and self.unpin is not None:
                node, pkey = self.unpin(f.get("pin"))
            if name != "mandate" and isinstance(node, int) and isinstance(pkey, bytes):
                self._pin(m, node, pkey)
                m.enrolled_at = body.time
                m.enrol_index = index
        elif name == "outcome" and f.get("carried") == 1:
            self._mandate(f.get("handle"), f.get("role"), f.get("until"), body.time)
        elif name == "revoke":
            handle = f.get("handle")
            if isinstance(handle, str) and handle in self.members:
                m = self.members[handle]
                m.revoked = True
                m.grants.clear()

    def _mandate(self, handle: object, role: object, until: object, time: int) -> None:
        """A carried vote's grant (``outcome``): any role name, to an enrolled member."""
        if not isinstance(handle, str) or not isinstance(role, str) or not isinstance(until, int):
            return
        m = self.members.get(handle)
        if m is None or m.revoked or not ROLE_RE.match(role):
            return
        self._grant(m, role, until)
        if role == COORDINATOR:
            self._grant(m, STEWARD, max(m.grants.get(STEWARD, 0), time + STEWARD_TERM))

    def _pin(self, m: Member, node: int, pkey: bytes) -> None:
        for other in self.members.values():
            if other is not m and (other.node == node or other.pkey == pkey):
                other.node, other.pkey = None, None
        if m.node is not None and self._by_node.get(m.node) == m.handle:
            del self._by_node[m.node]
        m.node, m.pkey = node, pkey
        self._by_node[node] = m.handle

    def by_node(self, node: int) -> Member | None:
        handle = self._by_node.get(node)
        return self.members.get(handle) if handle else None

    def get(self, handle: str) -> Member | None:
        return self.members.get(handle)

    def with_role(self, role: str, now: float) -> list[Member]:
        return [m for m in self.members.values() if m.role(now) == role]

    def active(self, now: float) -> list[Member]:
        return [m for m in self.members.values() if m.role(now) is not None]
