"""Roster, patrol and alert folds and their pure schedules, fed hand-made entry bodies."""

from __future__ import annotations

from hub.daemon import DeliveryStore
from hub.log import Body, FieldValue, make_body
from hub.state import (
    STEWARD_TERM,
    AlertBook,
    AlertPolicy,
    Patrol,
    Roster,
    next_overdue_time,
    overdue_steps,
    pages_due,
)
from radio.desk import Limits, RateLimits

T = 1_800_000_000


def body(kind: str, fields: dict[str, FieldValue], author: str = "", t: int = T) -> Body:
    return make_body(kind, fields, time=t, author=author)


def test_roster_pins_move_with_the_radio() -> None:
    r = Roster()
    r.apply(
        0,
        body(
            "enrol",
            {"handle": "ann", "role": "steward", "until": T + 99, "node": 7, "pkey": b"a" * 32},
        ),
    )
    r.apply(
        1,
        body(
            "enrol",
            {"handle": "ben", "role": "steward", "until": T + 99, "node": 7, "pkey": b"b" * 32},
        ),
    )
    ann, ben = r.get("ann"), r.by_node(7)
    assert ben is not None and ben.handle == "ben" and ben.pkey == b"b" * 32
    assert ann is not None and ann.node is None and ann.pkey is None  # handed over
    assert ann.role(T) == "steward"  # still enrolled, just without a radio


def test_roles_expire_and_mandates_grant() -> None:
    r = Roster()
    r.apply(
        0,
        body(
            "enrol",
            {"handle": "cy", "role": "coordinator", "until": T + 100, "node": 1, "pkey": b"c" * 32},
        ),
    )
    cy = r.get("cy")
    assert cy is not None
    assert cy.role(T + 99) == "coordinator"
    assert cy.role(T + 100) == "steward"  # an expired coordinator is a steward again
    assert cy.role(T + STEWARD_TERM) is None
    r.apply(1, body("mandate", {"handle": "cy", "role": "coordinator", "until": T + 500}))
    assert cy.role(T + 400) == "coordinator" and cy.node == 1  # key pin untouched
    r.apply(2, body("revoke", {"handle": "cy"}))
    assert cy.role(T) is None and r.with_role("coordinator", T) == []
    r.apply(3, body("enrol", {"handle": "zz", "role": "admin", "until": T + 5}))  # unusable
    assert r.get("zz") is None


def test_patrol_overdue_schedule() -> None:
    p = Patrol()
    p.apply(0, body("checkin", {"minutes": 10}, "ann"))
    p.apply(1, body("checkin", {}, "ben"))
    assert next_overdue_time(p, grace=60) == T + 600
    assert overdue_steps(p, T + 599, 60) == []
    [step] = overdue_steps(p, T + 600, 60)
    assert (step.handle, step.stage) == ("ann", "reminder")
    p.apply(2, body("overdue", {"handle": "ann", "stage": "reminder"}))
    assert overdue_steps(p, T + 659, 60) == [] and next_overdue_time(p, 60) == T + 660
    assert [s.stage for s in overdue_steps(p, T + 660, 60)] == ["escalated"]
    p.apply(3, body("overdue", {"handle": "ann", "stage": "escalated"}))
    assert overdue_steps(p, T + 99999, 60) == [] and next_overdue_time(p, 60) is None
    p.apply(4, body("checkout", {}, "ann"))
    assert [s.handle for s in p.on_duty()] == ["ben"]


def test_pages_capped_per_round() -> None:
    book = AlertBook()
    book.apply(0, body("alert", {"text": "a"}, "cy"))
    deliveries = DeliveryStore(None)
    d = deliveries.get(0)
    d.broadcast_at = T
    duty = [f"s{i}" for i in range(20)] + ["cy"]
    policy = AlertPolicy(ack_timeout=10, max_pages_per_round=8)
    pages = pages_due([book.alerts[0]], deliveries, duty, T + 10, policy)
    assert len(pages) == 8 and "cy" not in [p.handle for p in pages]  # not the author
    book.apply(1, body("ack", {"alert": 0}, "s0"))
    book.apply(2, body("cancel", {"alert": 0}, "cy"))
    book.apply(3, body("ack", {"alert": 0}, "s1"))  # after the cancel: not counted
    assert list(book.alerts[0].acks) == ["s0"]
    assert pages_due(book.active(), deliveries, duty, T + 10, policy) == []


def test_rate_limits() -> None:
    lim = RateLimits(Limits(burst=2, refill=1.0, join_fail_node=2, join_fail_all=3))
    assert lim.take(1, True, 0) and lim.take(1, True, 0) and not lim.take(1, True, 0)
    assert lim.warn_once(1, True) and not lim.warn_once(1, True)
    assert lim.take(1, True, 1.0)  # refilled
    for node in (10, 10, 11):
        assert lim.join_allowed(node, 0)
        lim.join_failed(node, 0)
    assert not lim.join_allowed(12, 0)  # hub-wide limit reached
    assert lim.join_allowed(12, 3600)
    assert lim.may_explain(5, 0) and not lim.may_explain(5, 10) and lim.may_explain(5, 3600)
