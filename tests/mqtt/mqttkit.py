"""Test kit for MQTT: a collecting subscriber, the MQTT service with quick reconnects, and an
in-process hub daemon with given services. The broker itself is the `broker` fixture
(support.Broker)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from support import daemon_thread, wait_for

from hub.daemon import Daemon
from hub.local import DataDir, create_identity
from hub.mqtt import Limits, MqttService, build_settings
from radio.mqttcodec import make_decoder


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
    subscribed: threading.Event = field(default_factory=threading.Event)

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

        def on_subscribe(c: Any, u: Any, mid: Any, rcs: Any, p: Any) -> None:
            self.subscribed.set()

        def on_disconnect(c: Any, u: Any, f: Any, rc: Any, p: Any) -> None:
            self.connected.clear()
            self.subscribed.clear()

        def on_message(c: Any, u: Any, m: mqtt.MQTTMessage) -> None:
            with self.lock:
                self.messages.append((m.topic, bytes(m.payload), bool(m.retain)))

        self.client.on_connect = on_connect
        self.client.on_subscribe = on_subscribe
        self.client.on_disconnect = on_disconnect
        self.client.on_message = on_message
        self.client.connect_async("127.0.0.1", self.port, 10)
        self.client.loop_start()
        # the SUBACK, not just CONNACK: only then does the broker route the test's publishes here
        wait_for(self.subscribed.is_set, what="subscriber's SUBACK")
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
    with daemon_thread(d):
        yield d


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
