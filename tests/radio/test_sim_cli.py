"""`canopy sim` / `python -m radio.sim`: options, errors, ready line, statistics on SIGTERM."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sim_helpers import VENV_BIN
from support import SimFactory

from radio.sim import sim_cmd


def test_help_lists_every_option() -> None:
    out = subprocess.run(
        [str(VENV_BIN / "canopy"), "sim", "--help"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    for opt in ("--nodes", "--topology", "--base-port", "--preset", "--region", "--loss",
                "--speed", "--stats", "--spoof", "--host"):  # fmt: skip
        assert opt in out.stdout


def test_bad_arguments_fail_cleanly(tmp_path: Path) -> None:
    runner = CliRunner()
    cases = [
        ["--topology", "ring"],
        ["--nodes", "0"],
        ["--region", "MARS"],
        ["--spoof", "1-2"],
        ["--spoof", "0:9", "--nodes", "2"],
        ["--topology", str(tmp_path / "missing.json")],
        ["--loss", "1.5"],
        ["--speed", "0"],
    ]
    for args in cases:
        result = runner.invoke(sim_cmd, [*args, "--base-port", "1"])
        assert result.exit_code != 0, args
        assert "Traceback" not in result.output, args
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"nodes": 2, "links": [{"a": 0, "b": 5}]}))
    result = runner.invoke(sim_cmd, ["--topology", str(bad)])
    assert result.exit_code != 0 and "bad link" in result.output


def test_python_m_prints_ready_and_writes_stats_on_sigterm(tmp_path: Path, sim: SimFactory) -> None:
    mesh = sim(nodes=3, topology="chain", workdir=tmp_path)
    assert mesh.process is not None
    assert mesh.stdout_path.read_text().splitlines() == ["ready"]
    stats = mesh.stop()
    assert [n["id"] for n in stats["nodes"]] == ["!5eed0000", "!5eed0001", "!5eed0002"]
    assert [n["port"] for n in stats["nodes"]] == mesh.ports
    for key in ("packets_sent", "bytes_sent", "packets_received", "bytes_received",
                "packets_dropped", "bytes_dropped", "airtime_s"):  # fmt: skip
        assert key in stats["totals"] and key in stats["nodes"][0]
    assert stats["config"]["preset"] == "SHORT_FAST"


def test_port_in_use_is_reported(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        out = subprocess.run(
            [sys.executable, "-m", "radio.sim", "--nodes", "1", "--base-port", str(port)],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    assert out.returncode != 0
    assert "cannot listen" in out.stderr and "ready" not in out.stdout


def test_sigint_also_writes_stats(tmp_path: Path) -> None:
    import signal

    from radio.sim import free_port_range

    stats = tmp_path / "s.json"
    port = free_port_range(2)
    proc = subprocess.Popen(
        [sys.executable, "-m", "radio.sim", "--nodes", "2", "--topology", "full",
         "--base-port", str(port), "--stats", str(stats)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        with socket_to(port + 1):
            pass
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    doc = json.loads(stats.read_text())
    assert len(doc["nodes"]) == 2 and doc["config"]["preset"] == "LONG_FAST"


def socket_to(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def test_in_process_serve_api() -> None:
    import asyncio
    import threading

    from sim_helpers import RawClient

    from radio.sim import build_config, free_port_range, serve

    port = free_port_range(2)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()
    result: dict[str, object] = {}

    def run() -> None:
        cfg = build_config(2, "full", preset="SHORT_FAST", speed=100.0)
        coro = serve(cfg, port, stop=stop, on_ready=lambda _: ready.set())
        result["stats"] = loop.run_until_complete(coro)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert ready.wait(10)
        client = RawClient(port + 1)
        client.handshake()
        client.close()
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()
    stats = result["stats"]
    assert isinstance(stats, dict) and len(stats["nodes"]) == 2
