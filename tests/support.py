"""The one implementation of what the tests start and wait for: the `canopy` CLI, a
`canopy run` daemon, an in-process daemon loop, a real Mosquitto, a steward's handheld,
free ports and `wait_for`. The fixtures in tests/conftest.py wrap these; helpers that are
not fixtures (and the benches) use them directly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from hub.daemon import Daemon
    from radio.sim import RunningSim

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
CANOPY = [sys.executable, "-m", "hub"]


# ---------------------------------------------------------------- waiting


def wait_for(
    cond: Callable[[], T], timeout: float = 15.0, what: str = "condition", interval: float = 0.02
) -> T:
    """Poll ``cond`` until it returns something truthy, and return that.

    Fails the test with "timed out after N s waiting for <what>" when the deadline passes;
    ``cond`` is asked once more at the deadline, so a slow machine never loses a last chance.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL if it does not exit within 10 s."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def tail(path: Path, chars: int = 4000) -> str:
    """The end of a log file, or a note that it is not there."""
    try:
        return path.read_text(errors="replace")[-chars:]
    except FileNotFoundError:
        return f"({path} was never written)"


# ---------------------------------------------------------------- the CLI and the daemon


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_canopy(*args: str, data: Path | None = None, timeout: float = 60) -> Result:
    cmd = [*CANOPY, *args]
    if data is not None:
        cmd += ["--data", str(data)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    return Result(p.returncode, p.stdout, p.stderr)


def new_hub(root: Path, name: str) -> tuple[Path, dict[str, str]]:
    """`canopy init` a hub named NAME in ROOT/<name>; its data directory and `canopy id`."""
    data = root / name.lower()
    assert run_canopy("init", "--name", name, data=data).code == 0
    return data, json.loads(run_canopy("id", "--json", data=data).out)


def feed_texts(data: Path, feed: str, *, must_read: bool = False) -> list[Any]:
    """The `text` of each entry of FEED held at DATA (None where an entry has none); [] while
    the feed can't be read, unless MUST_READ."""
    r = run_canopy("log", "show", "--feed", feed, "--json", data=data)
    if r.code != 0:
        assert not must_read, r.err
        return []
    return [json.loads(line).get("text") for line in r.out.splitlines() if line.strip()]


def wait_for_socket(
    data: Path, proc: subprocess.Popen[bytes], log: Path, timeout: float = 15
) -> None:
    """Until the daemon answers `ping` on its control socket; fails if it exits first."""
    from hub.daemon import DaemonNotRunning, call

    def answers() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"daemon exited early ({proc.returncode}):\n{tail(log)}")
        try:
            call(data / "hub.sock", "ping", timeout=2)
        except DaemonNotRunning:
            return False
        return True

    wait_for(answers, timeout, what=f"the daemon on {data} to answer on its control socket")


@contextmanager
def run_daemon(data: Path, log: Path, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    """`canopy run --data DATA [ARGS]` in a subprocess, logging to LOG, until the block ends;
    ready when it answers on its control socket, stopped with SIGTERM."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*CANOPY, "run", "--data", str(data), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            wait_for_socket(data, proc, log)
            yield proc
        finally:
            stop(proc)


@contextmanager
def daemon_thread(daemon: Daemon) -> Iterator[Daemon]:
    """A daemon built by the caller, started in this process with its loop on a thread;
    stopped (and its loop joined) when the block ends."""
    daemon.start()
    loop = threading.Thread(target=daemon.run_forever, daemon=True)
    loop.start()
    try:
        yield daemon
    finally:
        daemon.stop()
        loop.join(20)
        assert not loop.is_alive(), "daemon loop did not stop"


# ---------------------------------------------------------------- Mosquitto

MOSQUITTO = Path("/usr/sbin/mosquitto")
MOSQUITTO_PASSWD = Path("/usr/bin/mosquitto_passwd")
MOSQUITTO_REFERENCE = ROOT / "deploy" / "mosquitto"


def render_reference(
    tmp: Path, lo_port: int, lan_port: int, passwd: Path, acl: Path, *, eager_save: bool
) -> str:
    """The reference canopy.conf with this test's ports and paths on the marked lines."""
    out: list[str] = []
    for line in (MOSQUITTO_REFERENCE / "canopy.conf").read_text().splitlines():
        if line.startswith("persistence_location"):
            line = f"persistence_location {tmp}/"
        elif line == "listener 1883 127.0.0.1":
            line = f"listener {lo_port} 127.0.0.1"
        elif line == "listener 1883 LAN_ADDRESS":
            line = f"listener {lan_port} 127.0.0.1"
        elif line.startswith("password_file"):
            line = f"password_file {passwd}"
        elif line.startswith("acl_file"):
            line = f"acl_file {acl}"
        elif line == "log_dest syslog":
            line = f"log_dest file {tmp}/mosquitto.log"
        elif eager_save and line.startswith("autosave_"):
            line = {"autosave_interval": "autosave_interval 1"}.get(
                line.split()[0], "autosave_on_changes true"
            )
        out.append(line)
    if os.geteuid() == 0:
        out.insert(0, "user root")
    return "\n".join(out) + "\n"


class Broker:
    """A real Mosquitto on free ports, from deploy/mosquitto/canopy.conf.

    Built first, then `start()`ed; `kill()` and `start()` again restart it on the same
    ports with the same persistence (for outage tests).
    """

    def __init__(
        self,
        tmp: Path,
        users: dict[str, str] | None = None,
        *,
        eager_save: bool = True,
        extra: str = "",
    ) -> None:
        if not MOSQUITTO.exists():
            raise AssertionError(f"{MOSQUITTO} is missing: apt-get install mosquitto")
        self.dir = tmp / "broker"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.lan_port = free_port()
        self.passwd = self.dir / "canopy.passwd"
        self.passwd.write_text("")
        for user, pw in (users or {}).items():
            subprocess.run([str(MOSQUITTO_PASSWD), "-b", str(self.passwd), user, pw], check=True)
        acl = self.dir / "canopy.acl"
        acl.write_text((MOSQUITTO_REFERENCE / "acl").read_text())
        self.conf = self.dir / "mosquitto.conf"
        self.conf.write_text(
            render_reference(
                self.dir, self.port, self.lan_port, self.passwd, acl, eager_save=eager_save
            )
            + extra
        )
        self.log = self.dir / "mosquitto.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = proc = subprocess.Popen(
            [str(MOSQUITTO), "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def listening() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"mosquitto exited:\n{tail(self.log, 2000)}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return True
            except OSError:
                return False

        wait_for(listening, 10, what=f"mosquitto to listen on port {self.port}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)
        self.proc = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"


# ---------------------------------------------------------------- fixture types

WaitFor = Callable[..., Any]
"""The `wait_for` fixture: `wait_for(cond, timeout=15.0, what="...", interval=0.02)`."""
BrokerFactory = Callable[..., Broker]
"""The `broker` fixture: `broker(users=None, eager_save=True, extra="")` -> a started Broker."""
DaemonFactory = Callable[..., AbstractContextManager["subprocess.Popen[bytes]"]]
"""The `running_daemon` fixture: `with running_daemon(data, *options, log=None) as proc:`."""
SimFactory = Callable[..., "RunningSim"]
"""The `sim` fixture: `sim(nodes=3, topology="chain", speed=50.0, **options)` -> RunningSim."""


# ---------------------------------------------------------------- a steward's radio


@dataclass(frozen=True)
class Heard:
    sender: int
    to: int
    text: str


class Handheld:
    """A steward's radio: a real meshtastic TCPInterface on one virtual node, with an inbox
    of the texts it heard."""

    def __init__(self, port: int, num: int, hub: int) -> None:
        from meshtastic.tcp_interface import TCPInterface
        from pubsub import pub

        self.num = num
        self.hub = hub
        self._lock = threading.Lock()
        self.heard: list[Heard] = []
        self.iface = TCPInterface("127.0.0.1", portNumber=port, timeout=20)
        pub.subscribe(self._on_receive, "meshtastic.receive")

    def _on_receive(self, packet: dict[str, Any], interface: object) -> None:
        if interface is not self.iface:
            return
        decoded = packet.get("decoded", {})
        if decoded.get("portnum") != "TEXT_MESSAGE_APP":
            return
        with self._lock:
            self.heard.append(Heard(packet.get("from", 0), packet.get("to", 0), decoded["text"]))

    def send(self, text: str) -> None:
        """A DM to the hub, with want_ack as the phone apps send every DM."""
        self.iface.sendText(text, destinationId=self.hub, wantAck=True)

    def send_channel(self, text: str) -> None:
        self.iface.sendText(text)

    def texts(self, sender: int | None = None) -> list[str]:
        with self._lock:
            return [h.text for h in self.heard if sender is None or h.sender == sender]

    def mark(self) -> int:
        with self._lock:
            return len(self.heard)

    def wait(
        self,
        pred: Callable[[str], bool],
        since: int = 0,
        timeout: float = 20.0,
        dm_only: bool = False,
    ) -> str:
        """The first text from the hub heard after ``since`` that satisfies ``pred``."""

        def match() -> str | None:
            with self._lock:
                for h in self.heard[since:]:
                    if dm_only and h.to != self.num:
                        continue
                    if h.sender == self.hub and pred(h.text):
                        return h.text
            return None

        try:
            return wait_for(match, timeout, what=f"radio {self.num:#x} to hear a matching text")
        except AssertionError as e:
            raise AssertionError(f"{e}; it heard {self.texts()}") from None

    def ask(
        self, text: str, pred: Callable[[str], bool] | None = None, timeout: float = 20.0
    ) -> str:
        """Send a DM to the hub and return its first answering DM (matching ``pred``)."""
        since = self.mark()
        self.send(text)
        return self.wait(pred or (lambda _t: True), since, timeout, dm_only=True)

    def close(self) -> None:
        from pubsub import pub

        pub.unsubscribe(self._on_receive, "meshtastic.receive")
        self.iface.close()
