"""Test helper: run `python -m radio.sim` as a subprocess on free ports and wait for it.

    with running_sim(nodes=3, topology="chain", speed=50.0) as sim:
        iface = TCPInterface("127.0.0.1", portNumber=sim.ports[0])
        ...
        stats = sim.stop()          # SIGTERM, wait, read the stats JSON

The process is always terminated when the block exits. `restart()` stops it and starts it
again on the same ports (for reconnect tests).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from radio.sim.topology import load_topology, node_id, node_num

READY_LINE = "ready"


class SimStartError(RuntimeError):
    """The simulator process exited or did not print "ready" in time."""


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port_range(count: int, host: str = "127.0.0.1") -> int:
    """A base port P such that P..P+count-1 are free right now; raises SimStartError."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            base = int(s.getsockname()[1])
        if base + count > 65535:
            continue
        if all(_port_free(host, base + i) for i in range(count)):
            return base
    raise SimStartError(f"no range of {count} free ports on {host}")


class RunningSim:
    """A simulator subprocess; see `running_sim`."""

    def __init__(
        self,
        args: list[str],
        nodes: int,
        host: str,
        workdir: Path,
        env: dict[str, str],
        reuse_port: bool = False,
    ) -> None:
        self.nodes = nodes
        self.host = host
        self.workdir = workdir
        self.stats_path = workdir / "sim-stats.json"
        self.stdout_path = workdir / "sim-stdout.txt"
        self.stderr_path = workdir / "sim-stderr.txt"
        self.base_port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._args = args
        self._env = env
        self.reuse_port = reuse_port

    @property
    def ports(self) -> list[int]:
        return [self.base_port + i for i in range(self.nodes)]

    def node_num(self, i: int) -> int:
        return node_num(i)

    def node_id(self, i: int) -> str:
        return node_id(node_num(i))

    def start(self, base_port: int, timeout: float) -> None:
        """Start the process on `base_port`; raises SimStartError if it is not ready in time."""
        self.base_port = base_port
        cmd = [
            sys.executable,
            "-m",
            "radio.sim",
            *self._args,
            "--base-port",
            str(base_port),
            "--host",
            self.host,
            "--stats",
            str(self.stats_path),
        ]
        if self.reuse_port:
            cmd.append("--reuse-port")
        with self.stdout_path.open("wb") as out, self.stderr_path.open("ab") as err:
            self.process = subprocess.Popen(cmd, stdout=out, stderr=err, env=self._env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if READY_LINE in self.stdout_path.read_text(errors="replace").splitlines():
                return
            if self.process.poll() is not None:
                raise SimStartError(f"simulator exited {self.process.returncode}: {self._tail()}")
            time.sleep(0.02)
        self.kill()
        raise SimStartError(f"simulator not ready within {timeout} s: {self._tail()}")

    def stop(self, timeout: float = 10.0) -> dict[str, Any]:
        """SIGTERM the process, wait for it, and return its statistics JSON."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise SimStartError("simulator ignored SIGTERM") from None
        self.process = None
        stats: dict[str, Any] = json.loads(self.stats_path.read_text(encoding="utf-8"))
        return stats

    def kill(self) -> None:
        """SIGKILL the process (no statistics are written)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self, timeout: float = 20.0) -> None:
        """Stop (SIGTERM) and start again on the same ports.

        With `reuse_port`, the new process is started and ready before the old one gets
        SIGTERM, so a client reconnecting right after the old one closed finds it there.
        """
        if not self.reuse_port:
            with contextlib.suppress(SimStartError, OSError, ValueError):
                self.stop()
            self.kill()
            self.start(self.base_port, timeout)
            return
        old = self.process
        try:
            self.start(self.base_port, timeout)
        finally:
            if old is not None and old.poll() is None:
                old.send_signal(signal.SIGTERM)
                try:
                    old.wait(10)
                except subprocess.TimeoutExpired:
                    old.kill()
                    old.wait()

    def _tail(self) -> str:
        return self.stderr_path.read_text(errors="replace")[-2000:]


@contextlib.contextmanager
def running_sim(
    nodes: int = 3,
    topology: str | Path = "chain",
    speed: float = 50.0,
    *,
    preset: str | None = None,
    region: str | None = None,
    loss: float | None = None,
    spoof: Sequence[tuple[int, int]] = (),
    hop_limit: int | None = None,
    seed: int | None = None,
    host: str = "127.0.0.1",
    base_port: int | None = None,
    workdir: Path | None = None,
    extra_args: Sequence[str] = (),
    startup_timeout: float = 20.0,
    reuse_port: bool = False,
) -> Iterator[RunningSim]:
    """Run a simulated mesh in a subprocess for the duration of the block.

    `topology` is "chain", "full" or the path of a JSON topology file (whose node count
    then replaces `nodes`). `preset` defaults to SHORT_FAST for a named topology; for a file,
    an unset `preset`/`region` leaves the file's choice. Ports are chosen free unless
    `base_port` is given; a start that loses a port race is retried on another range.
    `reuse_port=True` lets `restart()` start the new process before stopping the old one.
    Raises SimStartError.
    """
    if str(topology) in ("chain", "full"):
        preset = preset or "SHORT_FAST"
    else:
        nodes = len(load_topology(Path(topology)).nodes)
    args = ["--nodes", str(nodes), "--topology", str(topology), "--speed", str(speed)]
    if preset is not None:
        args += ["--preset", preset]
    if region is not None:
        args += ["--region", region]
    if loss is not None:
        args += ["--loss", str(loss)]
    if hop_limit is not None:
        args += ["--hop-limit", str(hop_limit)]
    if seed is not None:
        args += ["--seed", str(seed)]
    for i, j in spoof:
        args += ["--spoof", f"{i}:{j}"]
    args += list(extra_args)
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="canopy-sim-")))
        sim = RunningSim(args, nodes, host, workdir, env, reuse_port)
        stack.callback(sim.kill)
        attempts = 1 if base_port is not None else 5
        for attempt in range(attempts):
            try:
                sim.start(base_port or free_port_range(nodes, host), startup_timeout)
                break
            except SimStartError:
                if attempt == attempts - 1:
                    raise
        yield sim
        if sim.process is not None:
            with contextlib.suppress(SimStartError, OSError, ValueError):
                sim.stop()
