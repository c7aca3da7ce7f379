"""Outgoing queue: airtime formula, hourly budget, priorities, part lifecycle (sans-IO)."""

from __future__ import annotations

import math
from collections import deque

import pytest

from radio.errors import RadioBusyError, RadioInputError
from radio.events import BROADCAST, Priority, SendResult
from radio.outqueue import (
    RESERVE,
    AirtimeBudget,
    Outgoing,
    OutQueue,
    SendBook,
    airtime_seconds,
    check_send_args,
    duty_cycle_for,
)

_ids = iter(range(1, 1_000_000))


def item(prio: Priority = Priority.BULK, size: int = 50, want_ack: bool = False) -> Outgoing:
    return Outgoing(next(_ids), prio, 300, b"x" * size, BROADCAST, 0, want_ack, None, 0.0)


# ------------------------------------------------------------------ airtime


def test_airtime_matches_semtech_formula() -> None:
    # 50-byte payload + 16-byte header = 66-byte frame; values from the Semtech formula.
    assert airtime_seconds(50, "LONG_FAST") == pytest.approx(0.722944, abs=1e-6)
    assert airtime_seconds(50, "SHORT_FAST") == pytest.approx(0.065664, abs=1e-6)
    # SF12/125 kHz: symbol 32.768 ms > 16 ms, so low-data-rate optimisation is on.
    assert airtime_seconds(50, "LONG_SLOW") == pytest.approx(4.595712, abs=1e-6)
    assert airtime_seconds(237, "LONG_FAST") == pytest.approx(2.115584, abs=1e-6)


def test_airtime_grows_with_payload_and_rejects_bad_input() -> None:
    times = [airtime_seconds(n, "MEDIUM_FAST") for n in range(0, 240)]
    assert times == sorted(times)
    assert times[-1] > times[0]
    with pytest.raises(RadioInputError):
        airtime_seconds(-1)
    with pytest.raises(RadioInputError):
        airtime_seconds(10, "WARP_SPEED")


def test_duty_cycle_per_region() -> None:
    assert duty_cycle_for("EU_868") == 0.10
    assert duty_cycle_for("US") == 0.10  # Canopy's own ceiling where the law has none
    assert duty_cycle_for(None) == 0.10
    assert duty_cycle_for("UA_868") == 0.01
    assert duty_cycle_for("EU_868", wanted=0.5) == 0.10  # the law caps what we ask for
    assert duty_cycle_for("US", wanted=0.5) == 0.5


def test_budget_duty_can_be_lowered_once_the_region_is_known() -> None:
    b = AirtimeBudget(0.5, now=0.0)
    b.spend(b.capacity / 2, 0.0)  # half full
    b.set_duty(0.10, 0.0)
    assert b.capacity == pytest.approx(90.0)
    assert b.available(0.0) == pytest.approx(45.0)
    assert b.rate == pytest.approx(0.075)
    with pytest.raises(RadioInputError):
        b.set_duty(1.5, 0.0)


# ------------------------------------------------------------------ budget


def test_budget_refills_with_time() -> None:
    b = AirtimeBudget(0.10, now=0.0)
    assert b.available(0.0) == pytest.approx(90.0)  # a quarter of 360 s may burst
    b.spend(90.0, 0.0)
    assert b.wait_time(2.0, 0.0) == pytest.approx(2.0 / 0.075)
    assert b.available(100.0) == pytest.approx(7.5)
    assert b.wait_time(2.0, 1000.0) == 0.0
    with pytest.raises(RadioInputError):
        AirtimeBudget(0.0, now=0.0)


def test_flood_never_exceeds_duty_cycle_in_any_hour() -> None:
    """Push far more than an hour's worth; no sliding hour may hold more than 360 s."""
    now = 0.0
    q = OutQueue(AirtimeBudget(0.10, now), "LONG_FAST", max_len=5000)
    q.push([item(Priority.ALERT, 200) for _ in range(3000)])
    sent: deque[tuple[float, float]] = deque()
    window_total = 0.0
    worst = 0.0
    while len(q) and now < 3 * 3600:
        got, wait = q.next_ready(now)
        if got is None:
            now += wait + 1e-9
            continue
        cost = airtime_seconds(len(got.payload), "LONG_FAST")
        sent.append((now, cost))
        window_total += cost
        while sent and sent[0][0] <= now - 3600.0:
            window_total -= sent.popleft()[1]
        worst = max(worst, window_total)
        now += cost  # the radio is busy while it transmits
    assert worst <= 360.0 + 1e-6
    assert worst > 300.0  # and the budget is actually used, not starved


# ------------------------------------------------------------------ priorities


def test_alerts_before_replies_before_bulk_fifo_within() -> None:
    q = OutQueue(AirtimeBudget(0.10, 0.0))
    b1, r1, a1, b2, a2, r2 = (
        item(Priority.BULK), item(Priority.REPLY), item(Priority.ALERT),
        item(Priority.BULK), item(Priority.ALERT), item(Priority.REPLY),
    )  # fmt: skip
    q.push([b1, r1, a1, b2, a2, r2])
    assert q.lengths() == {"ALERT": 2, "REPLY": 2, "BULK": 2}
    order = [q.next_ready(0.0)[0] for _ in range(6)]
    assert order == [a1, a2, r1, r2, b1, b2]
    assert q.next_ready(0.0) == (None, math.inf)


def test_bulk_leaves_a_reserve_for_alerts() -> None:
    budget = AirtimeBudget(0.10, 0.0)
    q = OutQueue(budget, "LONG_FAST")
    q.push([item(Priority.BULK, 200) for _ in range(200)])
    while q.next_ready(0.0)[0] is not None:
        pass
    left = budget.available(0.0)
    assert left >= RESERVE[Priority.BULK] * budget.capacity
    q.push([item(Priority.ALERT, 200)])
    alert, wait = q.next_ready(0.0)
    assert alert is not None and alert.priority is Priority.ALERT and wait == 0.0


def test_queue_full_accepts_nothing() -> None:
    q = OutQueue(AirtimeBudget(0.10, 0.0), max_len=3)
    q.push([item(), item()])
    with pytest.raises(RadioBusyError):
        q.push([item(), item()])
    assert len(q) == 2


# ------------------------------------------------------------------ lifecycle


def book(**kw: float) -> SendBook:
    return SendBook(OutQueue(AirtimeBudget(0.10, 0.0)), **kw)  # type: ignore[arg-type]


def test_ack_nak_and_timeout_settle_each_part_once() -> None:
    b = book(ack_timeout=30.0)
    x, y, z = item(want_ack=True), item(want_ack=True), item(want_ack=True)
    b.queue.push([x, y, z])
    assert [b.take(0.0)[0] for _ in range(3)] == [x, y, z]
    assert b.response(x.outgoing_id, "NONE") == SendResult(x.outgoing_id, True, "ACK")
    assert b.response(x.outgoing_id, "NONE") is None  # a duplicate ACK settles nothing
    assert b.response(y.outgoing_id, "MAX_RETRANSMIT") == SendResult(
        y.outgoing_id, False, "MAX_RETRANSMIT"
    )
    assert b.expire(29.0) == []
    assert b.expire(31.0) == [SendResult(z.outgoing_id, False, "ACK_TIMEOUT")]
    assert b.in_flight == {}


def test_sent_without_ack_is_ok_at_once() -> None:
    b = book()
    x = item()
    b.queue.push([x])
    got, _ = b.take(0.0)
    assert got is x and b.in_flight == {}
    assert b.handed_over(x) == SendResult(x.outgoing_id, True, "SENT")


def test_link_loss_right_after_a_hand_over_sends_it_again() -> None:
    b = book()
    x, y = item(), item()
    b.queue.push([x, y])
    for t in (10.0, 11.0):
        got, _ = b.take(t)
        assert got is not None and b.handed_over(got, t) == SendResult(
            got.outgoing_id, True, "SENT"
        )
    assert b.link_lost(12.5) == []  # x left 2.5 s ago: it was taken; y may not have been
    assert b.take(13.0)[0] is y and b.take(13.0)[0] is None


def test_link_loss_requeues_in_order_then_gives_up() -> None:
    b = book(max_attempts=2)
    x, y = item(want_ack=True), item(want_ack=True)
    b.queue.push([x, y])
    b.take(0.0)
    b.take(0.0)
    assert b.link_lost() == []
    assert [b.take(1.0)[0] for _ in range(2)] == [x, y]  # same order after reconnect
    results = b.link_lost()
    assert sorted(results, key=lambda r: r.outgoing_id) == [
        SendResult(x.outgoing_id, False, "GAVE_UP"),
        SendResult(y.outgoing_id, False, "GAVE_UP"),
    ]
    assert len(b.queue) == 0


def test_failed_handover_requeues_front() -> None:
    b = book()
    x, y = item(), item()
    b.queue.push([x, y])
    got, _ = b.take(0.0)
    assert b.send_failed(got) is None  # type: ignore[arg-type]
    assert b.take(0.0)[0] is x


def test_expiry_drain_and_in_flight_cap() -> None:
    b = book(max_in_flight=1, max_age_s=60.0)
    x, y, z = item(want_ack=True), item(want_ack=True), item()
    b.queue.push([x, y, z])
    assert b.take(0.0)[0] is x
    got, wait = b.take(0.0)
    assert got is None and 0 < wait <= 90.0  # waits for x's ACK or its timeout
    expired = b.expire(61.0)
    assert {r.outgoing_id for r in expired} == {y.outgoing_id, z.outgoing_id}
    assert all(r.reason == "EXPIRED" and not r.ok for r in expired)
    assert b.drain() == [SendResult(x.outgoing_id, False, "STOPPED")]


@pytest.mark.parametrize(
    ("dest", "channel", "priority", "want_ack", "hop_limit"),
    [
        (0, 0, Priority.REPLY, False, None),
        (-1, 0, Priority.REPLY, False, None),
        (0x1_0000_0000, 0, Priority.REPLY, False, None),
        (True, 0, Priority.REPLY, False, None),
        ("!5eed0001", 0, Priority.REPLY, False, None),
        (1, 8, Priority.REPLY, False, None),
        (1, -1, Priority.REPLY, False, None),
        (1, 0, 7, False, None),
        (1, 0, Priority.REPLY, "yes", None),
        (1, 0, Priority.REPLY, False, 8),
        (1, 0, Priority.REPLY, False, -1),
    ],
)
def test_check_send_args_rejects(
    dest: object, channel: object, priority: object, want_ack: object, hop_limit: object
) -> None:
    with pytest.raises(RadioInputError):
        check_send_args(dest, channel, priority, want_ack, hop_limit)


def test_check_send_args_accepts() -> None:
    assert check_send_args(BROADCAST, 7, 0, True, 7) is Priority.ALERT
    assert check_send_args(1, 0, Priority.BULK, False, None) is Priority.BULK


def test_replies_cannot_crowd_out_alerts() -> None:
    q = OutQueue(AirtimeBudget(0.10, 0.0), max_len=20)
    q.push([item(Priority.REPLY) for _ in range(18)])
    with pytest.raises(RadioBusyError):
        q.push([item(Priority.BULK)])  # the last tenth is kept for alerts
    q.push([item(Priority.ALERT), item(Priority.ALERT)])
    assert q.lengths()["ALERT"] == 2
