"""Writes through the control socket can be retried without being doubled, and a daemon that
restarts while a CLI write holds the lock waits for it instead of giving up."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from support import DaemonFactory, run_canopy, wait_for

from hub.daemon import call
from hub.daemon.serve import RequestMemory
from hub.local import DataDir, WriterLock
from hub.log import LogView


def _texts(hub: Path) -> list[str]:
    return [str(e.body.named_fields()["text"]) for e in LogView(DataDir(hub)).entries()]


def _raw(sock: Path, request: dict[str, object], read: bool = True) -> dict[str, object] | None:
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(sock))
    s.sendall(json.dumps(request).encode() + b"\n")
    try:
        return json.loads(s.makefile("rb").readline()) if read else None
    finally:
        s.close()


def test_a_retried_request_id_is_answered_not_repeated(hub_dir: Path, daemon: object) -> None:
    sock = hub_dir / "hub.sock"
    note = {"op": "append", "kind": "note", "fields": {"text": "once"}, "rid": "r-1"}
    _raw(sock, note, read=False)  # the client gives up before the answer
    # the retry comes once the daemon did the work (else the retry itself may be the first)
    wait_for(lambda: _texts(hub_dir) == ["once"], timeout=20, what="the first write stored")
    again = _raw(sock, note)
    assert again is not None and again["ok"] is True and again["repeated"] is True
    third = _raw(sock, note)
    assert third is not None and third["index"] == again["index"]
    # a refusal is remembered with its fault too
    bad = {"op": "append", "kind": "note", "fields": {"text": "\u0007"}, "rid": "r-2"}
    first, second = _raw(sock, bad), _raw(sock, bad)
    assert first is not None and second is not None
    assert first["fault"] == second["fault"] == "input" and second["repeated"] is True
    # a fresh id is a fresh write; no id at all still works (older clients)
    assert _raw(sock, {**note, "rid": "r-3"})["index"] == again["index"] + 1  # type: ignore[index,operator]
    assert _raw(sock, {k: v for k, v in note.items() if k != "rid"})["ok"] is True  # type: ignore[index]
    assert _texts(hub_dir) == ["once", "once", "once"]


@contextmanager
def _dropping_first_answer(sock: Path) -> Iterator[list[int]]:
    """Move the daemon's socket aside and relay to it, dropping the first answer to a write: the
    connection closes after the daemon has done the work, as happened to `canopy note`."""
    real = sock.with_name("hub.real.sock")
    os.rename(sock, real)
    relay = socket.socket(socket.AF_UNIX)
    relay.bind(str(sock))
    relay.listen()
    seen: list[int] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = relay.accept()
            except OSError:
                return
            with conn, socket.socket(socket.AF_UNIX) as up:
                up.connect(str(real))
                line = conn.makefile("rb").readline()
                up.sendall(line)
                answer = up.makefile("rb").readline()
                if b'"ping"' not in line:
                    seen.append(len(seen))
                if b'"ping"' in line or len(seen) > 1:
                    conn.sendall(answer)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield seen
    finally:
        relay.close()
        sock.unlink()
        os.rename(real, sock)


def test_canopy_note_retries_a_lost_answer_without_writing_twice(
    hub_dir: Path, daemon: object
) -> None:
    with _dropping_first_answer(hub_dir / "hub.sock") as seen:
        r = run_canopy("note", "stored once", data=hub_dir)
    assert r.code == 0, r.err
    assert r.out.strip() == "note recorded at index 0"
    assert len(seen) == 2  # the first answer was lost, the retry was answered
    assert _texts(hub_dir) == ["stored once"]
    assert call(hub_dir / "hub.sock", "ping")["ok"]


def test_restarted_daemon_waits_for_a_cli_write_holding_the_lock(
    hub_dir: Path, running_daemon: DaemonFactory
) -> None:
    lock = WriterLock(DataDir(hub_dir))
    lock.acquire()  # a CLI write in progress
    releaser = threading.Timer(1.5, lock.release)
    releaser.start()
    t0 = time.monotonic()
    try:
        with running_daemon(hub_dir) as proc:
            assert isinstance(proc, subprocess.Popen) and proc.poll() is None
            waited = time.monotonic() - t0
            assert call(hub_dir / "hub.sock", "ping")["ok"]
            assert run_canopy("note", "after the wait", data=hub_dir).code == 0
    finally:
        releaser.cancel()
        lock.release()
    assert waited >= 1.4
    assert _texts(hub_dir) == ["after the wait"]


def test_a_retry_after_the_daemon_restarts_is_answered_from_its_journal(
    hub_dir: Path, running_daemon: DaemonFactory
) -> None:
    sock = hub_dir / "hub.sock"
    note = {"op": "append", "kind": "note", "fields": {"text": "before the crash"}, "rid": "r-9"}
    with running_daemon(hub_dir) as proc:
        first = _raw(sock, note)
        assert first is not None and first["ok"] is True
        proc.kill()  # no clean shutdown: what was kept was kept before the answer went out
        proc.wait()
    assert oct((hub_dir / "requests.jsonl").stat().st_mode & 0o777) == "0o600"
    # a torn last line (killed mid-write) does not stop the next daemon
    with open(hub_dir / "requests.jsonl", "ab") as f:
        f.write(b'{"rid": "r-torn", "resp')
    with running_daemon(hub_dir):
        again = _raw(sock, note)
        assert again is not None and again["repeated"] is True
        assert again["index"] == first["index"]
        fresh = _raw(sock, {**note, "rid": "r-10"})
        assert fresh is not None and fresh["index"] == first["index"] + 1  # type: ignore[operator]
    assert _texts(hub_dir) == ["before the crash", "before the crash"]


def test_a_lost_answer_waits_for_the_restarted_daemon(
    hub_dir: Path, running_daemon: DaemonFactory
) -> None:
    # The daemon stores the note and dies before answering; nobody listens for a while;
    # systemd starts it again. The client's retry (same id) gets the kept answer.
    sock = hub_dir / "hub.sock"
    result: dict[str, object] = {}
    with running_daemon(hub_dir) as proc:
        real = sock.with_name("hub.real.sock")
        os.rename(sock, real)
        relay = socket.socket(socket.AF_UNIX)
        relay.bind(str(sock))
        relay.listen()

        def client() -> None:
            try:
                result["answer"] = call(sock, "append", kind="note", fields={"text": "kept"})
            except Exception as e:
                result["error"] = e

        t = threading.Thread(target=client)
        t.start()
        conn, _ = relay.accept()
        with conn, socket.socket(socket.AF_UNIX) as up:
            up.connect(str(real))
            up.sendall(conn.makefile("rb").readline())
            assert json.loads(up.makefile("rb").readline())["ok"] is True  # stored
            relay.close()
            sock.unlink()  # the daemon is gone: its socket with it
            proc.kill()
            proc.wait()
        real.unlink()
    with running_daemon(hub_dir):
        t.join(30)
    assert "error" not in result, result
    answer = result["answer"]
    assert isinstance(answer, dict) and answer["repeated"] is True and answer["index"] == 0
    assert _texts(hub_dir) == ["kept"]


def test_the_request_journal_stays_small_and_keeps_the_newest(tmp_path: Path) -> None:
    journal = tmp_path / "requests.jsonl"
    memory = RequestMemory(size=3, journal=journal)
    for i in range(20):
        pending, first = memory.begin(f"r-{i}")
        assert first
        memory.finish(f"r-{i}", pending, {"ok": True, "index": i})
    busy, _ = memory.begin("r-busy")
    memory.finish("r-busy", busy, {"ok": False, "fault": "busy"})  # never kept: retry runs it
    assert len(journal.read_bytes().splitlines()) <= 6
    again = RequestMemory(size=3, journal=journal)
    for i in (17, 18, 19):
        pending, first = again.begin(f"r-{i}")
        assert not first and pending.response == {"ok": True, "index": i}
    assert again.begin("r-0")[1] and again.begin("r-busy")[1]
