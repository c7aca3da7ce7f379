"""Audits over a replica with a gap, and the audit cycle as a setting of the settings table.

A federated feed that is only partly synced (its hub's signed checkpoint proves more
entries than this hub holds) must be named as incomplete, its figures flagged partial,
and the audit must not be published as if it were complete.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_helpers import DAY, T0, neighbourhood
from support import run_canopy

from crypto.note import Checkpoint, parse_note
from hub.local import DataDir, load_identity
from hub.log import HEADER, Checkpoints, HubLog, LogView, binary_signature

FROM, TO = "2025-03-03", "2025-03-09"  # all six days of history
HELD = 90  # entries of the second hub's feed the first hub holds


@pytest.fixture(scope="module")
def gapped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, int]:
    """hub0 holding the first HELD entries of hub1's feed, and hub1's signed checkpoint of
    all of it: (hub0's data, hub1's feed, hub1's size)."""
    root = tmp_path_factory.mktemp("gapped")
    data = neighbourhood(root, hubs=2, days=6, per_day=40)
    other = DataDir(root / "hub1")
    ident = load_identity(other)
    feed = ident.feed.hex()
    log = HubLog(other)
    log.open()
    note = log.checkpoint()
    log.close()
    cp = Checkpoint.parse(parse_note(note).text)
    assert cp.size > HELD
    kept = Checkpoints(DataDir(data))
    assert kept.take(feed, ident.origin, cp.size, cp.root, binary_signature(note))
    # cut the replica to its first HELD records: what a partly synced hub holds
    replica = DataDir(data).feed_path(feed)
    blob, pos = replica.read_bytes(), 0
    for _ in range(HELD):
        pos += HEADER.size + HEADER.unpack_from(blob, pos)[0]
    replica.write_bytes(blob[:pos])
    return data, feed, cp.size


def test_a_partly_synced_feed_is_named_and_its_figures_flagged(
    gapped: tuple[Path, str, int], tmp_path: Path
) -> None:
    data, feed, size = gapped
    r = run_canopy("audit", "--from", FROM, "--to", TO, "--json", data=data)
    assert r.code == 0, r.err
    report = json.loads(r.out)
    last = LogView(DataDir(data)).entry(HELD - 1, feed).body.time
    assert report["incomplete"] == [{"feed": feed, "held": HELD, "known": size, "until": last}]
    assert report["sync"] == [
        {"feed": feed, "held": HELD, "checkpointed": size, "lag": size - HELD, "last_entry": last}
    ]
    assert {f["feed"]: f["size"] for f in report["feeds"]}[feed] == HELD
    own = [f for f in report["feeds"] if f["feed"] != feed]
    assert len(own) == 1 and own[0]["size"] > HELD  # the own feed is whole

    text = run_canopy("audit", "--from", FROM, "--to", TO, data=data)
    assert text.code == 0, text.err
    first = text.out.splitlines()[2]
    assert first.startswith("INCOMPLETE: ") and f"holds {HELD} of at least {size}" in first
    assert "PARTIAL FIGURES" in text.out and "(INCOMPLETE)" in text.out
    assert f"{size - HELD} entries behind ({HELD} held, checkpoint {size})" in text.out

    out = tmp_path / "report"
    r = run_canopy("audit", "--from", FROM, "--to", TO, "--out", str(out), data=data)
    assert r.code == 0, r.err
    assert json.loads((out / "INCOMPLETE.json").read_text())["incomplete"][0]["feed"] == feed
    assert "PARTIAL FIGURES" in (out / "report.txt").read_text()


def test_partial_figures_are_not_published(gapped: tuple[Path, str, int]) -> None:
    data, _feed, _size = gapped
    before = len(LogView(DataDir(data)).reader())
    r = run_canopy("audit", "--from", FROM, "--to", TO, "--publish", data=data)
    assert r.code == 1 and "not published" in r.err and "partly synced" in r.err
    assert len(LogView(DataDir(data)).reader()) == before  # nothing was signed


def test_a_period_the_held_part_covers_is_complete(gapped: tuple[Path, str, int]) -> None:
    data, feed, _size = gapped
    last = LogView(DataDir(data)).entry(HELD - 1, feed).body.time
    assert last > T0 + DAY  # the held part runs past the first day
    r = run_canopy("audit", "--from", FROM, "--to", "2025-03-04", "--json", data=data)
    assert r.code == 0, r.err
    assert json.loads(r.out)["incomplete"] == []


def test_a_whole_replica_is_complete(tmp_path: Path) -> None:
    data = neighbourhood(tmp_path, hubs=2, days=2, per_day=20)
    r = run_canopy("audit", "--from", FROM, "--to", TO, "--json", data=data)
    assert r.code == 0, r.err
    report = json.loads(r.out)
    assert report["incomplete"] == [] and len(report["feeds"]) == 2
    assert [s["lag"] for s in report["sync"]] == [0]  # no checkpoint kept: nothing proven
    assert "INCOMPLETE" not in run_canopy("audit", "--from", FROM, "--to", TO, data=data).out


# ---------------------------------------------------------------- the audit cycle setting


def _published_cycle(data: Path, *args: str) -> int:
    r = run_canopy("audit", "--from", FROM, "--to", "2025-03-05", "--publish", *args, data=data)
    assert r.code == 0, r.err
    index = int(r.out.rsplit(" ", 1)[1])
    cycle = LogView(DataDir(data)).entry(index).body.named_fields()["cycle"]
    assert isinstance(cycle, int)
    return cycle


def test_the_cycle_comes_from_the_settings_table(tmp_path: Path) -> None:
    data = neighbourhood(tmp_path, hubs=1, days=2, per_day=10)
    assert _published_cycle(data) == 28  # the table's default
    assert _published_cycle(data, "--audit-cycle", "14") == 14
    config = tmp_path / "canopy.toml"
    config.write_text("[portal]\naudit_cycle = 56\n")
    assert _published_cycle(data, "--config", str(config)) == 56
    for bad in ("3", "367", "often"):
        r = run_canopy("audit", "--audit-cycle", bad, data=data)
        assert r.code == 2 and "--audit-cycle" in r.err, (bad, r.err)
    config.write_text("[portal]\naudit_cycle = 1000\n")
    r = run_canopy("audit", "--config", str(config), data=data)
    assert r.code == 1 and "portal.audit_cycle" in r.err and "out of range" in r.err


def test_an_old_settings_json_cycle_is_named_not_silently_dropped(tmp_path: Path) -> None:
    data = neighbourhood(tmp_path, hubs=1, days=2, per_day=10)
    (data / "settings.json").write_text(json.dumps({"audit_cycle_days": 14}))
    r = run_canopy("audit", "--from", FROM, "--to", "2025-03-05", "--json", data=data)
    assert r.code == 0, r.err
    assert "settings.json sets audit_cycle_days = 14, which is no longer read" in r.err
    assert "'audit_cycle = 14' under [portal]" in r.err
    (data / "settings.json").write_text("{not json")  # a broken old file is no reason to stop
    r = run_canopy("audit", "--from", FROM, "--to", "2025-03-05", data=data)
    assert r.code == 0 and "settings.json" not in r.err
