"""Retention by crypto-shredding: keys destroyed, the log and every proof still verify."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
from privacy_helpers import ReviewedHub, files_containing

from crypto.merkle import leaf_hash, verify_consistency, verify_inclusion
from hub.audit import audit_datadir
from hub.daemon.ops import run_op
from hub.local import DataDir
from hub.log import LogView, export_feed, verify_bundle
from hub.privacy import KeyStore, read_private, review_sealed, run_retention

T0 = 1_800_000_000
DAY = 86400


class Clock:
    def __init__(self) -> None:
        self.t = float(T0)

    def __call__(self) -> float:
        return self.t


def _patrol(hub: ReviewedHub, clock: Clock, days: int) -> list[int]:
    """One sealed report a day, plus public entries around it; the reports' indexes."""
    core = hub.core(clock)
    reports = []
    try:
        for d in range(days):
            clock.t = T0 + d * DAY
            core.log.append("checkin", {"minutes": 60, "text": "north loop"}, author="ana")
            fields = {"category": "damage", "place": "Elm St", "details": f"detail of day {d}"}
            reports.append(core.log.append("report", fields, author="ana").index)
            core.log.append("checkout", {}, author="ana")
    finally:
        core.close()
    return reports


def _verify_everything(hub: ReviewedHub, tmp: Path) -> int:
    """Export and verify the bundle, then every inclusion and consistency proof."""
    dd = DataDir(hub.data)
    core = hub.core()
    try:
        note = core.log.checkpoint()
        view = LogView(dd)
        export_feed(view, core.log.identity.verifier, note, tmp / "bundle")  # type: ignore[union-attr]
    finally:
        core.close()
    assert [line.startswith("OK ") for line in verify_bundle(tmp / "bundle")] == [True]
    view = LogView(dd)
    leaves = view.reader().leaves
    size = len(leaves)
    root = view.root()
    for i in range(size):
        verify_inclusion(leaf_hash(view.reader().read(i)), i, size, view.inclusion(i, size), root)
    for first in range(1, size):
        verify_consistency(first, size, view.root(None, first), root, view.consistency(first, size))
    return size


def test_retention_destroys_old_keys_and_every_proof_still_verifies(
    reviewed: ReviewedHub, tmp_path: Path
) -> None:
    clock = Clock()
    reports = _patrol(reviewed, clock, days=6)
    feed_file = next((reviewed.data / "feeds").glob("*.log"))
    size_before = len(feed_file.read_bytes())
    before = hashlib.sha256(feed_file.read_bytes()).hexdigest()
    private = read_private(reviewed.key)
    assert [r.details for r in review_sealed(reviewed.data, private)] == [
        f"detail of day {d}" for d in range(6)
    ]

    # 90 days (the default) after day 3 began: the keys of days 0-2 go, 3-5 stay
    core = reviewed.core(clock)
    try:
        clock.t = T0 + 3 * DAY + 90 * DAY
        result = run_op(core, "retention", {})
        assert (result["erased"], result["kept"]) == (3, 3)
        again = run_op(core, "retention", {})  # a second pass finds nothing more
        assert again["erased"] == 0
    finally:
        core.close()

    shown = list(review_sealed(reviewed.data, private))
    assert [r.details for r in shown] == [None] * 3 + [f"detail of day {d}" for d in (3, 4, 5)]
    assert all("erased" in (r.problem or "") for r in shown[:3])
    assert [r.entry.index for r in shown] == reports

    # the old entries' bytes are untouched; one retention entry was appended
    grown = feed_file.read_bytes()
    assert hashlib.sha256(grown[:size_before]).hexdigest() == before
    view = LogView(DataDir(reviewed.data))
    last = view.entry(len(view.reader()) - 1)
    assert last.body.kind_name == "retention"
    assert last.body.named_fields() == {"before": T0 + 3 * DAY, "erased": 3}
    size = _verify_everything(reviewed, tmp_path)
    assert size == 6 * 3 + 1

    # the audit reports what was sealed and erased
    inc = audit_datadir(view, T0, T0 + 200 * DAY)["incidents"]
    assert (inc["total"], inc["sealed"], inc["erased"]) == (6, 6, 3)


def test_a_retention_pass_cut_short_by_power_loss_finishes_on_the_next(
    reviewed: ReviewedHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    _patrol(reviewed, clock, days=6)
    keys = KeyStore(reviewed.data)
    # a write cut short leaves a temp file behind
    (keys.dir / ".00000000001-x.key.tmp").write_bytes(b"partial")
    real_unlink = Path.unlink
    calls = {"n": 0}

    def unlink_then_power_loss(self: Path, missing_ok: bool = False) -> None:
        calls["n"] += 1
        if calls["n"] > 2:  # the power goes after two keys (a fault no real part gives)
            raise SystemExit("power loss")
        real_unlink(self, missing_ok)

    cutoff = T0 + 4 * DAY + 90 * DAY
    monkeypatch.setattr(Path, "unlink", unlink_then_power_loss)
    with pytest.raises(SystemExit):
        run_retention(DataDir(reviewed.data), cutoff)
    monkeypatch.setattr(Path, "unlink", real_unlink)
    assert len(keys) == 4  # two of the four old keys went before the power did

    result = run_retention(DataDir(reviewed.data), cutoff)
    assert (result.erased, result.kept) == (2, 2)
    assert not [p for p in os.listdir(keys.dir) if p.startswith(".")]
    shown = [r.details for r in review_sealed(reviewed.data, read_private(reviewed.key))]
    assert shown == [None] * 4 + ["detail of day 4", "detail of day 5"]
    _verify_everything(reviewed, tmp_path)
    assert files_containing(reviewed.data, [b"detail of day"]) == {}


def test_review_reads_an_export_only_with_the_hubs_keys_copied_in(
    reviewed: ReviewedHub, tmp_path: Path
) -> None:
    import shutil

    _patrol(reviewed, Clock(), days=2)
    _verify_everything(reviewed, tmp_path)  # writes tmp_path / "bundle"
    bundle = tmp_path / "bundle"
    assert not (bundle / "sealed-keys").exists()  # exports never carry keys
    private = read_private(reviewed.key)
    assert [r.details for r in review_sealed(bundle, private)] == [None, None]
    shutil.copytree(reviewed.data / "sealed-keys", bundle / "sealed-keys")
    assert [r.details for r in review_sealed(bundle, private)] == [
        "detail of day 0",
        "detail of day 1",
    ]


def test_a_key_record_torn_by_power_loss_is_cut_off_and_loses_no_other(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    a, b = os.urandom(16), os.urandom(16)
    keys.put(a, T0, b"A" * 80)
    [day] = keys.dir.glob("*.keys")
    with open(day, "ab") as f:
        f.write(os.urandom(16) + b"half a key")  # the power went mid-write
    assert keys.index() == {a.hex(): b"A" * 80}
    keys.put(b, T0 + 1, b"B" * 80)
    assert keys.index() == {a.hex(): b"A" * 80, b.hex(): b"B" * 80}
    assert day.stat().st_size == 2 * 96
    assert stat_mode(day) == 0o600 and stat_mode(keys.dir) == 0o700


def stat_mode(p: Path) -> int:
    return p.stat().st_mode & 0o777


def test_the_daemons_daily_pass_destroys_expired_keys_and_comes_back_a_day_later(
    reviewed: ReviewedHub,
) -> None:
    from hub.daemon import Daemon

    clock = Clock()
    _patrol(reviewed, clock, days=3)
    clock.t = T0 + 2 * DAY + 90 * DAY  # days 0 and 1 are past retention
    daemon = Daemon(DataDir(reviewed.data), clock)
    daemon.core.open()
    try:
        daemon._retention_pass()  # what the loop runs a minute after start, then daily
        timers = [due for due, _, _ in daemon._timers]
        assert len(timers) == 1 and timers[0] - time.monotonic() > 86_000  # again in a day
        own = daemon.core.log.own
        assert own is not None
        last = LogView(DataDir(reviewed.data)).entry(len(own) - 1)
        assert last.body.named_fields() == {"before": T0 + 2 * DAY, "erased": 2}
    finally:
        daemon.core.close()
    assert len(KeyStore(reviewed.data)) == 1
