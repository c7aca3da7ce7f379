"""Rate limits of the steward desk, in memory: a restart resets them, and an attacker's
guesses never wear the SD card (pure: time is passed in)."""

from __future__ import annotations

from dataclasses import dataclass


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
