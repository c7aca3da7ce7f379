"""`canopy run --config` and `canopy portal --config` end to end: the real CLI, a real
daemon and a real gunicorn; option > environment variable > config file > default."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
from support import CANOPY, ROOT, stop, wait_for_socket

from hub.daemon import call


def _env(**extra: str) -> dict[str, str]:
    """The test's environment without any CANOPY_* setting leaking in, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANOPY_")}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def _canopy(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CANOPY, *args], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env or _env()
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[desk]\nack_timout = 30\n", ["unknown key 'desk.ack_timout'", "ack_timeout"]),
        ("[desk]\nack_timeout = 'soon'\n", ["desk.ack_timeout", "expected a number", "string"]),
        ("[desk]\nack_timeout = -1\n", ["desk.ack_timeout", "out of range"]),
        ("[daemon]\nradio = 'x'\n", ["unknown section [daemon]"]),
        ("<?xml version='1.0'?><settings/>", ["not valid TOML"]),
    ],
)
def test_run_refuses_a_bad_config_file_before_starting(
    hub_dir: Path, tmp_path: Path, text: str, words: list[str]
) -> None:
    config = tmp_path / "canopy.toml"
    config.write_text(text)
    done = _canopy("run", "--config", str(config), "--data", str(hub_dir))
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert str(config) in lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    assert not (hub_dir / "hub.sock").exists()


def test_portal_refuses_a_bad_config_file_and_a_missing_one(hub_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "canopy.toml"
    config.write_text("[portal]\nworkers = 'many'\n")
    done = _canopy("portal", "--config", str(config), "--data", str(hub_dir))
    assert done.returncode == 1 and "portal.workers: expected an integer" in done.stderr
    done = _canopy("portal", "--config", str(tmp_path / "absent.toml"))
    assert done.returncode == 1 and "cannot read it" in done.stderr


def test_a_bad_environment_variable_is_refused_like_a_bad_option(hub_dir: Path) -> None:
    done = _canopy("run", "--data", str(hub_dir), env=_env(CANOPY_DESK_MAX_PAGES="lots"))
    assert done.returncode != 0 and "--alert-max-pages" in done.stderr
    assert "'lots' is not an integer" in done.stderr


def test_run_takes_its_settings_from_the_file_under_env_under_options(
    hub_dir: Path, tmp_path: Path
) -> None:
    """The data directory is named only in the file; the status shows what won."""
    config = tmp_path / "canopy.toml"
    config.write_text(
        f"""
[hub]
data = "{hub_dir}"

[desk]
ack_timeout = 45      # file only: wins over the default
max_pages = 5         # the environment wins
overdue_grace = 100   # the option wins
tick = 2.0            # the environment says 3, the option 0.5: the option wins
"""
    )
    env = _env(CANOPY_CONFIG=str(config), CANOPY_DESK_MAX_PAGES="7", CANOPY_DESK_TICK="3")
    log = tmp_path / "daemon.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*CANOPY, "run", "--overdue-grace", "30", "--desk-tick", "0.5"],
            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env,
        )  # fmt: skip
        try:
            wait_for_socket(hub_dir, proc, log)
            status = call(hub_dir / "hub.sock", "status")
        finally:
            stop(proc)
    assert status["ok"] and status["hub"]["name"] == "Corner Shop"
    settings = status["settings"]
    assert settings["desk.ack_timeout"] == 45.0
    assert settings["desk.max_pages"] == 7
    assert settings["desk.overdue_grace"] == 30
    assert settings["desk.tick"] == 0.5
    assert settings["desk.channel"] == 0  # the default
    assert settings["hub.radio"] is None and settings["mqtt.url"] is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_portal_binds_where_the_file_says(hub_dir: Path, tmp_path: Path) -> None:
    port = _free_port()
    config = tmp_path / "canopy.toml"
    config.write_text(
        f'[hub]\ndata = "{hub_dir}"\n\n[portal]\nbind = "127.0.0.1:{port}"\nworkers = 1\n'
        "\n[desk]\nack_timeout = 60  # not the portal's, but the shared file may hold it\n"
    )
    log = tmp_path / "portal.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*CANOPY, "portal", "--config", str(config)],
            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=_env(),
        )  # fmt: skip
    try:
        status = None
        for _ in range(200):
            assert proc.poll() is None, log.read_text(errors="replace")
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", "/")
                status = conn.getresponse().status
                break
            except OSError:
                time.sleep(0.1)
            finally:
                conn.close()
        assert status == 200
    finally:
        stop(proc)
