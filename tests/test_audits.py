"""Corrections and public audits through the `canopy` CLI, checked against an independent
recomputation from `canopy log show --json`; publishing and recomputing from an export."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from audit_helpers import DAY, T0, neighbourhood
from support import run_canopy

from hub.daemon import HubCore
from hub.daemon.ops import run_op
from hub.errors import InputError
from hub.local import DataDir
from hub.log import LogView

FROM, TO = "2025-03-05", "2025-03-19"  # two weeks inside the three of history
START, END = T0 + 2 * DAY, T0 + 16 * DAY


@pytest.fixture(scope="module")
def hood(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return neighbourhood(tmp_path_factory.mktemp("hood"), hubs=3, days=21, per_day=60)


def log_json(data: Path) -> list[dict[str, Any]]:
    """Every entry of every feed the hub holds, as `canopy log show --json` prints it."""
    out: list[dict[str, Any]] = []
    for feed in LogView(DataDir(data)).feeds():
        r = run_canopy("log", "show", "--json", "--feed", feed, data=data)
        assert r.code == 0, r.err
        out += [json.loads(line) for line in r.out.splitlines()]
    return sorted(out, key=lambda e: (e["timestamp"], e["feed"], e["index"]))


def recompute(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures, by a second and plainer reading of the rules in docs/audits.md."""
    inside = [e for e in entries if START <= e["timestamp"] < END]
    shifts, hours, open_at = 0, 0, {}
    for e in entries:
        t, who = e["timestamp"], e["author"]
        if t >= END:
            break
        if e["kind"] == "checkin" and who not in open_at:
            open_at[who] = t
        elif e["kind"] in ("checkout", "revoke"):
            h = who if e["kind"] == "checkout" else e["handle"]
            s = open_at.pop(h, None)
            if s is not None and s >= START:
                shifts, hours = shifts + 1, hours + t - s
    for s in open_at.values():
        if s >= START:
            shifts, hours = shifts + 1, hours + END - s
    checkins: dict[str, int] = {}
    per_hour = [0] * 24
    for e in inside:
        if e["kind"] == "checkin":
            checkins[e["author"]] = checkins.get(e["author"], 0) + 1
        if e["kind"] == "incident":
            per_hour[int(e["time"][11:13])] += 1
    firsts = []
    for a in (e for e in inside if e["kind"] == "alert"):
        acks: dict[str, int] = {}
        for x in entries:
            if x["feed"] != a["feed"] or x["timestamp"] >= END or x["index"] <= a["index"]:
                continue
            if x["kind"] == "cancel" and x["alert"] == a["index"]:
                break
            if x["kind"] == "ack" and x["alert"] == a["index"]:
                acks.setdefault(x["author"], x["timestamp"] - a["timestamp"])
        firsts.append(min(acks.values()) if acks else None)
    corrections = [e for e in inside if e["kind"] == "correction"]
    return {
        "shifts": shifts,
        "hours": round(hours / 3600, 2),
        "checkins": checkins,
        "per_hour": per_hour,
        "first_acks": firsts,
        "corrections": len(corrections),
        "retractions": sum(1 for c in corrections if c["retract"]),
        "escalations": sum(
            1 for e in inside if e["kind"] == "overdue" and e["stage"] == "escalated"
        ),
        "entries": len(inside),
    }


def test_audit_figures_match_an_independent_recomputation(hood: Path) -> None:
    r = run_canopy("audit", "--from", FROM, "--to", TO, "--json", data=hood)
    assert r.code == 0, r.err
    report = json.loads(r.out)
    want = recompute(log_json(hood))
    assert report["period"] == {"start": START, "end": END}
    assert len(report["feeds"]) == 3  # the own feed and two replicas
    assert report["patrol"]["shifts"] == want["shifts"] > 0
    assert report["patrol"]["hours"] == want["hours"]
    assert report["patrol"]["checkins"] == want["checkins"]
    assert report["incidents"]["per_hour"] == want["per_hour"]
    assert sum(report["incidents"]["per_day"].values()) == sum(want["per_hour"]) > 0
    assert [a["first_ack"] for a in report["alerts"]["list"]] == want["first_acks"]
    assert report["corrections"]["total"] == want["corrections"] > 0
    assert report["corrections"]["retractions"] == want["retractions"] > 0
    assert all(c["text"] for c in report["corrections"]["list"])  # every reason is there
    assert report["overdue"]["escalations"] == want["escalations"] > 0
    assert sum(report["overdue"]["outcomes"].values()) == want["escalations"]
    assert report["entries"] == want["entries"]
    assert report["roles"]["ended"], "coordinator terms end inside the period"
    # handles only: no node numbers, keys or names of people anywhere in the report
    text = json.dumps(report)
    assert "pkey" not in text and "node" not in text


def test_readable_report_and_out_dir(hood: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    r = run_canopy("audit", "--from", FROM, "--to", TO, "--out", str(out), data=hood)
    assert r.code == 0, r.err
    assert "What we got wrong and changed:" in r.out and "Patrol:" in r.out
    assert json.loads((out / "report.json").read_text())["period"]["end"] == END
    for chart in ("shifts", "incidents", "acks", "corrections"):
        svg = (out / f"{chart}.svg").read_text()
        assert svg.startswith("<svg") and 'role="img"' in svg and "<desc" in svg
        assert "<script" not in svg and "http://" not in svg.replace(
            'xmlns="http://www.w3.org/2000/svg"', ""
        )


def test_empty_and_future_periods(hub_dir: Path) -> None:
    empty = run_canopy(
        "audit", "--from", "2020-01-01", "--to", "2020-02-01", "--json", data=hub_dir
    )
    assert empty.code == 0, empty.err
    report = json.loads(empty.out)
    assert report["entries"] == 0 and report["patrol"]["shifts"] == 0
    assert report["alerts"]["median_first_ack"] is None
    future = run_canopy("audit", "--from", "2999-01-01", "--to", "2999-02-01", data=hub_dir)
    assert future.code == 1 and "starts in the future" in future.err
    backwards = run_canopy("audit", "--from", "2024-02-01", "--to", "2024-01-01", data=hub_dir)
    assert backwards.code == 1 and "--to must be after --from" in backwards.err
    bad = run_canopy("audit", "--from", "last tuesday", data=hub_dir)
    assert bad.code == 1 and "YYYY-MM-DD" in bad.err
    cut = run_canopy("audit", "--from", "2024-01-01", "--to", "2999-01-01", "--json", data=hub_dir)
    assert json.loads(cut.out)["period"]["end"] <= time.time() + 1  # cut at now


def test_corrections_on_the_record(hub_dir: Path) -> None:
    assert run_canopy("note", "Lights out on Elm St", data=hub_dir).code == 0
    r = run_canopy("correct", "0", "It was Oak St", data=hub_dir)
    assert r.code == 0 and "correction of #0 recorded at index 1" in r.out
    no_reason = run_canopy("correct", "0", "  ", "--retract", data=hub_dir)
    assert no_reason.code == 1 and "a retraction needs a reason" in no_reason.err
    unknown = run_canopy("correct", "7", "x", data=hub_dir)
    assert unknown.code == 1 and "there is no entry #7" in unknown.err
    foreign = run_canopy("correct", "0", "x", "--feed", "cd" * 32, data=hub_dir)
    assert foreign.code == 1 and "another hub's feed" in foreign.err
    r = run_canopy("correct", "0", "posted by mistake", "--retract", data=hub_dir)
    assert r.code == 0 and "retraction of #0" in r.out
    shown = [
        json.loads(x)
        for x in run_canopy("log", "show", "--json", data=hub_dir).out.split("\n")
        if x
    ]
    assert [e["kind"] for e in shown] == ["note", "correction", "correction"]
    assert [e["retract"] for e in shown[1:]] == [False, True]
    assert shown[2]["target"] == 0 and shown[2]["text"] == "posted by mistake"
    again = run_canopy("correct", "0", "twice", "--retract", data=hub_dir)
    assert again.code == 1 and "already retracted" in again.err
    # the retracted entry stays in the log and its proof still verifies
    out = hub_dir.parent / "bundle"
    assert run_canopy("log", "export", "--out", str(out), data=hub_dir).code == 0
    assert run_canopy("log", "verify", str(out)).code == 0


def test_publish_then_verify_from_the_export(hood: Path, tmp_path: Path) -> None:
    r = run_canopy(
        "audit", "--from", FROM, "--to", TO, "--publish", "--audit-cycle", "14", data=hood
    )
    assert r.code == 0, r.err
    assert "audit published at index" in r.out
    e = LogView(DataDir(hood)).entry(int(r.out.rsplit(" ", 1)[1]))
    f = e.body.named_fields()
    assert (f["start"], f["end"], f["cycle"]) == (START, END, 14)
    assert len(str(f["covers"]).splitlines()) == 3
    bundle = tmp_path / "bundle"
    assert run_canopy("log", "export", "--out", str(bundle), data=hood).code == 0
    for p in (hood / "feeds").glob("*.log"):  # the replicas travel with their own exports
        if p.stem != e.feed:
            _export_replica(hood.parent / _hub_of(hood.parent, p.stem), bundle)
    ok = run_canopy("audit", "--verify", str(bundle))
    assert ok.code == 0, ok.err
    assert "the figures match the signed digest" in ok.out

    # an audit entry whose digest is not what the log says is caught
    core = HubCore(DataDir(hood))
    core.open()
    try:
        with pytest.raises(InputError, match="digest must be"):
            run_op(
                core,
                "audit_publish",
                {"start": START, "end": END, "covers": f["covers"], "digest": "00"},
            )
        run_op(
            core,
            "audit_publish",
            {"start": START, "end": END, "covers": f["covers"], "digest": "ab" * 32},
        )
    finally:
        core.close()
    bundle2 = tmp_path / "bundle2"
    assert run_canopy("log", "export", "--out", str(bundle2), data=hood).code == 0
    for name in bundle.iterdir():
        if not (bundle2 / name.name).exists():
            (bundle2 / name.name).write_bytes(name.read_bytes())
    bad = run_canopy("audit", "--verify", str(bundle2))
    assert bad.code == 2 and "does not match the signed digest" in bad.err


def _hub_of(root: Path, feed: str) -> str:
    for d in sorted(root.iterdir()):
        if (d / "feeds" / f"{feed}.log").exists() and d.name != "hub0":
            return d.name
    raise AssertionError(feed)


def _export_replica(data: Path, bundle: Path) -> None:
    r = run_canopy("log", "export", "--out", str(bundle), data=data)
    assert r.code == 0, r.err


def test_vectors_of_the_new_kinds_decode() -> None:
    from support import ROOT

    from hub.log import decode_body, encode_body, make_body

    doc = json.loads((ROOT / "tests" / "vectors" / "entries.json").read_text())
    kinds = []
    for v in doc["more_bodies"]:
        body = decode_body(bytes.fromhex(v["body_hex"]))
        want = [bytes.fromhex(f["bytes"]) if isinstance(f, dict) else f for f in v["fields"]]
        assert (body.kind, body.time, body.author) == (v["kind"], v["time"], v["author"])
        assert list(body.fields) == want
        again = make_body(
            v["kind_name"],
            want,
            time=v["time"],
            time_source=body.time_source,
            author=v["author"],
        )
        assert encode_body(again).hex() == v["body_hex"]
        kinds.append(body.kind_name)
    assert kinds == [
        "correction",
        "audit",
        *("proposal", "vote", "outcome"),
        *("report", "report", "sealed-note"),
        *("pin-share", "rollback", "vote"),
    ]
    cast_elsewhere = doc["more_bodies"][-1]  # a vote naming the hub that opened it
    assert decode_body(bytes.fromhex(cast_elsewhere["body_hex"])).named_fields()["at"] == (
        b"\xbb" * 32
    )
    assert decode_body(bytes.fromhex(doc["more_bodies"][0]["body_hex"])).to_json()["retract"]
