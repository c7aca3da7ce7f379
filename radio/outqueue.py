"""Outgoing queue with priorities and a LoRa airtime budget (sans-IO: time is passed in).

- Airtime of one packet follows the Semtech SX127x/SX126x formula for the configured
  modem preset: 16-symbol preamble, explicit header, CRC on, low-data-rate optimisation when
  a symbol lasts more than 16 ms; the frame is the payload plus Meshtastic's 16-byte header.
- The budget is a token bucket counted in seconds of airtime, sized so that no sliding
  window (an hour) ever holds more than ``duty × window`` seconds (10 % of an hour = 360 s on
  EU_868): a quarter of that may go in one burst, the rest refills evenly.
- Strict priority (:class:`~radio.events.Priority`): an alert leaves before any reply, a
  reply before any bulk data; FIFO within one priority. Lower priorities must leave a
  reserve in the bucket so bulk sync can never eat the airtime an alert needs.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass

from radio import lora
from radio.errors import RadioBusyError, RadioInputError
from radio.events import MAX_HOP_LIMIT, MAX_NODE_NUM, Priority, SendResult

ALERT_RESERVE = 10  # 1/10 of the queue is only for alerts, so replies can't crowd them out


@dataclass(frozen=True, slots=True)
class LoraPreset:
    """LoRa modulation of a Meshtastic modem preset."""

    name: str
    spreading_factor: int
    bandwidth_hz: float
    coding_rate: int  # denominator of 4/x, 5..8


PRESETS: dict[str, LoraPreset] = {
    name: LoraPreset(name, m.spreading_factor, m.bandwidth_hz, m.coding_rate)
    for name, m in lora.PRESETS.items()
}
DEFAULT_PRESET = "LONG_FAST"


DEFAULT_DUTY_CYCLE = 0.10
"""Canopy's own ceiling where the law sets none: never take more than a tenth of the channel."""

LINK_ACK_TIMEOUT = 90.0
"""Seconds the radio waits for the mesh's ACK of a ``want_ack`` packet before a retry.
Not the steward's alert ACK (:data:`hub.settings.defaults.ACK_TIMEOUT`)."""

UNCONFIRMED_S = 2.0
"""Seconds a part handed to the radio without an ACK to wait for is sent again if the link
drops meanwhile: the write only reached the operating system's buffer."""

RESERVE: dict[Priority, float] = {Priority.ALERT: 0.0, Priority.REPLY: 0.05, Priority.BULK: 0.25}
"""Fraction of the bucket a priority must leave untouched."""


def airtime_seconds(payload_len: int, preset: LoraPreset | str = DEFAULT_PRESET) -> float:
    """Time on air of one packet carrying ``payload_len`` bytes of application payload.

    :raises RadioInputError: unknown preset name or a negative length.
    """
    p = preset_by_name(preset) if isinstance(preset, str) else preset
    if payload_len < 0:
        raise RadioInputError(f"negative payload length {payload_len}")
    params = lora.ModemParams(p.spreading_factor, p.bandwidth_hz, p.coding_rate)
    return lora.frame_airtime_s(payload_len + lora.MESH_HEADER_BYTES, params)


def preset_by_name(name: str) -> LoraPreset:
    """Look up a modem preset by its Meshtastic name (``LONG_FAST``…).

    :raises RadioInputError: unknown name.
    """
    try:
        return PRESETS[name.upper()]
    except KeyError as e:
        raise RadioInputError(f"unknown modem preset {name!r}") from e


def duty_cycle_for(region: str | None, wanted: float = DEFAULT_DUTY_CYCLE) -> float:
    """Airtime fraction Canopy may use in ``region``: ``wanted``, capped by the legal limit."""
    legal = lora.REGION_DUTY_CYCLE.get((region or "").upper(), 1.0)
    return min(legal, wanted)


class AirtimeBudget:
    """Token bucket of airtime seconds that never exceeds ``duty × window`` in any window.

    A bucket of capacity C refilled at r s/s can spend at most C + r·W within any span W.
    With C = burst·duty·W and r = (1 − burst)·duty that is exactly duty·W, so the legal
    limit holds for every sliding hour, not just on average; the long-run rate (1 − burst)·duty
    leaves the rest of the radio's own allowance for relaying and ACKs. Starts full.
    """

    def __init__(
        self, duty: float, now: float, window_s: float = 3600.0, burst: float = 0.25
    ) -> None:
        if not 0.0 < duty <= 1.0 or window_s <= 0 or not 0.0 < burst < 1.0:
            raise RadioInputError(
                f"bad airtime budget: duty {duty}, window {window_s}, burst {burst}"
            )
        self.duty = duty
        self.window_s = window_s
        self.capacity = burst * duty * window_s
        self.rate = (1.0 - burst) * duty
        self._tokens = self.capacity
        self._at = now
        self.spent_total = 0.0

    def set_duty(self, duty: float, now: float) -> None:
        """Change the duty cycle (e.g. once the radio reports its region); keeps the fill
        level as a fraction of the new capacity, never more than what is already there."""
        if not 0.0 < duty <= 1.0:
            raise RadioInputError(f"bad duty cycle {duty}")
        if duty == self.duty:
            return
        have = self.available(now)
        scale = duty / self.duty
        fill = have / self.capacity
        self.duty, self.capacity, self.rate = duty, self.capacity * scale, self.rate * scale
        self._tokens = min(fill * self.capacity, have)
        self._at = max(self._at, now)

    def available(self, now: float) -> float:
        """Seconds of airtime that could be spent right now."""
        elapsed = max(0.0, now - self._at)
        return min(self.capacity, self._tokens + elapsed * self.rate)

    def wait_time(self, cost: float, now: float, reserve: float = 0.0) -> float:
        """Seconds until ``cost`` can be spent leaving ``reserve`` × capacity untouched."""
        need = min(cost + reserve * self.capacity, self.capacity)
        have = self.available(now)
        return 0.0 if have >= need else (need - have) / self.rate

    def spend(self, cost: float, now: float) -> None:
        """Take ``cost`` seconds from the bucket."""
        self._tokens = self.available(now) - cost
        self._at = max(self._at, now)
        self.spent_total += cost


@dataclass(slots=True)
class Outgoing:
    """One accepted packet waiting for the radio (a text part or a data payload)."""

    outgoing_id: int
    priority: Priority
    port: int
    payload: bytes
    dest: int
    channel: int
    want_ack: bool
    hop_limit: int | None
    accepted_at: float
    attempts: int = 0


class OutQueue:
    """Priority queue of :class:`Outgoing` items paced by an :class:`AirtimeBudget`."""

    def __init__(
        self, budget: AirtimeBudget, preset: LoraPreset | str = DEFAULT_PRESET, max_len: int = 1000
    ) -> None:
        self.budget = budget
        self.preset = preset_by_name(preset) if isinstance(preset, str) else preset
        self.max_len = max_len
        self._queues: dict[Priority, deque[Outgoing]] = {p: deque() for p in Priority}
        self._ids = itertools.count(1)

    def new_id(self) -> int:
        """A fresh outgoing id, unique for the life of this queue."""
        return next(self._ids)

    def __len__(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def lengths(self) -> dict[str, int]:
        """Queue length per priority name."""
        return {p.name: len(q) for p, q in self._queues.items()}

    def push(self, items: list[Outgoing]) -> None:
        """Accept ``items`` all together or none of them.

        :raises RadioBusyError: the queue would exceed ``max_len``.
        """
        limit = self.max_len
        if any(i.priority != Priority.ALERT for i in items):
            limit -= self.max_len // ALERT_RESERVE  # the last places are kept for alerts
        if len(self) + len(items) > limit:
            raise RadioBusyError(f"outgoing queue full ({len(self)} of {limit})")
        for item in items:
            self._queues[item.priority].append(item)

    def push_front(self, item: Outgoing) -> None:
        """Put back an item that could not be delivered; it leaves first in its priority."""
        self._queues[item.priority].appendleft(item)

    def _head(self) -> Outgoing | None:
        for p in Priority:
            if self._queues[p]:
                return self._queues[p][0]
        return None

    def next_ready(self, now: float) -> tuple[Outgoing | None, float]:
        """Pop the item that may go now and charge its airtime.

        Returns ``(item, 0.0)``, or ``(None, seconds_to_wait)`` (``math.inf`` when empty).
        """
        head = self._head()
        if head is None:
            return None, math.inf
        cost = airtime_seconds(len(head.payload), self.preset)
        wait = self.budget.wait_time(cost, now, RESERVE[head.priority])
        if wait > 0:
            return None, wait
        self._queues[head.priority].popleft()
        self.budget.spend(cost, now)
        return head, 0.0

    def expire(self, now: float, max_age_s: float) -> list[Outgoing]:
        """Remove and return items accepted more than ``max_age_s`` seconds ago."""
        gone: list[Outgoing] = []
        for q in self._queues.values():
            keep = [i for i in q if now - i.accepted_at <= max_age_s]
            gone.extend(i for i in q if now - i.accepted_at > max_age_s)
            q.clear()
            q.extend(keep)
        return gone

    def drain(self) -> list[Outgoing]:
        """Remove and return every queued item (on stop)."""
        out = [i for p in Priority for i in self._queues[p]]
        for q in self._queues.values():
            q.clear()
        return out


@dataclass(slots=True)
class _InFlight:
    item: Outgoing
    deadline: float


class SendBook:
    """Lifecycle of accepted parts (sans-IO): queued → in flight → exactly one SendResult.

    Parts wanting an ACK are moved in flight *before* they are handed to the radio, since
    the ACK may arrive before the library's send call returns.
    """

    def __init__(
        self,
        queue: OutQueue,
        ack_timeout: float = LINK_ACK_TIMEOUT,
        max_attempts: int = 3,
        max_in_flight: int = 8,
        max_age_s: float = 3600.0,
    ) -> None:
        self.queue = queue
        self.ack_timeout = ack_timeout
        self.max_attempts = max_attempts
        self.max_in_flight = max_in_flight
        self.max_age_s = max_age_s
        self.in_flight: dict[int, _InFlight] = {}
        # parts handed over without an ACK to wait for: a write into a link that drops a
        # moment later (a radio pulled from its port mid-send) may never have reached it
        self.unconfirmed: list[tuple[float, Outgoing]] = []

    def take(self, now: float) -> tuple[Outgoing | None, float]:
        """Next part to hand to the radio, or ``(None, seconds_to_wait)``."""
        if len(self.in_flight) >= self.max_in_flight:
            deadline = min(f.deadline for f in self.in_flight.values())
            return None, max(0.0, deadline - now)
        item, wait = self.queue.next_ready(now)
        if item is None:
            if self.in_flight:
                wait = min(wait, min(f.deadline for f in self.in_flight.values()) - now)
            return None, max(0.0, wait)
        item.attempts += 1
        if item.want_ack:
            self.in_flight[item.outgoing_id] = _InFlight(item, now + self.ack_timeout)
        return item, 0.0

    def handed_over(self, item: Outgoing, now: float = 0.0) -> SendResult | None:
        """The radio took ``item``: done unless an ACK is awaited (one without is kept for
        :data:`UNCONFIRMED_S`, to send again if the link drops meanwhile)."""
        if item.want_ack:
            return None
        self.unconfirmed = [(t, i) for t, i in self.unconfirmed if now - t < UNCONFIRMED_S]
        self.unconfirmed.append((now, item))
        return SendResult(item.outgoing_id, True, "SENT")

    def send_failed(self, item: Outgoing) -> SendResult | None:
        """Handing ``item`` over failed: queue it again, or give up after max attempts."""
        self.in_flight.pop(item.outgoing_id, None)
        return self._retry_or_give_up(item)

    def response(self, outgoing_id: int, error_reason: str) -> SendResult | None:
        """ACK (``NONE``) or NAK for a part in flight; None if unknown or already settled."""
        flight = self.in_flight.pop(outgoing_id, None)
        if flight is None:
            return None
        ok = error_reason == "NONE"
        return SendResult(outgoing_id, ok, "ACK" if ok else error_reason)

    def expire(self, now: float) -> list[SendResult]:
        """Settle ACK timeouts and parts queued longer than ``max_age_s``."""
        out = []
        for oid, flight in list(self.in_flight.items()):
            if flight.deadline <= now:
                del self.in_flight[oid]
                out.append(SendResult(oid, False, "ACK_TIMEOUT"))
        for item in self.queue.expire(now, self.max_age_s):
            out.append(SendResult(item.outgoing_id, False, "EXPIRED"))
        return out

    def link_lost(self, now: float = 0.0) -> list[SendResult]:
        """The link dropped: parts awaiting an ACK, and parts handed over in the last
        :data:`UNCONFIRMED_S` without one, are queued again (oldest first). A part the radio
        did take before the drop is then sent twice: a repeat, never a loss."""
        recent = [i for t, i in self.unconfirmed if now - t < UNCONFIRMED_S]
        self.unconfirmed.clear()
        items = [f.item for f in self.in_flight.values()] + recent
        self.in_flight.clear()
        out = []
        for item in reversed(items):
            result = self._retry_or_give_up(item)
            if result is not None:
                out.append(result)
        return out

    def drain(self, reason: str = "STOPPED") -> list[SendResult]:
        """Settle everything still pending as failed."""
        items = [f.item for f in self.in_flight.values()] + self.queue.drain()
        self.in_flight.clear()
        return [SendResult(i.outgoing_id, False, reason) for i in items]

    def _retry_or_give_up(self, item: Outgoing) -> SendResult | None:
        if item.attempts >= self.max_attempts:
            return SendResult(item.outgoing_id, False, "GAVE_UP")
        self.queue.push_front(item)
        return None


def check_send_args(
    dest: object, channel: object, priority: object, want_ack: object, hop_limit: object
) -> Priority:
    """Validate the addressing of an outgoing packet; return the priority as a Priority.

    :raises RadioInputError: dest not in 1..0xFFFFFFFF, channel not in 0..7, hop limit not in
        0..7, unknown priority, or a non-bool ``want_ack``.
    """
    if isinstance(dest, bool) or not isinstance(dest, int) or not 1 <= dest <= MAX_NODE_NUM:
        raise RadioInputError(f"destination {dest!r} is not a node number (1..0xFFFFFFFF)")
    if isinstance(channel, bool) or not isinstance(channel, int) or not 0 <= channel <= 7:
        raise RadioInputError(f"channel {channel!r} out of range 0..7")
    if hop_limit is not None and (
        isinstance(hop_limit, bool)
        or not isinstance(hop_limit, int)
        or not 0 <= hop_limit <= MAX_HOP_LIMIT
    ):
        raise RadioInputError(f"hop limit {hop_limit!r} out of range 0..{MAX_HOP_LIMIT}")
    if not isinstance(want_ack, bool):
        raise RadioInputError(f"want_ack must be a bool, not {want_ack!r}")
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise RadioInputError(f"unknown priority {priority!r}")
    try:
        return Priority(priority)
    except ValueError as e:
        raise RadioInputError(f"unknown priority {priority!r}") from e
