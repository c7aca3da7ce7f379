"""Shared fixtures: a `canopy` runner, an initialised hub, a running daemon, a real
Mosquitto, a simulated mesh of virtual radios, and `wait_for`.

The factories (`running_daemon`, `broker`, `sim`) take the options a test needs; whatever
they start is stopped when the test ends, and its log is printed when the test failed.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from support import Broker, DaemonFactory, SimFactory, run_canopy, run_daemon, tail
from support import wait_for as _wait_for

from radio.sim import RunningSim, running_sim


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, so fixtures can tell a failed test."""
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep


def _failed(request: pytest.FixtureRequest) -> bool:
    node = request.node
    return any(
        getattr(node, f"rep_{when}", None) is not None and getattr(node, f"rep_{when}").failed
        for when in ("setup", "call")
    )


def _show_logs_on_failure(request: pytest.FixtureRequest, logs: list[tuple[str, Path]]) -> None:
    if _failed(request):
        for name, log in logs:
            print(f"\n----- {name}: {log}\n{tail(log)}")


@pytest.fixture
def wait_for() -> Callable[..., Any]:
    """`wait_for(cond, timeout=15, what="...")`: poll until ``cond()`` is truthy, return it;
    on timeout the test fails saying what was awaited."""
    return _wait_for


@pytest.fixture
def hub_dir(tmp_path: Path) -> Path:
    d = tmp_path / "hub"
    r = run_canopy("init", "--name", "Corner Shop", data=d)
    assert r.code == 0, r.err
    return d


@pytest.fixture
def running_daemon(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DaemonFactory]:
    """`with running_daemon(data, *options, log=None) as proc:` runs `canopy run` on DATA
    until the block ends: ready once it answers on its control socket, then SIGTERM."""
    logs: list[tuple[str, Path]] = []

    @contextmanager
    def start(
        data: Path, *options: str, log: Path | None = None
    ) -> Iterator[subprocess.Popen[bytes]]:
        log = log or tmp_path / f"daemon-{len(logs)}.log"
        logs.append((f"canopy run {' '.join(options)}", log))
        with run_daemon(data, log, *options) as proc:
            yield proc

    yield start
    _show_logs_on_failure(request, logs)


@pytest.fixture
def daemon(hub_dir: Path, running_daemon: DaemonFactory) -> Iterator[subprocess.Popen[bytes]]:
    """`canopy run` on the hub in a subprocess, stopped with SIGTERM afterwards."""
    with running_daemon(hub_dir) as proc:
        yield proc


@pytest.fixture
def broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Broker]]:
    """`broker(users=None, eager_save=True, extra="")`: a started Mosquitto on free ports
    from the reference config; killed when the test ends."""
    started: list[Broker] = []

    def start(users: dict[str, str] | None = None, **kw: Any) -> Broker:
        b = Broker(tmp_path / f"mosquitto-{len(started)}", users, **kw)
        started.append(b)
        b.start()
        return b

    try:
        yield start
    finally:
        for b in started:
            b.kill()
        _show_logs_on_failure(request, [("mosquitto", b.log) for b in started])


@pytest.fixture
def sim(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SimFactory]:
    """`sim(nodes=3, topology="chain", speed=50.0, **options)`: a running `canopy sim`
    of virtual radios on free ports (options as `radio.sim.testing.running_sim`);
    stopped with SIGTERM when the test ends."""
    meshes: list[RunningSim] = []
    with ExitStack() as stack:

        def start(nodes: int = 3, topology: str | Path = "chain", **kw: Any) -> RunningSim:
            if "workdir" not in kw:
                kw["workdir"] = tmp_path / f"sim-{len(meshes)}"
                kw["workdir"].mkdir()
            mesh = stack.enter_context(running_sim(nodes, topology, **kw))
            meshes.append(mesh)
            return mesh

        try:
            yield start
        finally:
            _show_logs_on_failure(request, [("canopy sim", m.stderr_path) for m in meshes])
