"""`canopy roster`, `canopy alert`, `canopy alerts` without a running hub (writer lock path)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from steward_e2e import run_canopy

from hub.cli import parse_when
from hub.errors import InputError


@pytest.fixture
def hub(tmp_path: Path) -> Path:
    d = tmp_path / "hub"
    assert run_canopy("init", "--name", "Corner Shop", data=d).code == 0
    return d


def test_invite_prints_a_one_time_code(hub: Path) -> None:
    r = run_canopy("roster", "invite", "--handle", "Alice", data=hub)
    assert r.code == 0, r.err
    assert r.out.startswith("JOIN ") and len(r.out.split()[1]) == 8
    assert "alice becomes steward until" in r.err
    r = run_canopy(
        "roster",
        "invite",
        "--handle",
        "bob",
        "--role",
        "coordinator",
        "--until",
        "2030-01-01",
        "--json",
        data=hub,
    )
    got = json.loads(r.out)
    assert got["handle"] == "bob" and got["role"] == "coordinator"
    assert got["until"] == int(dt.datetime(2030, 1, 1, tzinfo=dt.UTC).timestamp())
    listed = json.loads(run_canopy("roster", "list", "--json", data=hub).out)
    assert listed["members"] == []  # nobody has sent JOIN yet
    assert sorted(i["handle"] for i in listed["invites"]) == ["alice", "bob"]
    assert "code" not in json.dumps(listed)  # codes are never shown again


@pytest.mark.parametrize(
    "args",
    [
        ("--handle", "x"),
        ("--handle", "no spaces"),
        ("--handle", "ünïcode"),
        ("--handle", "alice", "--until", "yesterday"),
        ("--handle", "alice", "--until", "2001-01-01"),
        ("--handle", "alice", "--role", "admin"),
    ],
)
def test_invite_refuses_bad_input(hub: Path, args: tuple[str, ...]) -> None:
    r = run_canopy("roster", "invite", *args, data=hub)
    assert r.code != 0 and r.err.strip()
    assert json.loads(run_canopy("roster", "list", "--json", data=hub).out)["invites"] == []


def test_revoke_unknown_handle(hub: Path) -> None:
    r = run_canopy("roster", "revoke", "nobody", data=hub)
    assert r.code != 0 and "nobody is not enrolled" in r.err


def test_alert_offline_then_cancel(hub: Path) -> None:
    r = run_canopy("alert", "Storm warning: stay indoors", data=hub)
    assert r.code == 0, r.err
    assert r.out.startswith("alert #0 recorded, logged; the radio sends it when the hub runs")
    alerts = json.loads(run_canopy("alerts", "--json", data=hub).out)
    assert [(a["alert"], a["text"], a["active"], a["acks"]) for a in alerts] == [
        (0, "Storm warning: stay indoors", True, [])
    ]
    assert run_canopy("alert", "x", "--as", "ghost", data=hub).code != 0  # not a coordinator
    assert run_canopy("alert", "x" * 151, data=hub).code != 0
    r = run_canopy("alert", "--cancel", "0", "passed", data=hub)
    assert r.out.strip() == "alert #0 cancelled (#1)"
    assert run_canopy("alert", "--cancel", "0", "again", data=hub).code != 0
    assert run_canopy("alerts", data=hub).out.strip() == "no active alerts"
    both = json.loads(run_canopy("alerts", "--all", "--json", data=hub).out)
    assert both[0]["cancelled_by"] == "hub" and both[0]["active"] is False
    kinds = [
        json.loads(line)["kind"]
        for line in run_canopy("log", "show", "--json", data=hub).out.splitlines()
    ]
    assert kinds == ["alert", "cancel"]


def test_parse_when() -> None:
    assert parse_when("1900000000") == 1_900_000_000
    assert parse_when("2030-01-01T12:00") == int(
        dt.datetime(2030, 1, 1, 12, tzinfo=dt.UTC).timestamp()
    )
    now = dt.datetime.now(dt.UTC).timestamp()
    assert abs(parse_when("90d") - (now + 90 * 86400)) < 5  # type: ignore[operator]
    with pytest.raises(InputError):
        parse_when("soon")


def test_run_refuses_a_bad_radio_url(hub: Path) -> None:
    r = run_canopy("run", "--radio", "bogus://x", data=hub)
    assert r.code == 1 and "unknown radio URL scheme" in r.err
