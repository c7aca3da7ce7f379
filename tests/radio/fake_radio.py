"""A minimal Meshtastic stream-API node for hostile-radio tests (one behaviour per test).

It answers the config handshake like firmware does (my_info, node_info, lora config,
channel 0 PRIMARY, config_complete_id) and then hands the connection to a behaviour
function, which can send anything — including garbage — and read what the client sends.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable, Iterator

from meshtastic.protobuf import channel_pb2, config_pb2, mesh_pb2, portnums_pb2

MY_NUM = 0x5EED0000
PEER = 0x5EED0001
KEY = bytes(range(32))


def frame(payload: bytes) -> bytes:
    return b"\x94\xc3" + struct.pack(">H", len(payload)) + payload


def from_radio(**kw: object) -> bytes:
    return frame(mesh_pb2.FromRadio(**kw).SerializeToString())  # type: ignore[arg-type]


def text(sender: int, body: bytes, to: int = 0xFFFFFFFF, pid: int = 1, port: int = 1) -> bytes:
    mp = mesh_pb2.MeshPacket(to=to, id=pid)
    setattr(mp, "from", sender)
    mp.decoded.portnum = port  # type: ignore[assignment]
    mp.decoded.payload = body
    return from_radio(packet=mp)


def routing(request_id: int, error: str = "NONE", sender: int = PEER) -> bytes:
    mp = mesh_pb2.MeshPacket(to=MY_NUM, id=request_id ^ 0x5555)
    setattr(mp, "from", sender)
    mp.decoded.portnum = portnums_pb2.PortNum.ROUTING_APP
    mp.decoded.request_id = request_id
    mp.decoded.payload = mesh_pb2.Routing(
        error_reason=mesh_pb2.Routing.Error.Value(error)
    ).SerializeToString()
    return from_radio(packet=mp)


class Conn:
    """One client connection: read ToRadio messages, write raw bytes."""

    def __init__(self, sock: socket.socket, index: int) -> None:
        self.sock = sock
        self.index = index  # 0 for the first connection the server accepted
        self._buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read(self) -> mesh_pb2.ToRadio | None:
        """Next ToRadio, or None when the client closed."""
        while True:
            start = self._buf.find(b"\x94\xc3")
            if start >= 0 and len(self._buf) >= start + 4:
                size = struct.unpack(">H", self._buf[start + 2 : start + 4])[0]
                if len(self._buf) >= start + 4 + size:
                    body = self._buf[start + 4 : start + 4 + size]
                    self._buf = self._buf[start + 4 + size :]
                    return mesh_pb2.ToRadio.FromString(body)
            try:
                chunk = self.sock.recv(4096)
            except OSError:
                return None
            if not chunk:
                return None
            self._buf += chunk

    def read_packet(self) -> mesh_pb2.MeshPacket | None:
        while (msg := self.read()) is not None:
            if msg.HasField("packet"):
                return msg.packet
        return None

    def handshake(self) -> bool:
        while (msg := self.read()) is not None:
            if msg.want_config_id:
                break
        else:
            return False
        nonce = msg.want_config_id
        me = mesh_pb2.User(id=f"!{MY_NUM:08x}", long_name="Fake Radio", short_name="FAKE")
        peer = mesh_pb2.User(id=f"!{PEER:08x}", long_name="Peer", short_name="PEER", public_key=KEY)
        lora = config_pb2.Config.LoRaConfig(
            use_preset=True, hop_limit=3, region=config_pb2.Config.LoRaConfig.RegionCode.EU_868
        )
        primary = channel_pb2.Channel(index=0, role=channel_pb2.Channel.Role.PRIMARY)
        self.send(
            from_radio(my_info=mesh_pb2.MyNodeInfo(my_node_num=MY_NUM))
            + from_radio(metadata=mesh_pb2.DeviceMetadata(firmware_version="9.9.9-fake"))
            + from_radio(node_info=mesh_pb2.NodeInfo(num=MY_NUM, user=me))
            + from_radio(node_info=mesh_pb2.NodeInfo(num=PEER, user=peer, last_heard=7))
            + from_radio(config=config_pb2.Config(lora=lora))
            + from_radio(channel=primary)
            + from_radio(config_complete_id=nonce)
        )
        return True


class FakeRadio:
    """TCP server on a free port; each accepted connection runs `behaviour` after the
    handshake (or instead of it when `handshake=False`)."""

    def __init__(self, behaviour: Callable[[Conn], None], handshake: bool = True) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.05)
        self._closing = False
        self.port = int(self.server.getsockname()[1])
        self.behaviour = behaviour
        self.do_handshake = handshake
        self.connections = 0
        self._threads: list[threading.Thread] = []
        self._socks: list[socket.socket] = []
        self._accept = threading.Thread(target=self._serve, daemon=True)
        self._accept.start()

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._closing:
            try:
                sock, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            self._socks.append(sock)
            conn = Conn(sock, self.connections)
            self.connections += 1
            t = threading.Thread(target=self._run, args=(conn,), daemon=True)
            self._threads.append(t)
            t.start()

    def _run(self, conn: Conn) -> None:
        with contextlib.suppress(OSError):
            if not self.do_handshake or conn.handshake():
                self.behaviour(conn)

    def close(self) -> None:
        self._closing = True
        self._accept.join(2)
        self.server.close()
        for s in self._socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        for t in self._threads:
            t.join(2)


@contextlib.contextmanager
def fake_radio(behaviour: Callable[[Conn], None], handshake: bool = True) -> Iterator[FakeRadio]:
    radio = FakeRadio(behaviour, handshake)
    try:
        yield radio
    finally:
        radio.close()


def hold_open(conn: Conn) -> None:
    """Read (and ignore) until the client goes away."""
    while conn.read() is not None:
        pass
