"""The portal when its disk is full: a clear 503 that says so, in every language, never a
500 with a traceback; the client stays captive, and Enter works again once there is room."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from portal_helpers import csrf_from, seed_hub

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
