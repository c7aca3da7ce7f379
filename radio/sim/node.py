"""A virtual Meshtastic node: a TCP server speaking the stream API to any number of clients.

Each connection is read by its own task, so a client that never completes the handshake, or
sends garbage, blocks nobody. Frames announcing more than 512 bytes and undecodable
protobufs are logged and skipped; after MAX_ERRORS of them in a row the stream is considered
unrecoverable and the connection is dropped. A client that does not read its packets is
dropped when its unsent output passes MAX_BACKLOG bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from google.protobuf.message import DecodeError
from meshtastic.protobuf import mesh_pb2, portnums_pb2

from radio.sim.handshake import admin_reply, handshake, routing_ack
from radio.sim.stream import Frame, FrameDecoder, encode_frame
from radio.sim.topology import SimConfig

log = logging.getLogger(__name__)

MAX_ERRORS = 8
MAX_BACKLOG = 1 << 20
READ_SIZE = 4096

# Called with (node index, packet from a client); the simulation feeds it to the medium.
SubmitFn = Callable[[int, mesh_pb2.MeshPacket], None]


class _Client:
    """One TCP connection to a virtual node."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.configured = False
        self.peer = writer.get_extra_info("peername")

    def send(self, msg: mesh_pb2.FromRadio) -> bool:
        """Queue one FromRadio; False when the client is gone or too far behind."""
        if self.writer.is_closing():
            return False
        if self.writer.transport.get_write_buffer_size() > MAX_BACKLOG:
            log.warning("client %s does not read; dropping it", self.peer)
            self.writer.close()
            return False
        self.writer.write(encode_frame(msg.SerializeToString()))
        return True


class VirtualNode:
    """Node `index` of the mesh as its clients see it."""

    def __init__(self, config: SimConfig, index: int, submit: SubmitFn) -> None:
        self.config = config
        self.index = index
        self.spec = config.nodes[index]
        self._submit = submit
        self._clients: set[_Client] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.server: asyncio.Server | None = None

    async def start(self, host: str, port: int, reuse_port: bool = False) -> None:
        self.server = await asyncio.start_server(
            self._on_connect, host, port, reuse_port=reuse_port or None
        )

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for client in list(self._clients):
            client.writer.close()  # the reader sees EOF and its task ends by itself
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=2.0)
            for task in late:
                task.cancel()
            if late:
                await asyncio.gather(*late, return_exceptions=True)
        if self.server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 2.0)

    def deliver(self, packet: mesh_pb2.MeshPacket) -> None:
        """Hand a received packet to every configured client of this node."""
        if not packet.rx_time:
            packet.rx_time = int(time.time())
        msg = mesh_pb2.FromRadio(packet=packet)
        for client in list(self._clients):
            if client.configured and not client.send(msg):
                self._clients.discard(client)

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        client = _Client(writer)
        self._clients.add(client)
        log.info("node %d: client %s connected", self.index, client.peer)
        try:
            await self._serve(reader, client)
        except (ConnectionError, OSError) as e:
            log.info("node %d: client %s connection error: %s", self.index, client.peer, e)
        except asyncio.CancelledError:
            log.debug("node %d: client %s cancelled at shutdown", self.index, client.peer)
        finally:
            self._clients.discard(client)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            if task is not None:
                self._tasks.discard(task)
            log.info("node %d: client %s gone", self.index, client.peer)

    async def _serve(self, reader: asyncio.StreamReader, client: _Client) -> None:
        decoder = FrameDecoder()
        errors = 0
        while True:
            data = await reader.read(READ_SIZE)
            if not data:
                return
            for item in decoder.feed(data):
                if isinstance(item, Frame) and self._on_frame(client, item.payload):
                    errors = 0
                    continue
                errors += 1
                if not isinstance(item, Frame):
                    log.warning("node %d: frame length %d > 512", self.index, item.length)
                if errors >= MAX_ERRORS:
                    log.warning("node %d: unrecoverable stream from %s", self.index, client.peer)
                    return
            if client.writer.is_closing():
                return
            await client.writer.drain()

    def _on_frame(self, client: _Client, payload: bytes) -> bool:
        """Handle one ToRadio; False if it could not be decoded."""
        msg = mesh_pb2.ToRadio()
        try:
            msg.ParseFromString(payload)
        except DecodeError as e:
            log.warning("node %d: undecodable ToRadio (%d bytes): %s", self.index, len(payload), e)
            return False
        which = msg.WhichOneof("payload_variant")
        log.debug("node %d: ToRadio %s from %s", self.index, which, client.peer)
        if which == "want_config_id":
            for out in handshake(self.config, self.index, msg.want_config_id, int(time.time())):
                client.send(out)
            client.configured = True
        elif which == "packet":
            self._on_packet(client, msg.packet)
        elif which == "disconnect":
            client.writer.close()
        elif which == "heartbeat":
            log.debug("node %d: heartbeat", self.index)
        else:
            log.debug("node %d: ignoring ToRadio %s", self.index, which)
        return True

    def _on_packet(self, client: _Client, packet: mesh_pb2.MeshPacket) -> None:
        local = packet.to in (0, self.spec.num)
        if local and packet.decoded.portnum == portnums_pb2.PortNum.ADMIN_APP:
            try:
                reply = admin_reply(self.config, self.index, packet)
            except DecodeError as e:
                log.warning("node %d: undecodable admin message: %s", self.index, e)
                return
            if reply is None and packet.want_ack:
                reply = routing_ack(self.spec.num, packet)
            if reply is not None:
                reply.id = (packet.id ^ 0x5EED) or 1
                client.send(mesh_pb2.FromRadio(packet=reply))
            return
        if local:
            log.debug(
                "node %d: ignoring local packet on port %d", self.index, packet.decoded.portnum
            )
            return
        self._submit(self.index, packet)
