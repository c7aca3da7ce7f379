"""serial:// through the real library, over a pseudo-terminal: unplug and replug the "cable".

The device path is a symlink to the pty's slave end, like a udev name for a USB radio;
unplugging closes the master end (the library's reader sees the port vanish) and removes the
link; replugging makes a new pty and points the link at it.
"""

from __future__ import annotations

import os
import pty
import select
import threading
import tty
from pathlib import Path

from adapter_helpers import Events, fast_backoff
from fake_radio import PEER, Conn, hold_open, routing, text

from radio.adapter import RadioAdapter
from radio.events import Connected, Disconnected, SendResult, TextReceived


class PtyEnd:
    """The radio's end of a pty, with the socket methods `Conn` uses."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.closed = False

    def recv(self, n: int) -> bytes:
        # Poll, so that unplug() can stop the reader before closing the fd (a read blocked
        # in another thread would keep the pty alive).
        while not self.closed:
            if select.select([self.fd], [], [], 0.05)[0]:
                return os.read(self.fd, n)  # OSError (EIO) once the client side is closed
        raise OSError("unplugged")

    def sendall(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]


class SerialRadio:
    """A fake radio behind a pty; `plug()` / `unplug()` simulate the USB cable."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.plugs = 0
        self.end: PtyEnd | None = None
        self.slave = -1
        self.thread: threading.Thread | None = None
        self.packets: list[bytes] = []

    def plug(self) -> None:
        master, slave = pty.openpty()
        tty.setraw(master)
        os.symlink(os.ttyname(slave), self.link)
        self.slave = slave  # held open, or the master end reads EIO before the client opens it
        self.end = PtyEnd(master)
        conn = Conn(self.end, self.plugs)  # type: ignore[arg-type]
        self.plugs += 1
        self.thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
        self.thread.start()

    def _serve(self, conn: Conn) -> None:
        if not conn.handshake():
            return
        conn.send(text(PEER, f"hello over serial #{conn.index}".encode(), pid=100 + conn.index))
        while (packet := conn.read_packet()) is not None:
            self.packets.append(packet.decoded.payload)
            if packet.want_ack:
                conn.send(routing(packet.id))
        hold_open(conn)

    def unplug(self) -> None:
        self.link.unlink()
        if self.end is not None:
            self.end.closed = True
            if self.thread is not None:
                self.thread.join(5)
            os.close(self.end.fd)
            os.close(self.slave)


def test_serial_radio_unplugged_and_replugged(tmp_path: Path) -> None:
    radio = SerialRadio(tmp_path / "ttyCANOPY")
    radio.plug()
    ev = Events()
    adapter = RadioAdapter(f"serial://{radio.link}", ev, backoff=fast_backoff())
    adapter.start()
    try:
        ev.wait(lambda: ev.of(TextReceived), what="text over serial")
        assert ev.of(TextReceived)[0].text == "hello over serial #0"
        radio.unplug()
        ev.wait(lambda: ev.of(Disconnected), what="Disconnected after unplug")
        [oid] = adapter.send_text("sent while unplugged", dest=PEER, want_ack=True)
        ev.wait(lambda: adapter.status()["connects"] == 1 and adapter.status()["last_error"])
        radio.plug()
        ev.wait(lambda: len(ev.of(Connected)) == 2, what="reconnect after replug")
        ev.wait(lambda: ev.of(SendResult), what="SendResult")
        assert ev.of(SendResult) == [SendResult(oid, True, "ACK")]
        assert b"sent while unplugged" in radio.packets
        ev.wait(lambda: len(ev.of(TextReceived)) == 2)
    finally:
        adapter.stop()
        if radio.link.is_symlink():
            radio.unplug()
