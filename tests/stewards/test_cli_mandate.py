"""`canopy mandate propose|list` and `canopy charter propose` without a running hub (the
writer-lock path): what they print, and bad arguments refused with a reason, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from steward_e2e import run_canopy
from support import DaemonFactory, WaitFor

from hub.daemon import HubCore
from hub.local import DataDir


@pytest.fixture
def hub(tmp_path: Path) -> Path:
    d = tmp_path / "hub"
    assert run_canopy("init", "--name", "Corner Shop", data=d).code == 0
    return d


def kinds(data: Path) -> list[str]:
    r = run_canopy("log", "show", "--json", data=data)
    assert r.code == 0, r.err
    return [json.loads(line)["kind"] for line in r.out.splitlines() if line.strip()]


def enrol(data: Path, handle: str) -> None:
    """The entry a redeemed JOIN code writes (without a radio: no pinned key)."""
    core = HubCore(DataDir(data))
    core.open()
    try:
        core.log.append("enrol", {"handle": handle, "role": "steward", "until": 2**33})
    finally:
        core.close()


def test_propose_list_and_bad_arguments(hub: Path, tmp_path: Path) -> None:
    r = run_canopy("mandate", "propose", "--handle", "ana", "--term", "90d", data=hub)
    assert r.code != 0 and "nobody is enrolled to vote" in r.err
    enrol(hub, "ana")
    enrol(hub, "bo")
    before = kinds(hub)
    for args, why in (
        (["--handle", "zed", "--term", "90d"], "zed is not an enrolled member"),
        (["--handle", "ana", "--term", "9999d"], "a term is 7 days to 2 years"),
        (["--handle", "ana", "--term", "ninety"], "term: want days like 90d"),
        (["--handle", "ana", "--term", "90d", "--role", "Boss!"], "a role is 2-24"),
        (["--handle", "ana", "--term", "90d", "--closes", "soon"], "closes: want"),
        (["--handle", "ana", "--term", "90d", "--text", "a\u202eb"], "text"),
        (["--handle", "ana", "--term", "90d", "--assembly-quorum", "0"], "quorum"),
        (["--handle", "ana", "--term", "90d", "--assembly-quorum", "x"], "quorum"),
    ):
        r = run_canopy("mandate", "propose", *args, data=hub)
        assert r.code != 0 and why in r.err, (args, r.err)
        assert "Traceback" not in r.err
    assert kinds(hub) == before
    r = run_canopy(
        "mandate",
        "propose",
        "--handle",
        "ana",
        "--term",
        "90d",
        "--text",
        "rotate",
        "--json",
        data=hub,
    )
    assert r.code == 0, r.err
    got = json.loads(r.out)
    assert got["vote"] == len(before) and got["voters"] == ["ana", "bo"]
    assert (got["handle"], got["role"], got["term"], got["open"]) == (
        "ana",
        "coordinator",
        90 * 86400,
        True,
    )
    listed = run_canopy("mandate", "list", data=hub)
    assert listed.code == 0 and f"#{got['vote']} ana as coordinator for 90d: open until" in (
        listed.out
    )
    as_json = json.loads(run_canopy("mandate", "list", "--json", data=hub).out)
    assert [v["vote"] for v in as_json["votes"]] == [got["vote"]] and as_json["terms"] == []

    charter = tmp_path / "charter.md"
    charter.write_text("# Charter\n\n1. Rotate.\n")
    r = run_canopy("charter", "propose", str(charter), "--json", data=hub)
    assert r.code == 0, r.err
    assert json.loads(r.out)["what"] == "charter"
    empty = tmp_path / "empty.md"
    empty.write_text("  \n")
    r = run_canopy("charter", "propose", str(empty), data=hub)
    assert r.code != 0 and "is empty" in r.err


def test_a_carried_mandate_for_another_role_in_the_roster(hub: Path) -> None:
    enrol(hub, "ana")
    enrol(hub, "bo")
    r = run_canopy(
        "mandate",
        "propose",
        "--handle",
        "bo",
        "--role",
        "facilitator",
        "--term",
        "12w",
        "--json",
        data=hub,
    )
    n = json.loads(r.out)["vote"]
    core = HubCore(DataDir(hub))
    core.open()
    try:  # the votes as the desk signs them (a radio is not needed for this check)
        for who in ("ana", "bo"):
            core.log.append("vote", {"proposal": n, "yes": 1}, author=who)
    finally:
        core.close()
    listed = json.loads(run_canopy("mandate", "list", "--json", data=hub).out)  # settles it
    assert listed["votes"][0]["carried"] is True
    assert kinds(hub)[-1] == "outcome"
    [term] = listed["terms"]
    assert (term["handle"], term["role"], term["until"] - term["since"]) == (
        "bo",
        "facilitator",
        84 * 86400,
    )
    out = run_canopy("roster", "list", data=hub).out
    [line] = [ln for ln in out.splitlines() if ln.startswith("bo ")]
    assert ", facilitator until " in line
    roles = json.loads(run_canopy("roster", "list", "--json", data=hub).out)["members"]
    [bo] = [m for m in roles if m["handle"] == "bo"]
    assert {"role": "facilitator", "until": term["until"]} in bo["roles"]


def test_a_hub_with_no_radio_settles_a_vote_when_it_closes(
    hub: Path, tmp_path: Path, running_daemon: DaemonFactory, wait_for: WaitFor
) -> None:
    """Nobody runs a command and no radio is attached: the daemon itself writes the outcome
    once the vote has closed (on the hub's clock)."""
    enrol(hub, "ana")
    enrol(hub, "bo")
    r = run_canopy("mandate", "propose", "--handle", "ana", "--term", "90d", "--json", data=hub)
    n = json.loads(r.out)["vote"]
    core = HubCore(DataDir(hub))
    core.open()
    try:  # one YES of two: bo could still make it a tie, so it stays open until the close
        core.log.append("vote", {"proposal": n, "yes": 1}, author="ana")
    finally:
        core.close()
    assert kinds(hub)[-1] == "vote"  # still open
    clock = tmp_path / "clock-offset"
    clock.write_text(str(8 * 86400))  # the hub's clock is past the close (7 days by default)
    with running_daemon(hub, "--clock-offset-file", str(clock)):
        wait_for(lambda: kinds(hub)[-1] == "outcome", timeout=30, what="the vote settled")
    listed = json.loads(run_canopy("mandate", "list", "--json", data=hub).out)
    assert listed["votes"][0]["carried"] is True
    assert [t["handle"] for t in listed["terms"]] == ["ana"]
