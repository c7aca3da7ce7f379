"""Test kit for MQTT: a real Mosquitto from the reference config, a collecting subscriber,
and an in-process hub daemon with the MQTT service."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from hub.daemon.loop import Daemon
from hub.local.datadir import DataDir
from hub.local.identity import create_identity
from hub.mqtt.service import MqttService
from hub.mqtt.settings import Limits, build_settings
from radio.mqttcodec import make_decoder

ROOT = Path(__file__).resolve().parents[2]
MOSQUITTO = Path("/usr/sbin/mosquitto")
PASSWD = Path("/usr/bin/mosquitto_passwd")
REFERENCE = ROOT / "deploy" / "mosquitto"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(pred: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def render_reference(
    tmp: Path, lo_port: int, lan_port: int, passwd: Path, acl: Path, *, eager_save: bool
) -> str:
    """The reference canopy.conf with this test's ports and paths on the marked lines."""
    out: list[str] = []
    for line in (REFERENCE / "canopy.conf").read_text().splitlines():
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
    """A real Mosquitto on free ports, from deploy/mosquitto/canopy.conf."""

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
            subprocess.run([str(PASSWD), "-b", str(self.passwd), user, pw], check=True)
        acl = self.dir / "canopy.acl"
        acl.write_text((REFERENCE / "acl").read_text())
        self.conf = self.dir / "mosquitto.conf"
        self.conf.write_text(
            render_reference(
                self.dir, self.port, self.lan_port, self.passwd, acl, eager_save=eager_save
            )
            + extra
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(MOSQUITTO), "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = (self.dir / "mosquitto.log").read_text(errors="replace")
                raise AssertionError(f"mosquitto exited: {log[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.02)
        raise AssertionError("mosquitto did not open its port")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)
        self.proc = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"


@dataclass
class Collector:
    """A subscriber that records every message (topic, payload, retain)."""

    port: int
    topics: tuple[str, ...] = ("canopy/#",)
    client_id: str = ""
    username: str | None = None
    password: str | None = None
    messages: list[tuple[str, bytes, bool]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    connected: threading.Event = field(default_factory=threading.Event)

    def start(self, clean: bool = True) -> Collector:
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv311,
            clean_session=clean,
        )
        if self.username:
            self.client.username_pw_set(self.username, self.password)
        self.client.reconnect_delay_set(1, 1)

        def on_connect(c: Any, u: Any, f: Any, rc: Any, p: Any) -> None:
            if not rc.is_failure:
                c.subscribe([(t, 1) for t in self.topics])
                self.connected.set()

        def on_disconnect(c: Any, u: Any, f: Any, rc: Any, p: Any) -> None:
            self.connected.clear()

        def on_message(c: Any, u: Any, m: mqtt.MQTTMessage) -> None:
            with self.lock:
                self.messages.append((m.topic, bytes(m.payload), bool(m.retain)))

        self.client.on_connect = on_connect
        self.client.on_disconnect = on_disconnect
        self.client.on_message = on_message
        self.client.connect_async("127.0.0.1", self.port, 10)
        self.client.loop_start()
        wait_for(self.connected.is_set, what="subscriber connected")
        time.sleep(0.1)  # let SUBACK land before the test publishes
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def on(self, suffix: str) -> list[dict[str, Any]]:
        with self.lock:
            msgs = list(self.messages)
        return [json.loads(p) for t, p, _ in msgs if t.endswith(suffix) and p]

    def count(self, part: str = "/log/") -> int:
        with self.lock:
            return sum(1 for t, _, _ in self.messages if part in t)

    def entries(self) -> list[dict[str, Any]]:
        with self.lock:
            msgs = list(self.messages)
        out = []
        for t, p, _ in msgs:
            if "/log/" in t:
                try:
                    out.append(json.loads(p))
                except ValueError:
                    out.append({"junk": p})  # retained junk a test planted
        return out


def make_hub(tmp: Path, name: str = "Corner Shop") -> DataDir:
    dd = DataDir(tmp / "hub")
    create_identity(dd, name)
    return dd


def service(url: str, **kw: Any) -> MqttService:
    limits = Limits(reconnect_min=1, reconnect_max=2, keepalive=5)
    settings = build_settings(url, limits=limits, **kw)
    decoder = make_decoder(settings.channel_keys) if settings.meshtastic_root else None
    return MqttService(settings, decoder)


@contextmanager
def running(dd: DataDir, *services: Any) -> Iterator[Daemon]:
    """A real daemon in this process, its loop on a thread, with the given services."""
    d = Daemon(dd)
    d.services.extend(services)
    d.start()
    t = threading.Thread(target=d.run_forever, daemon=True)
    t.start()
    try:
        yield d
    finally:
        d.stop()
        t.join(20)
        assert not t.is_alive(), "daemon loop did not stop"


def append_notes(d: Daemon, n: int, prefix: str = "n") -> None:
    def job() -> None:
        for i in range(n):
            d.core.log.append("note", {"text": f"{prefix}{i}"})

    d.submit(job, timeout=60)


class RecordingRadio:
    """Stands in for the radio service (the core's RadioPort): records what it was asked to
    send, and the unauthenticated texts handed to it from MQTT."""

    name = "radio"

    def __init__(self) -> None:
        self.sent: list[tuple[str, int, int | None]] = []
        self.events: list[Any] = []

    def start(self, daemon: Any) -> None:
        daemon.core.radio = self

    def stop(self) -> None:
        pass

    def status(self) -> dict[str, Any]:
        return {"sent": len(self.sent)}

    def send_text(self, text: str, dest: int = 0xFFFFFFFF, channel: int | None = None) -> None:
        self.sent.append((text, dest, channel))

    def send_dm(self, node: int, text: str) -> None:
        self.sent.append((text, node, None))

    def wake(self) -> None:
        pass

    def handle_unauthenticated(self, event: Any) -> None:
        self.events.append(event)
