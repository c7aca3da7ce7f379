"""The portal when its disk is full: a clear 503 that says so, in every language, never a
500 with a traceback; the client stays captive, and Enter works again once there is room."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from portal_helpers import csrf_from, get, post_form, run_portal, seed_hub
from support import wait_for

from portal.app import create_app
from portal.web import HEADERS


@contextlib.contextmanager
def small_disk(where: Path) -> Iterator[Path]:
    where.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)], check=False)
    assert r.returncode == 0, "a tmpfs mount is needed (run as root)"
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with pytest.raises(OSError, match="No space left"):
            while True:
                os.write(fd, b"x" * 4096)
    finally:
        os.close(fd)


def _enter(client: FlaskClient, ip: str, lang: str = "en") -> tuple[int, str, dict[str, str]]:
    env = {"REMOTE_ADDR": ip, "HTTP_ACCEPT_LANGUAGE": lang}
    token = csrf_from(client.get("/", environ_base=env).get_data(as_text=True))
    r = client.post("/accept", data={"csrf": token}, environ_base=env)
    return r.status_code, r.get_data(as_text=True), dict(r.headers)


def test_a_full_disk_is_a_clear_503_and_the_client_stays_captive(tmp_path: Path, arp: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        seed_hub(disk / "hub")
        app = create_app({"DATA": str(disk / "hub"), "ARP_PATH": str(arp)})
        client = app.test_client()
        assert _enter(client, "10.0.0.5")[0] == 303  # the store exists and works
        _fill(disk / "filler")
        status, page, headers = _enter(client, "10.0.0.7")
        assert status == 503 and "storage is full" in page, (status, page[:400])
        assert all(headers.get(k) == v for k, v in HEADERS.items())
        status, page, _ = _enter(client, "10.0.0.8", "es")
        assert status == 503 and "almacenamiento del nodo está lleno" in page
        probe = client.get("/hotspot-detect.html", environ_base={"REMOTE_ADDR": "10.0.0.7"})
        assert probe.status_code in (302, 303, 307)  # still captive, told the truth
        (disk / "filler").unlink()
        assert _enter(client, "10.0.0.7")[0] == 303
        probe = client.get("/hotspot-detect.html", environ_base={"REMOTE_ADDR": "10.0.0.7"})
        assert probe.status_code == 200


def _pids() -> Iterator[tuple[int, int, bytes]]:
    """(pid, parent pid, command line) of every process."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile
        yield int(stat.parent.name), ppid, cmdline


def _gunicorn_workers(base: str) -> set[int]:
    """The gunicorn workers of the `canopy portal` serving ``base``."""
    bind = base.removeprefix("http://").encode()
    procs = list(_pids())
    [portal] = [pid for pid, _, cmd in procs if b"portal" in cmd and bind in cmd.split(b"\0")]
    [master] = [pid for pid, ppid, cmd in procs if ppid == portal and b"gunicorn" in cmd]
    return {pid for pid, ppid, _ in procs if ppid == master}


def test_a_worker_killed_under_load_is_replaced_and_no_client_state_is_lost(
    data: Path, tmp_path: Path
) -> None:
    with run_portal(data, tmp_path / "portal.log") as base:
        token = csrf_from(get(base, "/")[2].decode())
        assert post_form(base, "/accept", {"csrf": token})[0] == 303  # this client entered
        assert get(base, "/hotspot-detect.html")[0] == 200
        # the first worker may answer before the master has forked the second
        wait_for(lambda: len(_gunicorn_workers(base)) == 2, what="both gunicorn workers")
        workers = _gunicorn_workers(base)
        answers: list[tuple[int, dict[str, str]]] = []
        errors: list[BaseException] = []
        done = threading.Event()

        def load() -> None:
            while not done.is_set():
                try:
                    status, headers, _ = get(base, "/log")
                    answers.append((status, headers))
                except (OSError, http.client.HTTPException) as e:
                    errors.append(e)

        clients = [threading.Thread(target=load) for _ in range(4)]
        for c in clients:
            c.start()
        try:
            wait_for(lambda: len(answers) >= 20, what="the load to flow")
            os.kill(min(workers), signal.SIGKILL)  # mid-request, most likely
            wait_for(
                lambda: len(new := _gunicorn_workers(base)) == 2 and new != workers,
                what="the gunicorn master to replace the killed worker",
            )
            seen = len(answers)
            wait_for(lambda: len(answers) >= seen + 20, what="the load to flow again")
        finally:
            done.set()
            for c in clients:
                c.join(20)
        # nginx answered every request; only the one the killed worker had begun sending
        # (a sync worker serves one at a time) can be cut short, and then visibly so: its
        # Content-Length says the page is incomplete, nothing passes for a whole page
        assert len(errors) <= 1 and all(
            isinstance(e, http.client.IncompleteRead) for e in errors
        ), errors[:3]
        assert {s for s, _ in answers} <= {200, 502, 503}, {s for s, _ in answers}
        assert all(h.get(k.lower()) == v for _, h in answers for k, v in HEADERS.items())
        assert [s for s, _ in answers[-10:]] == [200] * 10  # served again, by the new worker
        assert get(base, "/hotspot-detect.html")[0] == 200  # the client is still in
