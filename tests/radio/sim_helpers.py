"""Shared helpers for the simulator tests: a pubsub inbox per interface, connected library
interfaces, a raw stream client. The simulator itself is the `sim` fixture."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from meshtastic.protobuf import mesh_pb2
from meshtastic.tcp_interface import TCPInterface
from pubsub import pub

from radio.sim import Frame, FrameDecoder, encode_frame

VENV_BIN = Path(sys.executable).parent
# The meshtastic CLI looks up its newest version online during --info; keep tests offline.
OFFLINE_ENV = {
    **os.environ,
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "",
}


class Inbox:
    """Every packet the library publishes, with the interface that received it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[tuple[object, dict[str, Any]]] = []

    def on_receive(self, packet: dict[str, Any], interface: object) -> None:
        with self._lock:
            self._items.append((interface, packet))

    def of(self, iface: object, portnum: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                p
                for i, p in self._items
                if i is iface
                and (portnum is None or p.get("decoded", {}).get("portnum") == portnum)
            ]

    def texts(self, iface: object) -> list[dict[str, Any]]:
        return self.of(iface, "TEXT_MESSAGE_APP")

    def routing_for(self, iface: object, request_id: int) -> list[dict[str, Any]]:
        return [
            p for p in self.of(iface, "ROUTING_APP") if p["decoded"].get("requestId") == request_id
        ]


@contextmanager
def inbox() -> Iterator[Inbox]:
    box = Inbox()
    pub.subscribe(box.on_receive, "meshtastic.receive")
    try:
        yield box
    finally:
        pub.unsubscribe(box.on_receive, "meshtastic.receive")


@contextmanager
def interfaces(ports: list[int]) -> Iterator[list[TCPInterface]]:
    """Connected TCPInterfaces (blocking until each has its config), closed at exit."""
    opened: list[TCPInterface] = []
    try:
        for port in ports:
            opened.append(TCPInterface("127.0.0.1", portNumber=port, timeout=20))
        yield opened
    finally:
        for iface in opened:
            iface.close()


class RawClient:
    """A bare stream-API client on a socket, for hostile and high-volume tests."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.decoder = FrameDecoder()
        self.received: list[mesh_pb2.FromRadio] = []

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, msg: mesh_pb2.ToRadio) -> None:
        self.sock.sendall(encode_frame(msg.SerializeToString()))

    def read_until(self, pred: Callable[[mesh_pb2.FromRadio], bool], timeout: float = 10.0) -> bool:
        """Read FromRadio messages until one satisfies `pred`; False on EOF or timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return False
            if not data:
                return False
            hit = False
            for item in self.decoder.feed(data):
                assert isinstance(item, Frame)
                msg = mesh_pb2.FromRadio.FromString(item.payload)
                self.received.append(msg)
                hit = hit or pred(msg)
            if hit:
                return True
        return False

    def handshake(self, nonce: int = 1234) -> None:
        self.send(mesh_pb2.ToRadio(want_config_id=nonce))
        assert self.read_until(lambda m: m.config_complete_id == nonce)

    def is_closed_by_peer(self, timeout: float = 5.0) -> bool:
        self.sock.settimeout(timeout)
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except TimeoutError:
            return False
        except OSError:
            return True

    def close(self) -> None:
        self.sock.close()
