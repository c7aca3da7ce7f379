"""Who may do what: enrolment, pinned radio keys and time-bound roles, folded from the log.

Invariants:

- The roster is *derived*: it is rebuilt by folding the hub's own signed entries
  (``enrol``, ``revoke``, and later ``mandate``) in log order. Nothing here edits history.
- Every grant has an end (``until``, Unix seconds). A coordinator grant also makes the
  member a steward for :data:`STEWARD_TERM` from the grant, so an expired coordinator is a
  steward again without anyone acting. Renewal is simply a newer grant.
- ``enrol`` with a ``pkey`` pins that Meshtastic PKI public key (and node number) to the
  handle; the newest pin of a node number or key wins, so a radio handed to someone else is
  re-enrolled, never shared. ``revoke`` ends every grant of the handle.
- One-time invite codes live in TinyDB (they are secrets, not history) and are stored
  hashed; an invite is single use and short-lived.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from tinydb import Query, TinyDB

from hub.entry import Body
from hub.errors import InputError

STEWARD = "steward"
COORDINATOR = "coordinator"
ROLES = (STEWARD, COORDINATOR)
DAY = 86_400
STEWARD_TERM = 365 * DAY
DEFAULT_TERMS = {STEWARD: STEWARD_TERM, COORDINATOR: 90 * DAY}
INVITE_TTL = 3600
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud, typed on keys
CODE_LEN = 8
HANDLE_RE = re.compile(r"^[a-z][a-z0-9_-]{1,23}$")
INVITES = "invites"


def check_handle(handle: str) -> str:
    """Return the handle lower-cased; raises :class:`InputError` if it is not a handle."""
    h = handle.strip().lower() if isinstance(handle, str) else ""
    if not HANDLE_RE.match(h):
        raise InputError("a handle is 2-24 characters: a letter, then letters, digits, _ or -")
    return h


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"role must be one of {', '.join(ROLES)}")
    return role


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

    def to_json(self, now: float) -> dict[str, Any]:
        return {
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


class Roster:
    """Members by handle and by pinned node number; fed entries with :meth:`apply`."""

    def __init__(self) -> None:
        self.members: dict[str, Member] = {}
        self._by_node: dict[int, str] = {}

    def apply(self, index: int, body: Body) -> None:
        name = body.kind_name
        f = body.named_fields()
        if name in ("enrol", "mandate"):
            handle, role, until = f.get("handle"), f.get("role"), f.get("until")
            if not isinstance(handle, str) or role not in ROLES or not isinstance(until, int):
                return  # an entry this hub cannot use still verifies; it just grants nothing
            m = self.members.setdefault(handle, Member(handle))
            if m.revoked:  # a new grant after a revocation re-admits the handle
                m.revoked = False
                m.grants.clear()
            assert isinstance(role, str)
            m.grants[role] = until
            if role == COORDINATOR:
                m.grants[STEWARD] = max(m.grants.get(STEWARD, 0), body.time + STEWARD_TERM)
            node, pkey = f.get("node"), f.get("pkey")
            if name == "enrol" and isinstance(node, int) and isinstance(pkey, bytes):
                self._pin(m, node, pkey)
                m.enrolled_at = body.time
                m.enrol_index = index
        elif name == "revoke":
            handle = f.get("handle")
            if isinstance(handle, str) and handle in self.members:
                m = self.members[handle]
                m.revoked = True
                m.grants.clear()

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


# -- invites (TinyDB) -------------------------------------------------------------------


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().encode("utf-8")).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LEN))


def create_invite(
    db: TinyDB, handle: str, role: str, until: int, now: float, ttl: int = INVITE_TTL
) -> str:
    """Store a single-use invite and return its code (only its hash is kept)."""
    code = new_code()
    table = db.table(INVITES)
    table.remove(Query().expires < now - DAY)  # keep the table small
    table.insert(
        {
            "hash": _code_hash(code),
            "handle": handle,
            "role": role,
            "until": until,
            "created": int(now),
            "expires": int(now + ttl),
            "used": None,
        }
    )
    return code


@dataclass(frozen=True, slots=True)
class Invite:
    handle: str
    role: str
    until: int


class InviteRefused(InputError):
    """A JOIN code that is unknown, used or expired; ``reason`` is short enough for a reply."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def redeem_invite(db: TinyDB, code: str, now: float) -> Invite:
    """Mark the invite for ``code`` used and return it.

    :raises InviteRefused: unknown, already used or expired code.
    """
    if not isinstance(code, str) or not 4 <= len(code) <= 32:
        raise InviteRefused("unknown code")
    table = db.table(INVITES)
    q = Query()
    doc = table.get(q.hash == _code_hash(code))
    if doc is None or isinstance(doc, list):
        raise InviteRefused("unknown code")
    if doc.get("used") is not None:
        raise InviteRefused("code already used")
    if int(doc.get("expires", 0)) < now:
        raise InviteRefused("code expired")
    table.update({"used": int(now)}, q.hash == doc["hash"])
    return Invite(str(doc["handle"]), str(doc["role"]), int(doc["until"]))


def pending_invites(db: TinyDB, now: float) -> list[dict[str, Any]]:
    table = db.table(INVITES)
    return [
        {k: d[k] for k in ("handle", "role", "until", "expires")}
        for d in table.all()
        if d.get("used") is None and int(d.get("expires", 0)) >= now
    ]


# -- rate limits (in memory: a restart resets them, and an attacker's guesses never wear the
# SD card) ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Limits:
    window: float = 3600.0  # the "hour" of every per-hour limit below
    burst: float = 20.0  # commands a member may send at once …
    refill: float = 1 / 3  # … then one every 3 s
    stranger_burst: float = 5.0
    stranger_refill: float = 1 / 60
    refusal_replies: int = 30  # explanatory refusal replies hub-wide per window
    join_fail_node: int = 3  # failed JOINs per node per window
    join_fail_all: int = 20  # failed JOINs hub-wide per window
    max_nodes: int = 8192  # forget idle senders beyond this many


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float
    warned: bool = False


class RateLimits:
    """Token buckets per sender, refusal-reply and JOIN-failure limits (pure: time passed in).

    Buckets are keyed by ``(node, verified)``: a spoofer using a member's node number
    without the member's key drains only its own bucket.
    """

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._buckets: dict[tuple[int, bool], _Bucket] = {}
        self._refused_at: dict[int, float] = {}
        self._refusal_replies: list[float] = []
        self._join_fails: dict[int, list[float]] = {}

    def take(self, node: int, verified: bool, now: float) -> bool:
        """Spend one command from the sender's allowance; False when it is used up."""
        lim = self.limits
        cap = lim.burst if verified else lim.stranger_burst
        rate = lim.refill if verified else lim.stranger_refill
        key = (node, verified)
        b = self._buckets.get(key)
        if b is None:
            if len(self._buckets) >= lim.max_nodes:
                self._forget_refilled(now)
            if len(self._buckets) >= lim.max_nodes:  # all busy: forget the longest idle
                del self._buckets[min(self._buckets, key=lambda k: self._buckets[k].at)]
            b = self._buckets[key] = _Bucket(cap, now)
        b.tokens = min(cap, b.tokens + max(0.0, now - b.at) * rate)
        b.at = now
        if b.tokens >= 1:
            b.tokens -= 1
            b.warned = False
            return True
        return False

    def _forget_refilled(self, now: float) -> None:
        """Drop the buckets that would be full again by now: they hold no memory."""
        lim = self.limits

        def full(key: tuple[int, bool], b: _Bucket) -> bool:
            cap, rate = (
                (lim.burst, lim.refill) if key[1] else (lim.stranger_burst, lim.stranger_refill)
            )
            return b.tokens + (now - b.at) * rate >= cap

        self._buckets = {k: v for k, v in self._buckets.items() if not full(k, v)}

    def warn_once(self, node: int, verified: bool) -> bool:
        """True the first time a sender is over its allowance (tell them once, then drop)."""
        b = self._buckets.get((node, verified))
        if b is None or b.warned:
            return False
        b.warned = True
        return True

    def may_explain(self, node: int, now: float) -> bool:
        """May an unverified sender get an explanatory refusal reply now? Records it if so."""
        window = self.limits.window
        last = self._refused_at.get(node)
        if last is not None and now - last < window:
            return False
        self._refusal_replies = [t for t in self._refusal_replies if now - t < window]
        if len(self._refusal_replies) >= self.limits.refusal_replies:
            return False
        self._refusal_replies.append(now)
        if len(self._refused_at) >= self.limits.max_nodes:
            self._refused_at = {n: t for n, t in self._refused_at.items() if now - t < window}
        self._refused_at[node] = now
        return True

    def join_allowed(self, node: int, now: float) -> bool:
        window = self.limits.window
        mine = [t for t in self._join_fails.get(node, []) if now - t < window]
        everyone = sum(1 for ts in self._join_fails.values() for t in ts if now - t < window)
        return len(mine) < self.limits.join_fail_node and everyone < self.limits.join_fail_all

    def join_failed(self, node: int, now: float) -> None:
        window = self.limits.window
        self._join_fails = {
            n: kept
            for n, ts in self._join_fails.items()
            if (kept := [t for t in ts if now - t < window])
        }
        self._join_fails.setdefault(node, []).append(now)

    def join_succeeded(self, node: int) -> None:
        self._join_fails.pop(node, None)
