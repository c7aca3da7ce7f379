"""Who is on duty and who is overdue, folded from check-in, check-out and overdue entries.

Invariants:

- A ``checkin`` starts (or restarts) the author's shift; ``checkout`` ends it. ``IN 45``
  means "expect me back within 45 minutes": the shift is *due* 45 minutes after the
  check-in's claimed time. A shift without minutes is never overdue.
- Overdue handling is a pure function of the folded state and ``now``
  (:func:`overdue_steps`): at the due time the steward is reminded, and the coordinators
  are told only once the grace period has passed since the due time *and* since the
  reminder was given. So a clock that jumps hours forward reminds each steward first and
  gives them the grace to answer, rather than raising every alarm at once. Each step is
  logged as an ``overdue`` entry (author: the hub), and folding that entry records the
  step, so a restarted hub never repeats a step.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.log import Body
from hub.settings import OVERDUE_GRACE as DEFAULT_GRACE

REMINDER = "reminder"
ESCALATED = "escalated"
STAGES = (REMINDER, ESCALATED)
MAX_SHIFT_MINUTES = 1440  # the longest expected shift a steward can announce (`IN 45`)


@dataclass(slots=True)
class Shift:
    handle: str
    start: int
    index: int
    minutes: int | None = None
    text: str | None = None
    stage: str | None = None  # last overdue step taken for this shift
    staged_at: int = 0  # the claimed time of that step's entry
    feed: str = ""  # the hub whose feed recorded the check-in

    @property
    def due(self) -> int | None:
        return self.start + self.minutes * 60 if self.minutes else None


@dataclass(frozen=True, slots=True)
class OverdueStep:
    handle: str
    stage: str
    shift: Shift


class Patrol:
    """Open shifts by handle; fed entries with :meth:`apply`."""

    def __init__(self) -> None:
        self.shifts: dict[str, Shift] = {}

    def apply(self, index: int, body: Body, feed: str = "") -> None:
        f = body.named_fields()
        author = body.author
        if body.kind_name == "checkin" and author:
            minutes = f.get("minutes")
            text = f.get("text")
            self.shifts[author] = Shift(
                author,
                body.time,
                index,
                minutes if isinstance(minutes, int) and minutes > 0 else None,
                text if isinstance(text, str) else None,
                feed=feed,
            )
        elif body.kind_name == "checkout" and author:
            self.shifts.pop(author, None)
        elif body.kind_name == "overdue":
            handle, stage = f.get("handle"), f.get("stage")
            shift = self.shifts.get(handle) if isinstance(handle, str) else None
            same_feed = shift is not None and shift.feed == feed
            if shift is not None and same_feed and stage in STAGES and shift.index < index:
                shift.stage = str(stage)
                shift.staged_at = body.time
        elif body.kind_name == "revoke":
            handle = f.get("handle")
            if isinstance(handle, str):
                self.shifts.pop(handle, None)

    def on_duty(self) -> list[Shift]:
        """Open shifts, longest on duty first (whether the member still holds a role is
        :meth:`hub.state.model.HubState.on_duty`'s to say)."""
        return sorted(self.shifts.values(), key=lambda s: (s.start, s.index))


def overdue_steps(patrol: Patrol, now: float, grace: int = DEFAULT_GRACE) -> list[OverdueStep]:
    """The overdue steps due at ``now``, oldest shift first (pure)."""
    steps: list[OverdueStep] = []
    for shift in patrol.on_duty():
        due = shift.due
        if due is None:
            continue
        if shift.stage is None and now >= due:
            steps.append(OverdueStep(shift.handle, REMINDER, shift))
        elif shift.stage == REMINDER and now >= max(due, shift.staged_at) + grace:
            steps.append(OverdueStep(shift.handle, ESCALATED, shift))
    return steps


def next_overdue_time(patrol: Patrol, grace: int = DEFAULT_GRACE) -> float | None:
    """When :func:`overdue_steps` will next have something to do, if ever."""
    times: list[float] = []
    for shift in patrol.shifts.values():
        due = shift.due
        if due is None:
            continue
        if shift.stage is None:
            times.append(due)
        elif shift.stage == REMINDER:
            times.append(max(due, shift.staged_at) + grace)
    return min(times) if times else None
