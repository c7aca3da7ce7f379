"""End-to-end helpers: a `canopy run` hub on a simulated mesh and stewards on real
`meshtastic` TCP interfaces."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meshtastic.tcp_interface import TCPInterface
from pubsub import pub
from support import run_canopy, run_daemon

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Heard:
    sender: int
    to: int
    text: str


class Handheld:
    """A steward's radio: a real TCPInterface on one virtual node, with an inbox."""

    def __init__(self, port: int, num: int, hub: int) -> None:
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
        self.iface.sendText(text, destinationId=self.hub)

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
        timeout: float = 15.0,
        dm_only: bool = False,
    ) -> str:
        """The first text from the hub heard after ``since`` that satisfies ``pred``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for h in self.heard[since:]:
                    if dm_only and h.to != self.num:
                        continue
                    if h.sender == self.hub and pred(h.text):
                        return h.text
            time.sleep(0.02)
        raise AssertionError(f"radio {self.num:#x} heard nothing matching; got {self.texts()}")

    def ask(self, text: str, pred: Callable[[str], bool] | None = None) -> str:
        since = self.mark()
        self.send(text)
        return self.wait(pred or (lambda _t: True), since, dm_only=True)

    def close(self) -> None:
        pub.unsubscribe(self._on_receive, "meshtastic.receive")
        self.iface.close()


@contextmanager
def running_hub(
    data: Path, radio_port: int, *extra: str, clock_file: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    args = ["--radio", f"tcp://127.0.0.1:{radio_port}", *extra]
    if clock_file is not None:
        args += ["--clock-offset-file", str(clock_file)]
    with run_daemon(data, data.parent / "hub.log", *args) as proc:
        yield proc


def canopy_json(*args: str, data: Path) -> Any:
    r = run_canopy(*args, "--json", data=data)
    assert r.code == 0, r.err
    return (
        json.loads(r.out)
        if "\n" not in r.out.strip()
        else [json.loads(line) for line in r.out.splitlines() if line.strip()]
    )


def canopy_ok(*args: str, data: Path) -> str:
    r = run_canopy(*args, data=data)
    assert r.code == 0, r.err
    return r.out


__all__ = ["Handheld", "canopy_json", "canopy_ok", "run_canopy", "running_hub"]
