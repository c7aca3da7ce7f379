"""Corrections: who wrote which entry of a feed, and who may correct or retract it.

Invariants:

- A ``correction`` points at an earlier entry of the *same* feed (``target``); nothing is
  ever edited. With ``retract`` = 1 it withdraws the target: the target stays in the log and
  its proof still verifies, but public pages show it struck through with the reason.
- An entry may be corrected by its author, by a coordinator at the time, or by the hub
  itself (the operator, author ``""``). A retraction needs a reason; a retracted entry is
  not retracted again. :func:`check_correction` is the one rule; the daemon's op and the
  radio desk both call it.
"""

from __future__ import annotations

from array import array

from hub.errors import InputError

RETRACT = 1  # the value of the ``retract`` field that withdraws the target


class AuthorIndex:
    """The author of every entry of one feed, one small integer per entry."""

    def __init__(self) -> None:
        self._ids = array("I")
        self._names: list[str] = []
        self._by_name: dict[str, int] = {}

    def append(self, author: str) -> None:
        i = self._by_name.get(author)
        if i is None:
            i = self._by_name[author] = len(self._names)
            self._names.append(author)
        self._ids.append(i)

    def __len__(self) -> int:
        return len(self._ids)

    def author_of(self, index: int) -> str | None:
        """The author of entry ``index`` (``""`` is the hub), or None if there is none."""
        if not 0 <= index < len(self._ids):
            return None
        return self._names[self._ids[index]]


def check_correction(
    authors: AuthorIndex,
    retracted: dict[int, int],
    target: int,
    by: str,
    coordinator: bool,
    text: str,
    retract: bool,
) -> None:
    """Refuse a correction that may not be written; raises :class:`InputError` saying why.

    ``by`` is the handle correcting (``""`` for the hub operator), ``coordinator`` whether
    they are a coordinator now.
    """
    wrote = authors.author_of(target)
    if wrote is None:
        raise InputError(f"there is no entry #{target} in this feed")
    if by and not coordinator and wrote != by:
        raise InputError(f"only the author of #{target} or a coordinator can correct it")
    if not text.strip():
        raise InputError("a retraction needs a reason" if retract else "a correction needs text")
    if target in retracted:
        raise InputError(f"entry #{target} is already retracted (#{retracted[target]})")
