"""One writer per data directory: through the daemon when it runs, under the lock when not,
and a writer killed at random points never loses an acknowledged entry."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from support import ROOT, run_canopy

from hub.daemon import call
from hub.errors import Busy, DaemonError, HubError, InputError, StoreFull, error_from, fault_of
from hub.local import DataDir, InviteRefused, WriterLock
from hub.log import LogView


def _verify(hub: Path, tmp: Path) -> str:
    out = tmp / f"bundle-{time.monotonic_ns()}"
    r = run_canopy("log", "export", "--out", str(out), data=hub)
    assert r.code == 0, r.err
    v = run_canopy("log", "verify", str(out))
    assert v.code == 0, v.err
    return v.out


def _texts(hub: Path) -> list[str]:
    return [str(e.body.named_fields()["text"]) for e in LogView(DataDir(hub)).entries()]


def test_concurrent_cli_writers_without_daemon(hub_dir: Path, tmp_path: Path) -> None:
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: run_canopy("note", f"w{i}", data=hub_dir), range(8)))
    assert all(r.code == 0 for r in results), [r.err for r in results]
    assert sorted(_texts(hub_dir)) == sorted(f"w{i}" for i in range(8))
    assert "8 entries" in _verify(hub_dir, tmp_path)


def test_writes_go_through_running_daemon(hub_dir: Path, daemon: object, tmp_path: Path) -> None:
    # while the daemon holds the lock, a direct writer is refused...
    lock = WriterLock(DataDir(hub_dir))
    try:
        lock.acquire()
        raise AssertionError("the daemon should hold the writer lock")
    except Busy:
        pass
    # ...and CLI writes are handed to the daemon over the socket, concurrently
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: run_canopy("note", f"d{i}", data=hub_dir), range(8)))
    assert all(r.code == 0 for r in results), [r.err for r in results]
    assert sorted(_texts(hub_dir)) == sorted(f"d{i}" for i in range(8))
    status = call(hub_dir / "hub.sock", "status")
    assert status["entries"] == 8
    assert "8 entries" in _verify(hub_dir, tmp_path)


def test_daemon_socket_rejects_hostile_requests(hub_dir: Path, daemon: object) -> None:
    import socket

    s = socket.socket(socket.AF_UNIX)
    s.connect(str(hub_dir / "hub.sock"))
    f = s.makefile("rwb")
    for bad in (
        b"not json\n",
        b"[1,2]\n",
        b'{"op": 5}\n',
        b'{"op": "nope"}\n',
        b'{"op": "append", "kind": "note", "fields": {"text": "\\u0007"}}\n',
        b'{"op": "append", "kind": "vote", "fields": {}}\n',
        b'{"op": "append", "kind": "note", "fields": {"text": [1]}}\n',
        b'{"op": "append", "kind": "note", "fields": {"text": "\\ud800"}}\n',
        b"[" * 100_000 + b"\n",
    ):
        f.write(bad)
        f.flush()
        answer = json.loads(f.readline())
        assert answer["ok"] is False and answer["error"], bad
    s.close()
    assert call(hub_dir / "hub.sock", "ping")["ok"]
    assert _texts(hub_dir) == []


WRITER = """
import sys
from pathlib import Path
from hub.local.datadir import DataDir, WriterLock
from hub.log.own import HubLog
dd = DataDir(Path(sys.argv[1]))
with WriterLock(dd):
    log = HubLog(dd)
    log.open()
    start = len(log.own)
    for i in range(start, start + 100000):
        done = log.append("note", {"text": f"entry {i}"})
        print(done.index, flush=True)
"""


def test_sigkill_at_random_points_loses_nothing_acknowledged(hub_dir: Path, tmp_path: Path) -> None:
    rng = random.Random(7)
    acked: set[int] = set()
    for _ in range(25):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(hub_dir)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert proc.stdout is not None
        deadline = time.monotonic() + rng.uniform(0.3, 0.8)
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acked.add(int(line))
        proc.kill()
        proc.wait()
        for line in proc.stdout:  # acknowledgements printed just before the kill
            if line.strip().isdigit():
                acked.add(int(line))
        proc.stdout.close()
    assert len(acked) > 100
    texts = _texts(hub_dir)
    for i in acked:
        assert texts[i] == f"entry {i}"
    assert texts == [f"entry {i}" for i in range(len(texts))]
    assert f"{len(texts)} entries" in _verify(hub_dir, tmp_path)


def test_faults_keep_their_class_across_the_control_socket(daemon: object, hub_dir: Path) -> None:
    sock = DataDir(hub_dir).socket
    try:
        call(sock, "roster_revoke", handle="nobody")
    except HubError as e:
        assert type(e) is InputError and "not enrolled" in str(e)
    else:
        raise AssertionError("revoking a stranger was accepted")
    try:
        call(sock, "no_such_op")
    except HubError as e:
        assert type(e) is InputError and "unknown operation" in str(e)
    # through the CLI, bad input is exit 1 with the daemon's reason
    r = run_canopy("roster", "revoke", "nobody", data=hub_dir)
    assert r.code == 1 and "nobody is not enrolled" in r.err


def test_a_fault_name_from_the_socket_is_only_ever_one_of_ours() -> None:
    assert type(error_from("input", "x")) is InputError
    assert type(error_from("busy", "x")) is Busy
    for hostile in ("__class__", "../x", None, 5, ["input"], "HubError"):
        assert type(error_from(hostile, "x")) is DaemonError
    assert fault_of(StoreFull("disk")) == "store_full"
    assert fault_of(InviteRefused("code expired")) == "input"


def test_a_busy_hub_exits_75_and_says_try_again(hub_dir: Path) -> None:
    with WriterLock(DataDir(hub_dir)):  # held, and nobody answers on the socket
        r = run_canopy("note", "x", data=hub_dir)
    assert r.code == 75 and "another" in r.err.lower()
