"""Hubs witness each other on a simulated mesh.

Real parts: `canopy run` daemons on virtual radios of one `canopy sim` mesh, the `canopy`
CLI for everything a person does. Three hubs in earshot cosign each other's checkpoints;
a hub forced to show a different history to one peer (a twin data directory with the same
key, on a radio only that peer hears: the test-only fault) is caught by the others.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from support import (
    DaemonFactory,
    Handheld,
    SimFactory,
    WaitFor,
    free_port,
    run_canopy,
    stop,
    wait_for,
)

FAST_SYNC = ("--sync-imin", "5", "--sync-imax", "60", "--witness-gap", "5")


def _json(*args: str, data: Path) -> Any:
    r = run_canopy(*args, "--json", data=data)
    assert r.code == 0, r.err
    return json.loads(r.out)


def _hub(tmp_path: Path, name: str) -> tuple[Path, dict[str, str]]:
    data = tmp_path / name.lower()
    assert run_canopy("init", "--name", name, data=data).code == 0
    return data, _json("id", data=data)


def _peer(a: Path, b: dict[str, str]) -> None:
    r = run_canopy("peer", "add", b["vkey"], "--name", b["name"], data=a)
    assert r.code == 0, r.err


def _portal_home(data: Path, log: Path) -> str:
    """The home page of the hub's real portal (gunicorn, no front server)."""
    port = free_port()
    canopy = str(Path(sys.executable).parent / "canopy")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                canopy,
                "portal",
                "--data",
                str(data),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--front",
                "none",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        def page() -> str:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    return str(r.read().decode())
            except OSError:
                return ""

        return wait_for(page, 20, what=f"the portal of {data.name}", interval=0.1)
    finally:
        stop(proc)


def _caught(data: Path) -> bool:
    """The corner hub (the last feed listed) is marked: a split view or a fork."""
    corner = _json("witness", "status", data=data)["feeds"][-1]
    return bool(corner["split_view"] or corner["forked"])


def _cosigned(data: Path) -> str:
    r = run_canopy("checkpoint", "--cosigned", data=data)
    return r.out if r.code == 0 else ""


def _cosigned_now(data: Path) -> str:
    """The hub's cosigned checkpoint if it is its current one, else ""."""
    note = _cosigned(data)
    return note if note and note.splitlines()[1] == str(_size(data)) else ""


def _coordinator(data: Path, radio: Handheld) -> None:
    """Enrol the radio as a coordinator of the hub (an invite, then JOIN by DM)."""
    inv = _json("roster", "invite", "--handle", "coord", "--role", "coordinator", data=data)
    assert radio.ask(f"JOIN {inv['code']}").startswith("Welcome, coord!")


def _size(data: Path) -> int:
    """The size of the hub's current checkpoint (its log)."""
    r = run_canopy("checkpoint", data=data)
    assert r.code == 0, r.err
    return int(r.out.splitlines()[1])


def test_three_hubs_cosign_each_other_and_the_export_verifies_with_witnesses(
    tmp_path: Path, sim: SimFactory, running_daemon: DaemonFactory, wait_for: WaitFor
) -> None:
    """Then: the kiosk restored from an old copy of its data (a rollback) and the laundry
    replaced by a hub with another key on its radio (a key change) are caught; the bakery's
    coordinator hears of each by radio, and the portals warn."""
    hubs = [_hub(tmp_path, n) for n in ("Bakery", "Laundry", "Kiosk")]
    for a, me in hubs:
        for _, b in hubs:
            if b is not me:
                _peer(a, b)
    ids = [i for _, i in hubs]
    assert all(i["witness_vkey"].split("+")[0].endswith("/witness") for i in ids)
    assert len({i["witness_vkey"] for i in ids}) == 3
    mesh = sim(nodes=4, topology="full")
    radio = [f"tcp://127.0.0.1:{p}" for p in mesh.ports]
    bakery, laundry, kiosk = (d for d, _ in hubs)
    kiosk_feed, laundry_feed = ids[2]["feed"], ids[1]["feed"]
    with ExitStack() as outer:
        outer.enter_context(running_daemon(bakery, "--radio", radio[0], *FAST_SYNC))
        coord = Handheld(mesh.ports[3], mesh.node_num(3), mesh.node_num(0))
        outer.callback(coord.close)
        _coordinator(bakery, coord)
        first_laundry = ExitStack()
        outer.enter_context(first_laundry)
        first_laundry.enter_context(running_daemon(laundry, "--radio", radio[1], *FAST_SYNC))
        with running_daemon(kiosk, "--radio", radio[2], *FAST_SYNC):
            assert run_canopy("note", "Lights out on Elm St", data=bakery).code == 0
            for data, me in hubs:
                others = [i["witness_vkey"].split("+")[0] for i in ids if i is not me]
                wait_for(  # on the current checkpoint: an older one may be cosigned first
                    lambda d=data, o=others: all(name in _cosigned_now(d) for name in o),
                    timeout=60,
                    what=f"both peers' cosignatures at {me['name']}",
                )
            _export_and_poster(tmp_path, bakery, ids)
            # the kiosk's backup, then an entry the backup lacks, signed and heard
            backup = tmp_path / "kiosk-backup"
            shutil.copytree(kiosk, backup, ignore=shutil.ignore_patterns("*.sock"))
            assert run_canopy("note", "Kiosk: the shutter is stuck", data=kiosk).code == 0
            signed = _size(kiosk)
            wait_for(
                lambda: (
                    _json("witness", "status", data=bakery)["heads"].get(kiosk_feed, 0) >= signed
                ),
                timeout=30,
                what="the kiosk's signed head at the bakery",
            )
        shutil.rmtree(kiosk)
        shutil.copytree(backup, kiosk)  # restored from the old copy; it writes nothing new
        assert _size(kiosk) == signed - 1
        since = coord.mark()
        with running_daemon(kiosk, "--radio", radio[2], *FAST_SYNC):
            wait_for(
                lambda: _json("witness", "status", data=bakery)["feeds"][-1]["what"] == "rollback",
                timeout=60,
                what="the kiosk's rollback caught at the bakery",
            )
            coord.wait(lambda t: t.startswith("ROLLBACK: hub Kiosk went back"), since, 30)
            assert list((bakery / "witness" / "evidence").glob("*rollback*.txt"))
            shown = run_canopy("log", "show", "--kind", "rollback", "--json", data=bakery).out
            assert json.loads(shown.splitlines()[0])["subject"] == kiosk_feed
            rolled = wait_for(
                lambda: _json("witness", "status", data=kiosk)["rolled_back"],
                timeout=30,
                what="the kiosk finding its own rollback",
            )
            assert rolled["held"] == signed - 1 and rolled["signed"] == signed
            assert "ROLLBACK: this hub's log holds" in run_canopy("checkpoint", data=kiosk).err
            assert _size(kiosk) == signed - 1  # it wrote nothing on top (no fork)
            assert (kiosk / "witness" / "rollback.json").exists()  # its portal warns of it
        # the laundry's radio now speaks for a hub with another key
        first_laundry.close()
        impostor, _ = _hub(tmp_path / "other", "Laundry")
        since = coord.mark()
        with running_daemon(impostor, "--radio", radio[1], *FAST_SYNC):
            wait_for(
                lambda: _json("witness", "status", data=bakery)["feeds"][1]["what"] == "key-change",
                timeout=60,
                what="the laundry's key change caught at the bakery",
            )
            coord.wait(lambda t: t.startswith("KEY CHANGE: hub Laundry"), since, 30)
            assert list((bakery / "witness" / "evidence").glob("*key-change*.txt"))
            status = _json("witness", "status", data=bakery)
            assert [f["feed"] for f in status["feeds"]][1] == laundry_feed
        home = _portal_home(bakery, tmp_path / "portal-bakery.log")
        assert "the hub Kiosk went back to an older copy of its log" in home
        assert "the hub Laundry is heard with another key" in home


def _export_and_poster(tmp_path: Path, bakery: Path, ids: list[dict[str, str]]) -> None:
    status = _json("witness", "status", data=bakery)
    assert status["counts"].get("accepted", 0) >= 2
    assert status["counts"].get("cosigned", 0) >= 2
    out = tmp_path / "bundle"
    assert run_canopy("log", "export", "--out", str(out), data=bakery).code == 0
    w = [i["witness_vkey"] for i in ids[1:]]
    v = run_canopy("log", "verify", str(out), "--witness", w[0], "--witness", w[1])
    assert v.code == 0 and "OK 2 witness(es)" in v.out, v.out + v.err
    # a witness the bundle does not carry fails a --min it cannot meet
    mine = ids[0]["witness_vkey"]  # the bakery does not witness itself
    v = run_canopy("log", "verify", str(out), "--witness", mine, "--min", "1")
    assert v.code != 0 and "1 required" in v.err, v.out + v.err
    printed = run_canopy("checkpoint", "--cosigned", data=bakery).out
    poster = tmp_path / "poster.html"
    r = run_canopy("poster", "--out", str(poster), data=bakery)
    assert r.code == 0 and "2 cosignature(s)" in r.out, r.out + r.err
    page = poster.read_text()
    assert "<svg" in page and "@page" in page and "A4" in page
    saved = tmp_path / "saved.note"
    saved.write_text(printed)
    v = run_canopy("log", "verify", str(out), "--checkpoint", str(saved))
    assert v.code == 0 and "OK the saved checkpoint" in v.out, v.out + v.err


def test_a_hub_showing_a_peer_another_history_is_caught_and_kept_as_evidence(
    tmp_path: Path, sim: SimFactory, running_daemon: DaemonFactory, wait_for: WaitFor
) -> None:
    a, aid = _hub(tmp_path, "Bakery")
    b, bid = _hub(tmp_path, "Laundry")
    x, xid = _hub(tmp_path, "Corner")
    twin = tmp_path / "corner-twin"  # the fault: the same key, another history
    shutil.copytree(x, twin)
    for one, other in ((a, bid), (b, aid), (a, xid), (b, xid), (x, aid), (twin, bid)):
        _peer(one, other)
    assert run_canopy("note", "the story told to the bakery", data=x).code == 0
    assert run_canopy("note", "the story told to the laundry", data=twin).code == 0
    # a chain without relaying: the twin is heard only by the laundry, the hub only by
    # the bakery; bakery and laundry hear each other; the bakery's coordinator (node 4)
    # hears the bakery only. Sync frames are sent with hop limit 0 too: relayed, the
    # twin's answers for the corner's feed would meet the corner's own at the bakery at
    # the same moment (both are the feed's own hub, first in line) and neither would arrive
    sync = (*FAST_SYNC, "--sync-hop-limit", "0")
    topology = tmp_path / "topology.json"
    links = [{"a": 0, "b": 1}, {"a": 1, "b": 2}, {"a": 2, "b": 3}, {"a": 2, "b": 4}]
    topology.write_text(json.dumps({"nodes": 5, "links": links}))
    mesh = sim(nodes=5, topology=topology, hop_limit=0)
    radio = [f"tcp://127.0.0.1:{p}" for p in mesh.ports]
    with ExitStack() as stack:
        stack.enter_context(running_daemon(a, "--radio", radio[2], *sync))
        coord = Handheld(mesh.ports[4], mesh.node_num(4), mesh.node_num(2))
        stack.callback(coord.close)
        _coordinator(a, coord)
        since = coord.mark()
        for data, r in ((twin, radio[0]), (b, radio[1]), (x, radio[3])):
            stack.enter_context(running_daemon(data, "--radio", r, *sync))
        for data in (a, b):
            wait_for(
                lambda d=data: _caught(d),  # ~40 s alone; minutes beside other suites
                timeout=180,
                what=f"the split view of the corner hub caught at {data.name}",
            )
        # the coordinator's radio hears it from the bakery, whoever caught it first
        told = ("SPLIT VIEW: hub Corner showed two", "FORK: hub Corner signed two")
        coord.wait(lambda t: t.startswith(told), since, 30)
        # the evidence is kept where it was caught, and logged for every peer and portal;
        # when the bakery meets both histories first (a fork) and stops syncing that feed,
        # the laundry learns it only from the bakery's entry, which it checks and folds
        kept = [
            [
                *(d / "witness" / "evidence").glob("*split-view*.txt"),
                *(d / "evidence").glob("*.entry"),
            ]
            for d in (a, b)
        ]
        assert any(kept), kept
    kinds: set[str] = set()  # the first to catch it logs it; the other folds that entry
    for data in (a, b):
        shown = run_canopy("log", "show", "--json", data=data)
        kinds |= {json.loads(line)["kind"] for line in shown.out.splitlines()}
    assert kinds & {"split-view", "fork"}, kinds
    for data in (a, b):
        home = _portal_home(data, data.parent / f"portal-{data.name}.log")
        assert "the hub Corner showed two different histories" in home
