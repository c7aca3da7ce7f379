"""The simulated LoRa medium: airtime, CSMA, collisions, loss, duty cycle, flooding and ACKs.

Sans-IO: the caller passes simulated time (seconds) into `submit` and `advance` and gets
back `Delivery` events (a MeshPacket for the clients of one node). Nothing here touches a
socket or a clock.

Invariants:
- A node transmits only when the channel it hears is clear (CSMA with a random backoff of
  whole slots). Two transmissions that overlap at a receiver which hears both, because the
  senders cannot hear each other (hidden nodes), collide there and both are lost. A node
  that is transmitting receives nothing (half duplex).
- Flooding as Meshtastic's router: every node remembers (from, id) and handles a packet
  once; it rebroadcasts what is not addressed to itself while hop_limit > 0, with
  hop_limit - 1; a queued rebroadcast is cancelled when the node hears someone else's.
- want_ack: the destination answers a DM with a ROUTING_APP ACK (request_id = id) sent
  over the mesh; a broadcast is implicitly acknowledged by hearing a neighbour rebroadcast.
  Without an answer the originator retransmits, then NAKs MAX_RETRANSMIT to its clients.
- Partitions: a transmission started while its link is down (Link.down, simulated
  seconds) is not heard over that link; the static topology is unchanged otherwise.
- Duty cycle: a node's packets started within the sliding window may use at most the
  region's share of it; a client packet over budget is refused with DUTY_CYCLE_LIMIT.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from meshtastic.protobuf import mesh_pb2

from radio.sim.airtime import MAX_LORA_FRAME, frame_airtime_s, preset_params
from radio.sim.packets import (
    PKI_EXEMPT_PORTS,
    ROUTING,
    Delivery,
    NodeStats,
    frame_size,
    from_num,
    routing_packet,
)
from radio.sim.topology import BROADCAST_NUM, MAX_HOP_LIMIT, Link, NodeSpec, SimConfig

MAX_RETRANSMISSIONS = 3
SEEN_CAPACITY = 10_000
Error = mesh_pb2.Routing.Error


@dataclass(slots=True)
class _Tx:
    packet: mesh_pb2.MeshPacket
    size: int
    kind: str  # "origin", "relay" or "ack"
    ready_at: float
    reserved: bool = False  # duty-cycle airtime already booked at submission
    cancelled: bool = False  # a queued rebroadcast made unnecessary by someone else's


@dataclass(slots=True)
class _Rx:
    end: float
    link: Link
    collided: bool = False


@dataclass(slots=True)
class _Pending:
    packet: mesh_pb2.MeshPacket
    size: int
    broadcast: bool
    attempts: int = 1
    deadline: float = -1.0


@dataclass(slots=True)
class _Node:
    spec: NodeSpec
    queue: deque[_Tx] = field(default_factory=deque)
    tx: _Tx | None = None
    tx_serial: int = -1
    rx: dict[int, _Rx] = field(default_factory=dict)
    relays: dict[tuple[int, int], _Tx] = field(default_factory=dict)  # queued, by (from, id)
    seen: OrderedDict[tuple[int, int], None] = field(default_factory=OrderedDict)
    duty: deque[tuple[float, float]] = field(default_factory=deque)
    wake_at: float | None = None
    stats: NodeStats = field(default_factory=NodeStats)


class Medium:
    """All nodes of one mesh and the air between them, advanced by explicit times."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.params = preset_params(config.preset)
        self.rng = random.Random(config.seed)
        self.now = 0.0
        self._nodes = [_Node(spec) for spec in config.nodes]
        self._index_of = {spec.num: spec.index for spec in config.nodes}
        self._neigh = {spec.index: config.neighbours(spec.index) for spec in config.nodes}
        self._heap: list[tuple[float, int, str, Any]] = []
        self._seq = itertools.count()
        self._serial = itertools.count()
        self._pending: dict[tuple[int, int], _Pending] = {}
        self._out: list[Delivery] = []
        self.slot_s = 4 * self.params.symbol_time_s
        max_air = frame_airtime_s(MAX_LORA_FRAME, self.params)
        self._hop_round_s = 2 * (max_air + 16 * self.slot_s)
        # Observer of every transmission as it starts: (node, packet, kind, start, airtime);
        # kind is "origin", "relay" or "ack". Benchmarks count bytes on air with it.
        self.on_air: Callable[[int, mesh_pb2.MeshPacket, str, float, float], None] | None = None

    # ---- public API -------------------------------------------------------------------

    def airtime_s(self, size: int) -> float:
        return frame_airtime_s(size, self.params)

    def next_deadline(self) -> float | None:
        """Simulated time of the next internal event, or None when idle."""
        return self._heap[0][0] if self._heap else None

    def advance(self, now: float) -> list[Delivery]:
        """Run every event due at or before `now`; return what clients must receive."""
        self._run_until(now)
        return self._drain()

    def _run_until(self, now: float) -> None:
        while self._heap and self._heap[0][0] <= now:
            t, _, kind, arg = heapq.heappop(self._heap)
            self.now = max(self.now, t)
            if kind == "try":
                self._on_try(arg, t)
            elif kind == "end":
                self._on_end(arg, t)
            else:
                self._on_ack_timeout(arg, t)
        self.now = max(self.now, now)

    def submit(self, index: int, packet: mesh_pb2.MeshPacket, now: float) -> list[Delivery]:
        """A client of node `index` hands it `packet` to send at `now`."""
        self._run_until(now)
        t = self.now
        node = self._nodes[index]
        spec = node.spec
        p = mesh_pb2.MeshPacket()
        p.CopyFrom(packet)
        setattr(p, "from", spec.tx_num)
        if p.id == 0:
            p.id = self.new_id()
        # As the firmware: a client packet without a hop limit gets the node's configured one.
        p.hop_limit = min(p.hop_limit or self.config.hop_limit, MAX_HOP_LIMIT)
        p.hop_start = p.hop_limit
        for name in ("rx_time", "rx_snr", "rx_rssi", "relay_node", "public_key"):
            p.ClearField(name)
        wants_pki = p.pki_encrypted
        p.pki_encrypted = False
        if p.to == spec.num:
            return self._drain()
        dest = self._index_of.get(p.to)
        if (
            p.to != BROADCAST_NUM
            and p.HasField("decoded")
            and p.decoded.portnum not in PKI_EXEMPT_PORTS
            and spec.uses_pki
            and dest is not None
            and not self._nodes[dest].spec.legacy
        ):
            p.pki_encrypted = True
            p.public_key = spec.public_key
        elif wants_pki:
            self._local_routing(index, p.id, Error.PKI_UNKNOWN_PUBKEY)
            return self._drain()
        size = frame_size(p)
        if size > MAX_LORA_FRAME:
            self._local_routing(index, p.id, Error.TOO_LARGE)
            return self._drain()
        if not self._book_duty(node, self.airtime_s(size), t):
            self._local_routing(index, p.id, Error.DUTY_CYCLE_LIMIT)
            return self._drain()
        self._remember(node, (from_num(p), p.id))
        self._enqueue(index, _Tx(p, size, "origin", t, reserved=True))
        if p.want_ack:
            self._pending[(index, p.id)] = _Pending(p, size, p.to == BROADCAST_NUM)
        return self._drain()

    def new_id(self) -> int:
        return self.rng.getrandbits(32) or 1

    def stats(self) -> dict[str, Any]:
        """Per-node counters and totals, JSON-ready."""
        nodes = []
        totals: dict[str, float] = {}
        for n in self._nodes:
            row = asdict(n.stats)
            for k, v in row.items():
                totals[k] = totals.get(k, 0) + v
            row["airtime_s"] = round(row["airtime_s"], 6)
            nodes.append({"index": n.spec.index, "node_num": n.spec.num, **row})
        totals["airtime_s"] = round(totals.get("airtime_s", 0.0), 6)
        return {"sim_time_s": round(self.now, 6), "nodes": nodes, "totals": totals}

    # ---- scheduling -------------------------------------------------------------------

    def _push(self, t: float, kind: str, arg: Any) -> None:
        heapq.heappush(self._heap, (t, next(self._seq), kind, arg))

    def _drain(self) -> list[Delivery]:
        out, self._out = self._out, []
        return out

    def _backoff(self, slots: int) -> float:
        return (1 + self.rng.randint(0, slots)) * self.slot_s

    def _wake(self, index: int, at: float) -> None:
        node = self._nodes[index]
        if node.wake_at is None or at < node.wake_at:
            node.wake_at = at
            self._push(at, "try", index)

    def _enqueue(self, index: int, tx: _Tx) -> None:
        self._nodes[index].queue.append(tx)
        self._wake(index, tx.ready_at)

    def _book_duty(self, node: _Node, air: float, t: float) -> bool:
        pct = self.config.duty_cycle_percent
        if pct is None:
            return True
        window = self.config.duty_cycle_window_s
        while node.duty and node.duty[0][0] <= t - window:
            node.duty.popleft()
        used = sum(a for _, a in node.duty)
        if used + air > pct / 100.0 * window:
            node.stats.duty_cycle_refusals += 1
            return False
        node.duty.append((t, air))
        return True

    def _remember(self, node: _Node, key: tuple[int, int]) -> None:
        node.seen[key] = None
        if len(node.seen) > SEEN_CAPACITY:
            node.seen.popitem(last=False)

    # ---- events -----------------------------------------------------------------------

    def _on_try(self, index: int, t: float) -> None:
        node = self._nodes[index]
        if node.wake_at != t:
            return  # superseded by an earlier wake-up
        node.wake_at = None
        while node.queue and node.queue[0].cancelled:
            node.queue.popleft()
        if node.tx is not None or not node.queue:
            return
        tx = node.queue[0]  # FIFO: a later packet never overtakes the head
        if tx.ready_at > t:
            self._wake(index, tx.ready_at)
            return
        busy_until = max((rx.end for rx in node.rx.values()), default=t)
        if busy_until > t:
            self._wake(index, busy_until + self._backoff(7))
            return
        node.queue.popleft()
        if tx.kind == "relay":
            node.relays.pop((from_num(tx.packet), tx.packet.id), None)
        air = self.airtime_s(tx.size)
        if not tx.reserved and not self._book_duty(node, air, t):
            node.stats.packets_dropped += 1
            node.stats.bytes_dropped += tx.size
            if node.queue:
                self._wake(index, t)
            return
        serial = next(self._serial)
        node.tx, node.tx_serial = tx, serial
        node.stats.packets_sent += 1
        node.stats.bytes_sent += tx.size
        node.stats.airtime_s += air
        if self.on_air is not None:
            self.on_air(index, tx.packet, tx.kind, t, air)
        end = t + air
        for dst, static in self._neigh[index]:
            link = self.config.links.get((index, dst), static)  # link_down() may replace it
            if not link.is_up(t):
                continue  # partitioned: the receiver does not hear this transmission at all
            r = self._nodes[dst]
            if r.tx is not None:
                r.stats.packets_dropped += 1
                r.stats.bytes_dropped += tx.size
                continue
            rx = _Rx(end, link)
            for other in r.rx.values():
                if other.end > t:
                    other.collided = rx.collided = True
            r.rx[serial] = rx
        self._push(end, "end", index)

    def _on_end(self, index: int, t: float) -> None:
        node = self._nodes[index]
        tx, serial = node.tx, node.tx_serial
        node.tx = None
        if tx is None:
            return
        for dst, _ in self._neigh[index]:
            r = self._nodes[dst]
            rx = r.rx.pop(serial, None)
            if rx is None:
                continue
            link = rx.link
            if rx.collided or self.rng.random() < link.loss:
                r.stats.packets_dropped += 1
                r.stats.bytes_dropped += tx.size
                r.stats.collisions += 1 if rx.collided else 0
                continue
            r.stats.packets_received += 1
            r.stats.bytes_received += tx.size
            self._receive(dst, tx, link, node.spec, t)
        pend = self._pending.get((index, tx.packet.id))
        if tx.kind == "origin" and pend is not None:
            hops = max(tx.packet.hop_start, 1)
            pend.deadline = t + (hops + 1) * self._hop_round_s
            self._push(pend.deadline, "ack", (index, tx.packet.id))
        if node.queue:
            self._wake(index, t + self._backoff(3))

    def _on_ack_timeout(self, key: tuple[int, int], t: float) -> None:
        pend = self._pending.get(key)
        if pend is None or pend.deadline != t:
            return
        if pend.attempts <= MAX_RETRANSMISSIONS:
            pend.attempts += 1
            self._enqueue(key[0], _Tx(pend.packet, pend.size, "origin", t))
            return
        del self._pending[key]
        self._local_routing(key[0], key[1], Error.MAX_RETRANSMIT)

    # ---- packet handling --------------------------------------------------------------

    def _receive(self, index: int, tx: _Tx, link: Link, sender: NodeSpec, t: float) -> None:
        node = self._nodes[index]
        spec = node.spec
        p = tx.packet
        key = (from_num(p), p.id)
        if key in node.seen:
            node.stats.duplicates += 1
            queued = node.relays.pop(key, None)
            if queued is not None:
                queued.cancelled = True
            pend = self._pending.get((index, p.id)) if key[0] == spec.tx_num else None
            if pend is not None and pend.broadcast:
                del self._pending[(index, p.id)]
                self._local_routing(index, p.id, Error.NONE)
            elif p.to == spec.num and p.want_ack and p.decoded.portnum != ROUTING:
                self._send_ack(index, p, t)
            return
        self._remember(node, key)
        if key[0] == spec.num:
            return  # someone else claiming our number: the firmware drops it as our own echo
        to_us = p.to == spec.num
        if to_us or p.to == BROADCAST_NUM:
            got = mesh_pb2.MeshPacket()
            got.CopyFrom(p)
            got.rx_snr = link.snr
            got.rx_rssi = link.rssi
            got.relay_node = sender.tx_num & 0xFF
            node.stats.delivered_to_client += 1
            self._out.append(Delivery(index, got))
            if to_us and p.decoded.portnum == ROUTING and p.decoded.request_id:
                self._pending.pop((index, p.decoded.request_id), None)
            if to_us and p.want_ack and p.decoded.portnum != ROUTING:
                self._send_ack(index, p, t)
        if not to_us and p.hop_limit > 0:
            relay = mesh_pb2.MeshPacket()
            relay.CopyFrom(p)
            relay.hop_limit = p.hop_limit - 1
            node.relays[key] = _Tx(relay, tx.size, "relay", t + self._backoff(15))
            self._enqueue(index, node.relays[key])

    def _send_ack(self, index: int, p: mesh_pb2.MeshPacket, t: float) -> None:
        spec = self._nodes[index].spec
        a = routing_packet(spec.tx_num, from_num(p), self.new_id(), p.id, Error.NONE)
        # As the firmware: enough hops to get back at least as far as the request came.
        a.hop_limit = min(MAX_HOP_LIMIT, max(self.config.hop_limit, p.hop_start - p.hop_limit))
        a.hop_start = a.hop_limit
        a.channel = p.channel
        self._remember(self._nodes[index], (spec.tx_num, a.id))
        self._enqueue(index, _Tx(a, frame_size(a), "ack", t + self._backoff(3)))

    def _local_routing(self, index: int, request_id: int, error: int) -> None:
        """An ACK/NAK generated by node `index` itself for its own clients."""
        num = self._nodes[index].spec.num
        self._out.append(
            Delivery(index, routing_packet(num, num, self.new_id(), request_id, error))
        )
