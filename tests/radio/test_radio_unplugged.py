"""The hub's radio unplugged mid-send and plugged back under the running daemon: the daemon
says so, reconnects by itself, and the alert it was sending still reaches the stewards.

The cable is a TCP relay between `canopy run --radio` and the simulated radio: pulling it
drops the link at the first byte the hub sends after it is armed, and refuses the hub
until it is plugged back, as a radio gone from its USB port would."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from support import DaemonFactory, Handheld, SimFactory, WaitFor, run_canopy

from hub.daemon import call


class Cable:
    """A TCP relay to ``port`` that can be pulled (mid-send) and plugged back."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.pull_at_next_send = threading.Event()
        self.plugged = threading.Event()
        self.plugged.set()
        self.cut = threading.Event()  # set once a send was cut short
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()

    def serve(self) -> None:
        while True:
            try:
                hub, _ = self.listener.accept()
            except OSError:
                return  # closed: the test is over
            if not self.plugged.is_set():
                hub.close()  # nothing on the port
                continue
            radio = socket.create_connection(("127.0.0.1", self.target))
            with self._lock:
                self._socks += [hub, radio]
            threading.Thread(target=self._pipe, args=(hub, radio, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(radio, hub, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, from_hub: bool) -> None:
        with suppress(OSError):
            while data := src.recv(4096):
                if from_hub and self.pull_at_next_send.is_set():
                    self.plugged.clear()
                    self.cut.set()
                    self.pull_at_next_send.clear()
                    self._drop()
                    return
                dst.sendall(data)
        self._drop()

    def _drop(self) -> None:
        with self._lock:
            for s in self._socks:
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._socks.clear()


@contextmanager
def cable(port: int) -> Iterator[Cable]:
    c = Cable(port)
    server = threading.Thread(target=c.serve, daemon=True)
    server.start()
    try:
        yield c
    finally:
        c.listener.close()
        c._drop()


def test_radio_unplugged_mid_send_and_back(
    hub_dir: Path,
    tmp_path: Path,
    sim: SimFactory,
    running_daemon: DaemonFactory,
    wait_for: WaitFor,
) -> None:
    mesh = sim(nodes=2, topology="full", speed=50.0)
    log = tmp_path / "daemon.log"
    radio_url = "tcp://127.0.0.1:{}"
    with (
        cable(mesh.ports[0]) as usb,
        running_daemon(hub_dir, "--radio", radio_url.format(usb.port), log=log),
    ):

        def radio() -> dict[str, object]:
            return dict(call(hub_dir / "hub.sock", "status")["services"]["radio"])

        wait_for(lambda: radio()["connected"], what="the hub's radio")
        alice = Handheld(mesh.ports[1], mesh.node_num(1), mesh.node_num(0))
        try:
            since = alice.mark()
            usb.pull_at_next_send.set()
            sent = run_canopy("alert", "Gas leak on Elm St, keep clear", data=hub_dir)
            assert sent.code == 0, sent.err  # recorded: the log does not need the radio
            wait_for(usb.cut.is_set, what="the cable pulled mid-send")
            wait_for(lambda: not radio()["connected"], what="the hub to notice")
            assert "radio disconnected" in log.read_text()
            usb.plugged.set()
            alice.wait(lambda t: t.startswith("\aALERT #") and "Gas leak" in t, since)
            assert radio()["connected"] is True
            assert "radio connected" in log.read_text().split("radio disconnected")[-1]
        finally:
            alice.close()
    alerts = run_canopy("alerts", "--json", data=hub_dir)
    assert alerts.code == 0 and "Gas leak" in alerts.out  # and in the log, once
