"""The Trickle algorithm (RFC 6206), sans-IO: when to send a summary, and when to keep quiet.

An interval ``I`` doubles from ``imin`` to ``imax``; in each interval the timer fires once at
a random point in its second half, and the owner transmits only if it heard fewer than
``k`` consistent summaries in that interval. Hearing something inconsistent (or having
something new to tell) resets ``I`` to ``imin``. A neighbourhood that agrees goes quiet
exponentially; one change is spread within about ``imin``.
"""

from __future__ import annotations

import random


class Trickle:
    def __init__(self, imin: float, imax: float, k: int, rng: random.Random) -> None:
        if not 0 < imin <= imax or k < 1:
            raise ValueError("Trickle needs 0 < imin <= imax and k >= 1")
        self.imin, self.imax, self.k = imin, imax, k
        self.rng = rng
        self.interval = imin
        self.start = 0.0
        self.fire_at = 0.0
        self.heard = 0
        self.fired = True
        self.fired_in = (0.0, imin)  # (start, length) of the interval whose timer fired last

    def begin(self, now: float) -> None:
        """Start (or restart) at ``imin``."""
        self.interval = self.imin
        self._new_interval(now)

    def _new_interval(self, now: float) -> None:
        self.start = now
        self.heard = 0
        self.fired = False
        self.fire_at = now + self.rng.uniform(self.interval / 2, self.interval)

    def consistent(self) -> None:
        """A neighbour's summary agreed with ours."""
        self.heard += 1

    def reset(self, now: float) -> None:
        """Something changed: tell the neighbourhood soon (RFC 6206 section 4.2, rule 6)."""
        if self.interval > self.imin or self.fired:
            self.interval = self.imin
            self._new_interval(now)

    def due(self, now: float) -> bool:
        """Advance to ``now``; True when the owner should transmit its summary now."""
        send = False
        if not self.fired and now >= self.fire_at:
            self.fired = True
            send = self.heard < self.k
            self.fired_in = (self.start, self.interval)
        while now >= self.start + self.interval:
            end = self.start + self.interval
            self.interval = min(2 * self.interval, self.imax)
            self._new_interval(end)
            if not self.fired and now >= self.fire_at:  # a long sleep: catch up once
                self.fired = True
                send = send or self.heard < self.k
                self.fired_in = (self.start, self.interval)
        return send

    def next_wake(self) -> float:
        return self.fire_at if not self.fired else self.start + self.interval
