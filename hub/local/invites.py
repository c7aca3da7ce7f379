"""One-time invite codes: single use, short-lived, stored hashed in TinyDB.

They are secrets, not history: redeeming one is what writes the signed ``enrol``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hub.errors import InputError

if TYPE_CHECKING:  # TinyDB is loaded by whoever opens the database, not by the desk
    from tinydb import TinyDB

DAY = 86_400
INVITE_TTL = 3600
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud, typed on keys
CODE_LEN = 8
INVITES = "invites"


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().encode("utf-8")).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LEN))


def create_invite(
    db: TinyDB, handle: str, role: str, until: int, now: float, ttl: int = INVITE_TTL
) -> str:
    """Store a single-use invite and return its code (only its hash is kept)."""
    from tinydb import Query

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
    from tinydb import Query

    table = db.table(INVITES)
    q = Query()
    doc = table.get(q.hash == _code_hash(code))
    if doc is None or isinstance(doc, list):
        raise InviteRefused("unknown code")
    if doc.get("burned"):
        raise InviteRefused("code was sent in the clear and is cancelled; ask for a new one")
    if doc.get("used") is not None:
        raise InviteRefused("code already used")
    if int(doc.get("expires", 0)) < now:
        raise InviteRefused("code expired")
    table.update({"used": int(now)}, q.hash == doc["hash"])
    return Invite(str(doc["handle"]), str(doc["role"]), int(doc["until"]))


def burn_invite(db: TinyDB, code: str, now: float) -> bool:
    """Cancel the live invite for ``code`` because it was heard in the clear.

    Returns True if a live invite was burned (False for unknown, used or expired codes).
    """
    if not isinstance(code, str) or not 4 <= len(code) <= 32:
        return False
    from tinydb import Query

    table = db.table(INVITES)
    q = Query()
    doc = table.get(q.hash == _code_hash(code))
    if doc is None or isinstance(doc, list):
        return False
    if doc.get("used") is not None or int(doc.get("expires", 0)) < now:
        return False
    table.update({"used": int(now), "burned": True}, q.hash == doc["hash"])
    return True


def pending_invites(db: TinyDB, now: float) -> list[dict[str, Any]]:
    table = db.table(INVITES)
    return [
        {k: d[k] for k in ("handle", "role", "until", "expires")}
        for d in table.all()
        if d.get("used") is None and int(d.get("expires", 0)) >= now
    ]
