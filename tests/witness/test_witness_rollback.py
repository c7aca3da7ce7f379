"""A hub restored from an old copy of its log finds out itself when it starts: it holds a
head it signed (or a cosignature of its own log) larger than its log. The real daemon
and witness service run in-process (no radio: nothing else is needed); the person's
path is the `canopy` CLI."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from support import daemon_thread, run_canopy, wait_for
from witness_helpers import checkpoint_at

from crypto.note import Checkpoint, parse_note
from hub.daemon import Daemon, HubCore
from hub.local import DataDir, create_identity, load_signing_key
from hub.log import LogView
from hub.witness import WitnessFiles, WitnessService
from hub.witness.heads import sign_head


def _status(data: Path) -> dict[str, object]:
    r = run_canopy("witness", "status", "--json", data=data)
    assert r.code == 0, r.err
    return dict(json.loads(r.out))


def _kinds(data: Path) -> list[str]:
    out = run_canopy("log", "show", "--json", data=data).out
    return [json.loads(line)["kind"] for line in out.splitlines()]


def _notes(data: Path, *texts: str) -> None:
    """Entries written by the hub (how they got there is not what is tested here)."""
    core = HubCore(DataDir(data))
    core.open()
    try:
        for t in texts:
            core.log.append("note", {"text": t})
    finally:
        core.close()


def _entries(data: Path) -> bytes:
    """The own feed as an export's ``<feed>.entries`` (the entries one after another)."""
    view = LogView(DataDir(data))
    reader = view.reader()
    return b"".join(reader.read_range(0, len(reader)))


def _daemon(data: Path) -> Daemon:
    d = Daemon(DataDir(data))
    d.services.append(WitnessService(scan=0.2))
    return d


def test_a_hub_restored_from_an_old_copy_finds_it_at_start_and_writes_nothing_on_top(
    tmp_path: Path,
) -> None:
    data, other = tmp_path / "bakery", tmp_path / "laundry"
    dd = DataDir(data)
    ident = create_identity(dd, "Bakery")
    vkey = create_identity(DataDir(other), "Laundry").verifier.to_string()
    assert run_canopy("peer", "add", vkey, data=data).code == 0
    first = _kinds(data)  # what federating wrote: the peer entry (and its companions)
    k = len(first)
    feed = ident.feed.hex()
    twin = tmp_path / "twin"  # the same key, another entry k: not this log's history
    shutil.copytree(data, twin)
    _notes(twin, "another history")
    _notes(data, "before the backup")
    path = dd.feed_path(feed)
    backup = path.read_bytes()  # k + 1 entries: what federating wrote and the note
    _notes(data, "after the backup", "and another")
    # a copy of the newer log elsewhere (what a peer's `log export --feed` holds)
    bundles = {name: tmp_path / name for name in ("newer", "forked", "garbage")}
    r = run_canopy("log", "export", "--out", str(bundles["newer"]), data=data)
    assert r.code == 0, r.err
    bundles["forked"].mkdir()
    (bundles["forked"] / f"{feed}.entries").write_bytes(_entries(twin))
    bundles["garbage"].mkdir()
    (bundles["garbage"] / f"{feed}.entries").write_bytes(b"\xff not entries")
    # the head the hub signed at k + 3 entries (its daemon sends one on the mesh)
    n = k + 3
    cp = Checkpoint.parse(parse_note(checkpoint_at(data, n)).text)
    head = sign_head(load_signing_key(dd, ident), ident.origin, n, cp.root, int(time.time()))
    WitnessFiles(dd).set_head(feed, head.to_json())
    path.write_bytes(backup)  # restored from the old copy

    with daemon_thread(_daemon(data)):
        rolled = _status(data)["rolled_back"]
        assert isinstance(rolled, dict)
        assert rolled["held"] == k + 1 and rolled["signed"] == n and "signed" in rolled["source"]
        r = run_canopy("checkpoint", data=data)
        assert r.code == 0 and r.out.splitlines()[1] == str(k + 1)
        assert f"ROLLBACK: this hub's log holds {k + 1} entries, but it had signed {n}" in r.err
        assert "ROLLBACK" in run_canopy("witness", "status", data=data).out
        assert _kinds(data) == [*first, "note"]  # it named no key on the old log (a fork)
    kept = list((data / "witness" / "evidence").glob("*-rollback-*.txt"))
    assert len(kept) == 1 and head.note() in kept[0].read_text()

    with daemon_thread(_daemon(data)):  # still rolled back; put back from the copy
        assert _status(data)["rolled_back"] is not None
        for name, why in (
            ("forked", f"entry {k} differs from this hub's: another history"),
            ("garbage", "is not an export's entries"),
            ("", "no entries of this hub's own feed"),
        ):
            r = run_canopy("witness", "recover", str(bundles.get(name, other)), data=data)
            assert r.code == 1 and why in r.err, (name, r.out, r.err)
        assert _kinds(data) == [*first, "note"]  # nothing of them was stored
        r = run_canopy("witness", "recover", str(bundles["newer"]), data=data)
        assert r.code == 0 and "recovered 2 entries" in r.out, r.out + r.err
        assert f"holds {n} (was {k + 1})" in r.out
        wait_for(lambda: _status(data)["rolled_back"] is None, 10, what="the finding cleared")
        assert "ROLLBACK" not in run_canopy("checkpoint", data=data).err
        wait_for(lambda: "witness" in _kinds(data), 10, what="the witness key named")
        assert _kinds(data)[:n] == [*first, "note", "note", "note"]
    assert not (data / "witness" / "rollback.json").exists()


def test_a_cosignature_of_the_own_log_larger_than_it_is_a_rollback_too(tmp_path: Path) -> None:
    """A witness's cosignature the hub accepted (so its log held that size then)."""
    data = tmp_path / "bakery"
    feed = create_identity(DataDir(data), "Bakery").feed.hex()
    _notes(data, "one")
    sigs = data / "witness" / "sigs"
    sigs.mkdir(parents=True)
    rec = {"name": "canopy/laundry/x/witness", "size": 7, "root": "11" * 32, "line": "— x y\n"}
    (sigs / f"{feed}.json").write_text(json.dumps({"cc" * 32: rec, "dd" * 32: "junk"}))
    with daemon_thread(_daemon(data)):
        rolled = _status(data)["rolled_back"]
        assert isinstance(rolled, dict) and rolled["held"] == 1 and rolled["signed"] == 7
        assert "cosignature by canopy/laundry/x/witness" in str(rolled["source"])
