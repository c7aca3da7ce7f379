"""The portal behind its front: the real nginx in front of the real gunicorn (`canopy portal`).

Each case was found by treating the portal as a hostile neighbour would: slow clients that
starved gunicorn, gunicorn's own error pages without the security headers, no compression,
and a client address that must stay the client's own behind the proxy."""

from __future__ import annotations

import gzip
import http.client
import json
import signal
import socket
import subprocess
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from portal_helpers import BIN, ROOT, csrf_from, get, request, run_portal
from support import free_port, stop

from portal.front import render_nginx
from portal.web import HEADERS

PAGES = ["/", "/log", "/alerts", "/charter", "/protocols", "/partners", "/compact", "/verify"]


@pytest.fixture
def front(data: Path, tmp_path: Path) -> Iterator[str]:
    with run_portal(data, tmp_path / "portal.log", cache=True) as base:
        yield base


def _raw(base: str, payload: bytes) -> bytes:
    u = urllib.parse.urlsplit(base)
    with socket.create_connection((u.hostname or "", u.port or 80), timeout=10) as s:
        s.sendall(payload)
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except ConnectionResetError:
            pass  # nginx closes at once after an error it cannot recover from
    return out


def _headers_of(raw: bytes) -> tuple[int, dict[str, str]]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    return status, {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:])}


def test_security_headers_on_every_answer_including_errors(front: str) -> None:
    host = b"Host: x\r\nConnection: close\r\n"
    cases = {
        b"GARBAGE\r\n\r\n": 400,
        b"GET /\xff\xfe HTTP/1.1\r\n" + host + b"\r\n": None,  # invalid UTF-8 in the path
        b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + host + b"\r\n": 414,
        b"GET / HTTP/1.1\r\n" + host + b"X-Big: " + b"b" * 9000 + b"\r\n\r\n": 400,
        b"POST /compact HTTP/1.1\r\n" + host + b"Content-Length: 100000\r\n\r\n": 413,
        b"GET /nope HTTP/1.1\r\n" + host + b"\r\n": 404,
        b"GET /static/canopy.css HTTP/1.1\r\n" + host + b"\r\n": 200,
        b"GET /static/missing.css HTTP/1.1\r\n" + host + b"\r\n": 404,
        b"GET / HTTP/1.1\r\n" + host + b"\r\n": 200,
    }
    for payload, want in cases.items():
        status, headers = _headers_of(_raw(front, payload))
        if want is not None:
            assert status == want, (payload[:40], status)
        for name, value in HEADERS.items():
            assert headers.get(name.lower()) == value, (payload[:40], status, name)
        assert "server" not in headers or headers["server"] == "nginx", headers


def test_gunicorn_alone_puts_the_security_headers_on_its_own_errors(
    data: Path, tmp_path: Path
) -> None:
    # --front none: gunicorn answers these before the app runs (portal/worker.py)
    host = b"Host: x\r\nConnection: close\r\n"
    cases = {
        b"GARBAGE\r\n\r\n": 400,
        b"GET /\xff\xfe HTTP/1.1\r\n" + host + b"\r\n": None,
        b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + host + b"\r\n": None,
        b"GET / HTTP/1.1\r\n" + host + b"X-Big: " + b"b" * 9000 + b"\r\n\r\n": None,
        b"GET / HTTP/1.1\r\n" + host + b"X-H: 1\r\n" * 60 + b"\r\n": None,
        b"GET / HTTP/1.1\r\n" + host + b"\r\n": 200,
    }
    with run_portal(data, tmp_path / "portal.log", workers=1, front=False) as base:
        for payload, want in cases.items():
            raw = _raw(base, payload)
            status, headers = _headers_of(raw)
            assert status == want if want is not None else 400 <= status < 500, (
                payload[:40],
                status,
            )
            for name, value in HEADERS.items():
                assert headers.get(name.lower()) == value, (payload[:40], status, name)
            assert raw.lower().count(b"\r\ncontent-security-policy:") == 1, payload[:40]


def test_pages_are_compressed_and_small(front: str) -> None:
    for path in PAGES:
        status, headers, body = get(front, path, **{"Accept-Encoding": "gzip"})
        assert status == 200, path
        assert headers.get("content-encoding") == "gzip", path
        assert len(body) <= 3072, (path, len(body))
        assert gzip.decompress(body).startswith(b"<!doctype html>"), path
        # one copy of each security header, not the app's and the front's
        raw = _raw(front, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        assert raw.lower().count(b"\r\ncontent-security-policy:") == 1, path
    status, headers, _ = get(front, "/static/canopy.css", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("content-encoding") == "gzip"


def test_slow_clients_do_not_starve_the_portal(front: str) -> None:
    u = urllib.parse.urlsplit(front)
    slow: list[socket.socket] = []
    try:
        for _ in range(50):
            s = socket.create_connection((u.hostname or "", u.port or 80), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\nHo")  # and then a byte now and then, never done
            slow.append(s)
        times = []
        for i in range(11):
            for s in slow:
                s.sendall(b"s"[: i % 2])
            t0 = time.monotonic()
            status, _, _ = get(front, PAGES[i % len(PAGES)])
            times.append(time.monotonic() - t0)
            assert status == 200
        assert max(times) < 1.0, times
    finally:
        for s in slow:
            s.close()


def test_client_address_behind_the_front_is_the_clients_own(front: str) -> None:
    # a forged X-Real-IP / X-Forwarded-For is replaced by nginx: the token issued to this
    # client (127.0.0.1) is still valid for it, and a token for the forged one is not
    spoof = {"X-Real-IP": "10.9.9.9", "X-Forwarded-For": "10.9.9.9"}
    _, _, html = request(front, "GET", "/compact", headers=spoof)
    token = csrf_from(html.decode())
    body = urllib.parse.urlencode({"csrf": token, "name": "Ana"}).encode()
    ctype = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, page = request(front, "POST", "/compact", body=body, headers=ctype)
    assert status == 503 and b"paused" in page.lower()  # past CSRF: no daemon runs here


def test_missing_nginx_is_a_clear_error(data: Path, tmp_path: Path) -> None:
    import os

    env = dict(os.environ, CANOPY_NGINX=str(tmp_path / "no-nginx-here"))
    r = subprocess.run(
        [str(BIN / "canopy"), "portal", "--data", str(data), "--bind", "127.0.0.1:1"],
        capture_output=True, text=True, cwd=ROOT, env=env, check=False, timeout=60,
    )  # fmt: skip
    assert r.returncode == 1 and "nginx is not installed" in r.stderr, r.stderr
    assert "--front none" in r.stderr


def test_rendered_config_is_what_nginx_accepts(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_nginx("127.0.0.1:1", str(tmp_path / "g.sock"), str(tmp_path)))
    r = subprocess.run(
        ["nginx", "-t", "-e", "stderr", "-c", str(conf)], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr


def test_under_socket_activation_nginx_serves_the_socket_systemd_passes(
    data: Path, tmp_path: Path
) -> None:
    # How the deployed unit runs it: systemd opens port 80 (canopy-portal.socket) and starts
    # `canopy portal` on the first connection; nginx takes that socket over (the --bind given
    # here is never bound), and the stack itself tells systemd it is ready.
    port = free_port()
    name = f"canopy-front-{uuid.uuid4().hex[:8]}"
    with (
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify,
        open(tmp_path / "portal.log", "wb") as log,
    ):
        notify.bind("\0" + name)
        notify.settimeout(1)
        proc = subprocess.Popen(
            ["systemd-socket-activate", "-l", f"127.0.0.1:{port}",
             "-E", f"NOTIFY_SOCKET=@{name}", "-E", "PATH",
             str(BIN / "canopy"), "portal", "--data", str(data), "--bind", "127.0.0.1:1",
             "--workers", "1"],
            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:  # the first request starts the stack and waits in the backlog
                try:
                    status, headers, body = get(f"http://127.0.0.1:{port}", "/healthz")
                    break
                except OSError:
                    assert proc.poll() is None and time.monotonic() < deadline
                    time.sleep(0.2)
            assert status == 200 and json.loads(body)["ok"] is True, body
            assert headers.get("server") == "nginx", headers
            assert headers.get("content-security-policy") == HEADERS["Content-Security-Policy"]
            assert b"READY=1" in notify.recv(4096)
            proc.send_signal(signal.SIGHUP)  # ExecReload: both reload, the portal stays up
            time.sleep(1)
            assert get(f"http://127.0.0.1:{port}", "/healthz")[0] == 200
            assert proc.poll() is None
        finally:
            stop(proc)
        assert proc.returncode == 0, (tmp_path / "portal.log").read_text()[-2000:]


def _from(
    source: str, base: str, method: str, path: str, body: bytes | None = None
) -> tuple[int, bytes]:
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(
        u.hostname or "", u.port, timeout=10, source_address=(source, 0)
    )
    try:
        ctype = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        conn.request(method, path, body=body, headers=ctype)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def test_the_front_microcache_keeps_per_client_pages_per_client(front: str) -> None:
    # nginx repeats cached pages for a second; the home page holds this client's form token
    # and Enter state, so another client right after must get its own, never the first's
    for _ in range(3):
        _, first = _from("127.0.0.1", front, "GET", "/")
    status, page = _from("127.0.0.2", front, "GET", "/")
    assert status == 200
    mine, theirs = csrf_from(first.decode()), csrf_from(page.decode())
    body = urllib.parse.urlencode({"csrf": theirs}).encode()
    status, _ = _from("127.0.0.2", front, "POST", "/accept", body)
    assert status in (302, 303), status  # its own token: Enter accepted for 127.0.0.2
    body = urllib.parse.urlencode({"csrf": mine}).encode()
    status, _ = _from("127.0.0.3", front, "POST", "/accept", body)
    assert status == 400 or status == 403, status  # another client's token is refused
    # the mark that lets nginx keep a page never reaches a client
    for path in ("/", "/log", "/healthz"):
        assert "x-accel-expires" not in get(front, path)[1], path


def test_the_portal_marks_only_cached_public_pages_for_the_front(
    data: Path, tmp_path: Path
) -> None:
    with run_portal(data, tmp_path / "portal.log", workers=1, front=False) as base:
        for _ in range(2):  # a miss (Flask renders) and a hit (the fast path)
            for path in ("/", "/log", "/alerts", "/charter"):
                status, headers, _ = get(base, path)
                assert status == 200 and headers.get("x-accel-expires") == "1", path
        for path in ("/healthz", "/hotspot-detect.html", "/nope", "/compact", "/static/canopy.css"):
            assert "x-accel-expires" not in get(base, path)[1], path
