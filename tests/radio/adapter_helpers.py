"""Helpers for the adapter tests: an event recorder that tests can wait on."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from radio.adapter import Backoff
from radio.events import RadioEvent, SendResult

E = TypeVar("E")


class Events:
    """Records every event the adapter delivers; `wait` blocks until a condition holds."""

    def __init__(self) -> None:
        self.items: list[RadioEvent] = []
        self._cond = threading.Condition()

    def __call__(self, event: RadioEvent) -> None:
        with self._cond:
            self.items.append(event)
            self._cond.notify_all()

    def of(self, kind: type[E]) -> list[E]:
        with self._cond:
            return [e for e in self.items if isinstance(e, kind)]

    def wait(self, check: Callable[[], object], timeout: float = 15.0, what: str = "event") -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not check():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; got {self.items[-8:]}")
                self._cond.wait(min(left, 0.1))

    def results(self) -> dict[int, list[SendResult]]:
        out: dict[int, list[SendResult]] = {}
        for r in self.of(SendResult):
            out.setdefault(r.outgoing_id, []).append(r)
        return out


def fast_backoff() -> Backoff:
    """Reconnect quickly in tests, deterministically."""
    return Backoff(base=0.05, cap=0.3, rng=random.Random(7))
