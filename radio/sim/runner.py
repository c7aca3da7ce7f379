"""Runs a simulated mesh on one asyncio loop: the medium, one TCP server per node, the clock.

Simulated time runs `speed` times faster than the wall clock: sim_now = (wall - start) *
speed, so an airtime wait of A simulated seconds takes A / speed wall seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from meshtastic.protobuf import mesh_pb2

from radio.sim.medium import Medium
from radio.sim.node import VirtualNode
from radio.sim.packets import Delivery
from radio.sim.topology import SimConfig, node_id

log = logging.getLogger(__name__)


class SimError(RuntimeError):
    """The simulation could not start (e.g. a port is taken)."""


class Simulation:
    """A running mesh. Build it, `await start()`, and `await stop()` when done."""

    def __init__(
        self, config: SimConfig, base_port: int, host: str = "127.0.0.1", reuse_port: bool = False
    ) -> None:
        self.config = config
        self.host = host
        self.reuse_port = reuse_port
        self.base_port = base_port
        self.medium = Medium(config)
        self.nodes = [VirtualNode(config, spec.index, self._submit) for spec in config.nodes]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._t0 = 0.0
        self._kick = asyncio.Event()
        self.failed = asyncio.Event()  # set if the clock task dies
        self._clock_task: asyncio.Task[None] | None = None

    @property
    def ports(self) -> list[int]:
        return [self.base_port + i for i in range(len(self.nodes))]

    def sim_now(self) -> float:
        assert self._loop is not None
        return (self._loop.time() - self._t0) * self.config.speed

    async def start(self) -> None:
        """Listen on every port; raises SimError if one cannot be bound."""
        self._loop = asyncio.get_running_loop()
        self._t0 = self._loop.time()
        try:
            for node, port in zip(self.nodes, self.ports, strict=True):
                await node.start(self.host, port, self.reuse_port)
        except OSError as e:
            await self.stop()
            raise SimError(f"cannot listen on {self.host}: {e}") from e
        self._clock_task = asyncio.create_task(self._clock())

    async def stop(self) -> None:
        if self._clock_task is not None:
            self._clock_task.cancel()
            await asyncio.gather(self._clock_task, return_exceptions=True)
        await asyncio.gather(*(node.close() for node in self.nodes))

    def stats(self) -> dict[str, Any]:
        """Medium counters plus the run configuration and node identities."""
        doc = self.medium.stats()
        for row in doc["nodes"]:
            spec = self.config.nodes[row["index"]]
            row["id"] = node_id(spec.num)
            row["long_name"] = spec.long_name
            row["port"] = self.base_port + spec.index
        doc["config"] = {
            "nodes": len(self.nodes),
            "preset": self.config.preset,
            "region": self.config.region,
            "speed": self.config.speed,
            "hop_limit": self.config.hop_limit,
            "duty_cycle_percent": self.config.duty_cycle_percent,
            "duty_cycle_window_s": self.config.duty_cycle_window_s,
        }
        return doc

    def _submit(self, index: int, packet: mesh_pb2.MeshPacket) -> None:
        self._dispatch(self.medium.submit(index, packet, self.sim_now()))
        self._kick.set()

    def _dispatch(self, deliveries: list[Delivery]) -> None:
        for d in deliveries:
            self.nodes[d.node].deliver(d.packet)

    async def _clock(self) -> None:
        """Wake at the medium's next deadline (or when a client submits) and advance it."""
        try:
            while True:
                self._dispatch(self.medium.advance(self.sim_now()))
                deadline = self.medium.next_deadline()
                self._kick.clear()
                timeout = None
                if deadline is not None:
                    timeout = max(0.0, (deadline - self.sim_now()) / self.config.speed)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._kick.wait(), timeout)
        except Exception:
            log.exception("the simulation clock failed")
            self.failed.set()
            raise


async def serve(
    config: SimConfig,
    base_port: int,
    host: str = "127.0.0.1",
    *,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[Simulation], None] | None = None,
    reuse_port: bool = False,
) -> dict[str, Any]:
    """Run the mesh until `stop` is set (or SIGINT/SIGTERM); return its statistics.

    Raises SimError if a port cannot be bound or the simulation fails.
    """
    sim = Simulation(config, base_port, host, reuse_port)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread: the caller stops us through `stop`
    try:
        await sim.start()
        if on_ready is not None:
            on_ready(sim)
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(sim.failed.wait())]
        _, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for waiter in pending:
            waiter.cancel()
        if sim.failed.is_set():
            raise SimError("the simulation clock failed (see the log)")
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        await sim.stop()
    return sim.stats()


def run_sim(
    config: SimConfig,
    base_port: int = 4403,
    host: str = "127.0.0.1",
    stats_path: Path | None = None,
    print_ready: bool = True,
    reuse_port: bool = False,
) -> dict[str, Any]:
    """Blocking: run the mesh until SIGINT/SIGTERM, write stats JSON, return the stats."""

    def ready(_: Simulation) -> None:
        if print_ready:
            sys.stdout.write("ready\n")
            sys.stdout.flush()

    stats = asyncio.run(serve(config, base_port, host, on_ready=ready, reuse_port=reuse_port))
    if stats_path is not None:
        stats_path.write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    return stats
