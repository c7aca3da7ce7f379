"""Names people type: steward handles, role names and the compact signer's optional name.

Pure validators, shared by the daemon's ops and the portal's forms so both refuse the same
input with the same reason.
"""

from __future__ import annotations

import re

from hub.errors import InputError

STEWARD = "steward"
COORDINATOR = "coordinator"
ROLES = (STEWARD, COORDINATOR)
ROLE_RE = re.compile(r"^[a-z][a-z0-9_-]{1,23}$")  # a mandate's role: any such name
HANDLE_RE = re.compile(r"^[a-z][a-z0-9_-]{1,23}$")
NAME_MAX = 40
NAME_RE = re.compile(r"^[\w .'&-]+$")


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


def check_mandate_role(role: str) -> str:
    """A role a vote may give: coordinator, facilitator, any name the neighbourhood uses."""
    r = role.strip().lower() if isinstance(role, str) else ""
    if not ROLE_RE.match(r) or r == STEWARD:
        raise InputError("a role is 2-24 letters, digits, _ or - (not steward)")
    return r


def clean_compact_name(raw: object) -> str | None:
    """A compact signer's name, whitespace-normalised, or None; raises :class:`InputError`."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InputError("name must be text")
    name = " ".join(raw.split())
    if not name:
        return None
    if len(name) > NAME_MAX:
        raise InputError(f"a name can have at most {NAME_MAX} characters")
    if not NAME_RE.match(name) or not name.isprintable():
        raise InputError("a name can only have letters, digits, spaces and . ' & -")
    return name
