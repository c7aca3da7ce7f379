"""The portal as deployed: `canopy portal` (gunicorn) and `canopy run` as real processes."""

from __future__ import annotations

import re
import socket
import subprocess
import tarfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from portal_helpers import CANOPY, ROOT, csrf_from, get, post_form, request, run_portal
from support import DaemonFactory

from hub.local import DataDir
from hub.log import LogView


@pytest.fixture
def portal(data: Path, tmp_path: Path) -> Iterator[str]:
    with run_portal(data, tmp_path / "portal.log") as base:
        yield base


def test_probe_enter_and_online_over_http(portal: str) -> None:
    status, headers, _ = get(portal, "/hotspot-detect.html", Host="captive.apple.com")
    assert status == 302 and headers["location"] == "/"
    status, _, html = get(portal, "/", Host="captive.apple.com")
    assert status == 200
    status, headers, _ = post_form(portal, "/accept", {"csrf": csrf_from(html.decode())})
    assert status == 303
    status, _, body = get(portal, "/hotspot-detect.html", Host="captive.apple.com")
    assert (status, body) == (
        200,
        b"<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>",
    )
    assert get(portal, "/generate_204")[0] == 204


def test_compact_signed_through_the_daemon(
    data: Path, portal: str, running_daemon: DaemonFactory
) -> None:
    # with the daemon down, the form says writing is paused and nothing is written
    _, _, html = get(portal, "/compact")
    assert b"Writing is paused" in html
    status, _, body = post_form(
        portal, "/compact", {"csrf": csrf_from(html.decode()), "name": "Ana"}
    )
    assert status == 503 and b"Writing is paused" in body
    before = len(LogView(DataDir(data)).reader())
    with running_daemon(data):
        _, _, html = get(portal, "/compact")
        assert b"Writing is paused" not in html
        count = int(re.search(rb'class="count"><strong>(\d+)', html).group(1))  # type: ignore[union-attr]
        status, headers, _ = post_form(
            portal, "/compact", {"csrf": csrf_from(html.decode()), "name": "Ana  B."}
        )
        assert status == 303
        signed = int(headers["location"].rsplit("=", 1)[1])
        _, _, html = get(portal, headers["location"])
        assert f"<strong>{count + 1}</strong>".encode() in html
        assert f"entry {signed} of the log".encode() in html
    view = LogView(DataDir(data))
    assert len(view.reader()) == before + 1
    entry = view.entry(signed)
    assert entry.body.kind_name == "compact" and entry.body.named_fields() == {"name": "Ana B."}
    # no client address anywhere in the public log
    raw = b"".join(view.reader().read_range(0, len(view.reader())))
    assert b"127.0.0.1" not in raw


def test_downloaded_bundle_verifies_with_the_cli(
    data: Path, portal: str, tmp_path: Path, running_daemon: DaemonFactory
) -> None:
    with running_daemon(data):
        status, headers, html = get(portal, "/verify")
        assert status == 200 and b"canopy log verify" in html
        status, headers, tar = get(portal, "/verify/bundle.tar")
        assert status == 200 and headers["content-type"] == "application/x-tar"
        # the three separate downloads agree with each other
        feed = re.search(rb"/verify/([0-9a-f]{64})\.checkpoint", html).group(1).decode()  # type: ignore[union-attr]
        size = re.search(rb"\.entries\?size=(\d+)", html).group(1).decode()  # type: ignore[union-attr]
        out = tmp_path / "files"
        out.mkdir()
        for ext in (f"entries?size={size}", "checkpoint", "vkey"):
            status, _, body = get(portal, f"/verify/{feed}.{ext}")
            assert status == 200
            (out / f"{feed}.{ext.split('?')[0]}").write_bytes(body)
    with tarfile.open(fileobj=__import__("io").BytesIO(tar)) as t:
        t.extractall(tmp_path, filter="data")
    for bundle in (tmp_path / "canopy-log", out):
        r = subprocess.run(
            [*CANOPY, "log", "verify", str(bundle)], capture_output=True, text=True, cwd=ROOT
        )
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("OK ")


def test_hostile_http_never_gets_a_5xx(portal: str) -> None:
    cases = [
        ("GET", "/" + "a" * 3000, None, {}),
        ("GET", "/log?kind=%ff", None, {}),
        ("GET", "/../../etc/passwd", None, {}),
        ("POST", "/compact", b"x" * 100_000, {"Content-Type": "application/x-www-form-urlencoded"}),
        ("GET", "/", None, {"Host": "x" * 3000}),
        ("GET", "/", None, {f"X-H{i}": "1" for i in range(60)}),
    ]
    for method, path, body, headers in cases:
        status, _, _ = request(portal, method, path, body, headers)
        assert 400 <= status < 500 or status in (200, 302), (path[:40], status)
    # a raw garbage request line
    u = urllib.parse.urlsplit(portal)
    with socket.create_connection((u.hostname or "", u.port or 0), timeout=5) as s:
        s.sendall(b"\x16\x03\x01\x02\x00garbage\r\n\r\n")
        reply = s.recv(100)
    assert reply == b"" or reply.startswith(b"HTTP/1.1 400")
    assert get(portal, "/healthz")[0] == 200  # still serving


def test_content_commands_show_on_the_portal(data: Path, portal: str, tmp_path: Path) -> None:
    md = tmp_path / "charter.md"
    md.write_text("# Neighbours first\n\n<script>alert(1)</script>Be kind.\n", encoding="utf-8")
    for args in (
        ["charter", "set", str(md)],
        ["protocol", "set", "calling-help", str(md)],
        ["partner", "add", "--name", "Corner Shop", "--vow", "Open *late*."],
    ):
        r = subprocess.run(
            [*CANOPY, *args, "--data", str(data)], capture_output=True, text=True, cwd=ROOT
        )
        assert r.returncode == 0, r.stderr
    _, _, html = get(portal, "/charter")
    assert b"<h1>Neighbours first</h1>" in html and b"<script>alert" not in html
    assert b"calling-help" in get(portal, "/protocols")[2]
    assert b"Open <em>late</em>." in get(portal, "/")[2]


def test_the_master_compiles_every_template_and_freezes_before_forking(hub_dir: Path) -> None:
    """portal.app.warm_master (gunicorn's when_ready): the workers fork with every template
    compiled and the loaded objects frozen, so their pages stay shared (docs/board.md)."""
    import gc

    from portal.app import create_app, warm_master

    app = create_app({"DATA": str(hub_dir), "TESTING": True})
    names = app.jinja_env.list_templates(extensions=["html"])
    assert "base.html" in names and "log.html" in names
    try:
        warm_master(app)
        assert gc.get_freeze_count() > 0
        cache = app.jinja_env.cache
        assert cache is not None
        cached = {key[1] for key in cache}  # (loader ref, name) pairs
        assert set(names) <= cached, set(names) - cached
        assert app.test_client().get("/healthz").status_code == 200
    finally:
        gc.unfreeze()
