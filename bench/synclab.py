"""Hubs on the simulated LoRa mesh, in simulated time, for bench_sync.py.

Each hub is a real HubCore over a real data directory (signed own feed, verified replicas)
with a sync protocol on top: the real :class:`hub.sync.engine.SyncEngine`, or one of two
baselines written here (:class:`Flood`, :class:`Walk`). Their frames travel as Meshtastic
packets on port 300 through the real sans-IO :class:`radio.sim.medium.Medium`; a
discrete-event loop advances to the next medium deadline or protocol wake-up.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import random
import shutil
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from unittest import mock

from meshtastic.protobuf import mesh_pb2, portnums_pb2

from crypto.keys import SigningKey
from hub.daemon import HubCore
from hub.daemon.ops import run_op
from hub.errors import InputError
from hub.local import DataDir, create_identity
from hub.log import ForkFound
from hub.sync import LogStore, Send, SyncEngine, SyncPolicy
from hub.sync import frames as fr
from hub.sync.stream import pack, take, whole
from radio.outqueue import airtime_seconds
from radio.sim import BROADCAST_NUM, Medium, SimConfig, frame_size, from_num

EPOCH = 1_800_000_000.0  # simulated t = 0 on the hubs' clocks
SHOPS = ["Bakery", "Laundromat", "Pharmacy", "Bookshop", "Grocer", "Cafe", "Florist",
         "Hardware", "Barber", "Tailor"]  # fmt: skip
HANDLES = ["mara", "jo", "dev", "sam", "ari", "lee", "kim", "noor"]
PLACES = ["Elm St", "the park gate", "5th and Main", "Oak Ave", "the bus stop",
          "the school", "the canal path", "Birch Ct"]  # fmt: skip
NOTES = ["Lights out on {}", "Gate open at {}, closed it", "Quiet round past {}",
         "Broken glass near {}", "Dog loose at {}", "Van parked on {} all night"]  # fmt: skip
INCIDENTS = ["Car break-in on {}, police called", "Shouting at {}, calmed down",
             "Bike stolen from {}", "Fire alarm at {}, false alarm"]  # fmt: skip


def realistic_entry(rng: random.Random) -> tuple[str, dict[str, Any], str]:
    """A steward's check-in, check-out, note or incident: (kind, fields, author)."""
    who, where = rng.choice(HANDLES), rng.choice(PLACES)
    r = rng.random()
    if r < 0.40:
        fields: dict[str, Any] = {"minutes": rng.choice([30, 45, 60, 90])}
        if rng.random() < 0.3:
            fields["text"] = f"at {where}"
        return "checkin", fields, who
    if r < 0.60:
        return "checkout", ({"text": "all quiet"} if rng.random() < 0.3 else {}), who
    if r < 0.90:
        return "note", {"text": rng.choice(NOTES).format(where)}, who
    return "incident", {"text": rng.choice(INCIDENTS).format(where)}, who


class Clock:
    def __init__(self, t: float = 0.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return EPOCH + self.t


def build_neighbourhood(root: Path, n: int, history: int, seed: int) -> list[Path]:
    """``n`` federated hubs, each with ``history`` entries of its own, everyone already
    holding everyone's feed (verified replicas): the state after a long quiet warm-up.
    Keys come from ``seed`` (feed ids set the back-off order), so a run repeats exactly."""
    rng = random.Random(seed)
    clock = Clock(-86_400.0)
    cores = []
    for name in SHOPS[:n]:
        dd = DataDir(root / name.lower())
        key = SigningKey(hashlib.sha256(f"bench-sync {seed} {name}".encode()).digest())
        with mock.patch.object(SigningKey, "generate", lambda key=key: key):
            create_identity(dd, name)
        core = HubCore(dd, clock)
        core.open()
        cores.append(core)
    for a in cores:
        for b in cores:
            if a is not b:
                ident = b.log.identity
                assert ident is not None
                run_op(a, "peer_add", {"vkey": ident.verifier.to_string(), "name": ident.name})
    for core in cores:
        for _ in range(history):
            clock.t += rng.uniform(60, 600)
            kind, fields, author = realistic_entry(rng)
            core.log.append(kind, fields, author=author, sync=False)
    for a in cores:
        own = a.log.own
        assert own is not None
        raws = own.read_range(0, len(own))
        for b in cores:
            if b is not a:
                b.log.store_replica(a.log.feed_hex, 0, raws)
    for core in cores:
        core.close()
    return [root / name.lower() for name in SHOPS[:n]]


# -- the protocols -----------------------------------------------------------------------


class SyncProtocol(Protocol):
    def start(self, now: float) -> None: ...
    def appended(self, now: float) -> None: ...
    def next_wake(self) -> float: ...
    def tick(self, now: float) -> list[Any]: ...
    def on_frame(
        self, data: bytes, sender: int, now: float, relayed: bool = False
    ) -> list[Any]: ...


def _store(store: LogStore, feed: bytes, start: int, raws: list[bytes]) -> int:
    """Verify and store what extends the copy; the number of entries newly stored."""
    before = store.size(feed)
    if start > before:
        return 0
    try:
        return store.store(feed, start, raws) - before
    except (InputError, ForkFound):
        return 0


class Flood:
    """Naive flood: a hub broadcasts each entry it writes or newly receives once, one entry
    per packet, and every ``round_s`` rebroadcasts every entry it holds (its only way to
    repair a hub that missed something). No summaries, no requests, no airtime ledger."""

    def __init__(self, store: LogStore, rng: random.Random, round_s: float = 1800.0) -> None:
        self.store, self.rng, self.round_s = store, rng, round_s
        self.out: deque[tuple[bytes, int]] = deque()  # (feed, index) to send
        self.next_round = 0.0
        self.due: float | None = None

    def start(self, now: float) -> None:
        self.next_round = now + self.rng.uniform(0, self.round_s)

    def appended(self, now: float) -> None:
        self.out.append((self.store.own, self.store.size(self.store.own) - 1))
        self.due = now

    def next_wake(self) -> float:
        return self.next_round if self.due is None else min(self.due, self.next_round)

    def tick(self, now: float) -> list[Any]:
        if now >= self.next_round:
            self.next_round = now + self.round_s
            for feed in self.store.feeds():
                self.out.extend((feed, i) for i in range(self.store.size(feed)))
        sends, self.due = [], None
        while self.out:
            feed, i = self.out.popleft()
            raw = self.store.read(feed, i, i + 1)[0]
            sends.append(Send(fr.encode(whole(feed[: fr.FEED_ID], i, [raw]))))
        return sends

    def on_frame(self, data: bytes, sender: int, now: float, relayed: bool = False) -> list[Any]:
        frame = fr.decode(data)
        if not isinstance(frame, fr.Entries):
            return []
        feed = next((k for k in self.store.feeds() if k[: fr.FEED_ID] == frame.feed), None)
        if feed is None or feed == self.store.own:
            return []
        heard = take(frame, None)
        n = len(heard.raws)
        got = _store(self.store, feed, heard.start, heard.raws)
        if got:
            self.out.extend((feed, heard.start + i) for i in range(n - got, n))
            self.due = now
        return []


class Walk:
    """One request per entry, as Meshtastic's experimental Store & Forward++ catches up:
    each hub announces its tips (per feed: size) every ``tip_s``; a hub that is behind asks
    for the next entry it lacks; every hub holding it answers; the asker then asks for the
    next one (one round trip per entry), or again after ``timeout_s``."""

    def __init__(
        self, store: LogStore, rng: random.Random, tip_s: float = 300.0, timeout_s: float = 30.0
    ) -> None:
        self.store, self.rng, self.tip_s, self.timeout_s = store, rng, tip_s, timeout_s
        self.heard: dict[bytes, int] = {}  # feed -> largest size heard
        self.next_tip = 0.0
        self.ask_at: float | None = None
        self.answers: list[tuple[float, bytes, int]] = []  # (due, feed, index)

    def _feed(self, fid: bytes) -> bytes | None:
        return next((k for k in self.store.feeds() if k[: fr.FEED_ID] == fid), None)

    def start(self, now: float) -> None:
        self.next_tip = now + self.rng.uniform(0, self.tip_s)

    def appended(self, now: float) -> None:
        pass

    def next_wake(self) -> float:
        times = [self.next_tip, *(due for due, _, _ in self.answers)]
        return min(times + ([self.ask_at] if self.ask_at is not None else []))

    def _lagging(self) -> bytes | None:
        return next((f for f, n in self.heard.items() if n > self.store.size(f)), None)

    def tick(self, now: float) -> list[Any]:
        sends: list[Any] = []
        if now >= self.next_tip:
            self.next_tip = now + self.tip_s
            rows = [
                fr.Frontier(f[: fr.FEED_ID], self.store.size(f), self.store.root(f)[: fr.ROOT_ID])
                for f in self.store.feeds()
            ]
            sends.append(Send(fr.encode(fr.Summary(self.store.own[: fr.FEED_ID], tuple(rows)))))
        for due, fid, i in [a for a in self.answers if a[0] <= now]:
            self.answers.remove((due, fid, i))
            feed = self._feed(fid)
            if feed is not None and i < self.store.size(feed):
                raw = self.store.read(feed, i, i + 1)[0]
                sends.append(Send(fr.encode(whole(fid, i, [raw]))))
        if self.ask_at is not None and now >= self.ask_at:
            self.ask_at = None
            feed = self._lagging()
            if feed is not None:
                sends.append(Send(fr.encode(fr.Request(feed[:4], self.store.size(feed), 1))))
                self.ask_at = now + self.timeout_s
        return sends

    def _plan_ask(self, now: float) -> None:
        if self._lagging() is not None and self.ask_at is None:
            self.ask_at = now + self.rng.uniform(0.2, 2.0)

    def on_frame(self, data: bytes, sender: int, now: float, relayed: bool = False) -> list[Any]:
        frame = fr.decode(data)
        if isinstance(frame, fr.Summary):
            for row in frame.feeds:
                feed = self._feed(row.feed)
                if feed is not None and row.size > self.heard.get(feed, 0):
                    self.heard[feed] = row.size
            self._plan_ask(now)
        elif isinstance(frame, fr.Request):
            feed = self._feed(frame.feed)
            if feed is not None and frame.start < self.store.size(feed):
                self.answers.append((now + self.rng.uniform(0.2, 2.0), frame.feed, frame.start))
        elif isinstance(frame, fr.Entries):
            feed = self._feed(frame.feed)
            if feed is not None and feed != self.store.own:
                heard = take(frame, None)
                got = _store(self.store, feed, heard.start, heard.raws)
                if got:
                    self.heard[feed] = max(self.heard.get(feed, 0), self.store.size(feed))
                    self.ask_at = None  # the answer came: ask for the next one now
                    self._plan_ask(now)
        return []


# -- hubs on the mesh --------------------------------------------------------------------


@dataclass
class Hub:
    name: str
    node: int  # index of its radio in the mesh
    path: Path
    kind: str  # "engine", "flood" or "walk"
    seed: int
    core: HubCore | None = None
    store: LogStore | None = None
    proto: SyncProtocol | None = None
    ticked_at: float = -1.0

    @property
    def up(self) -> bool:
        return self.proto is not None

    def feed(self) -> bytes:
        assert self.store is not None
        return self.store.own


@dataclass(slots=True)
class OnAir:
    t: float
    node: int
    kind: str  # "origin" (a hub's own frame), "relay" (a rebroadcast by the mesh), "ack"
    size: int  # bytes on air: 16-byte header + encoded Data (what frame_size counts)
    air: float  # seconds
    frame: int  # sync frame type (first payload byte), 0 for other ports


def make_protocol(
    kind: str, store: LogStore, rng: random.Random, name: str, hop_limit: int = 1
) -> SyncProtocol:
    if kind == "engine":
        policy = SyncPolicy(hop_limit=hop_limit)  # as the daemon: it sends with its policy's
        return SyncEngine(store.own, store, engine_airtime, policy, rng, name=name)
    if kind == "flood":
        return Flood(store, rng)
    return Walk(store, rng)


def engine_airtime(payload_len: int) -> float:
    """What the hub's radio reports to the engine (radio.service): LONG_FAST, payload + 16."""
    return airtime_seconds(payload_len, "LONG_FAST")


class Net:
    """The mesh, the hubs on some of its nodes, and the simulated clock."""

    def __init__(self, config: SimConfig, hubs: list[Hub], hop_limit: int) -> None:
        self.config = config
        self.medium = Medium(config)
        self.medium.on_air = self._on_air
        self.hubs = hubs
        self.by_node = {h.node: h for h in hubs}
        self.hop_limit = hop_limit
        self.clock = Clock(0.0)
        self.log: list[OnAir] = []
        self.refused = 0  # frames the firmware refused (duty cycle)
        self._mine: set[int] = set()
        self._events: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self.stored_changed = False
        self.on_sync_frame: Callable[[Hub, bytes, int], None] | None = None

    # -- hubs ------------------------------------------------------------------------
    def boot(self, hub: Hub) -> None:
        core = HubCore(DataDir(hub.path), self.clock)
        core.open()
        hub.core, hub.store = core, LogStore(core)
        hub.proto = make_protocol(
            hub.kind, hub.store, random.Random(hub.seed), hub.name, self.hop_limit
        )
        hub.proto.start(self.clock.t)
        hub.ticked_at = -1.0

    def halt(self, hub: Hub) -> None:
        if hub.core is not None:
            hub.core.close()
        hub.core = hub.store = hub.proto = None

    def write(self, hub: Hub, rng: random.Random) -> None:
        assert hub.core is not None and hub.proto is not None
        kind, fields, author = realistic_entry(rng)
        hub.core.log.append(kind, fields, author=author, sync=False)
        hub.proto.appended(self.clock.t)

    def at(self, t: float, fn: Callable[[], None]) -> None:
        heapq.heappush(self._events, (t, next(self._seq), fn))

    # -- the loop ----------------------------------------------------------------------
    def _wake(self, hub: Hub) -> float:
        assert hub.proto is not None
        w = hub.proto.next_wake()
        return w if w > hub.ticked_at else hub.ticked_at + 1.0  # deferred: look again in 1 s

    def run(self, until: float, done: Callable[[], bool] | None = None) -> float | None:
        """Advance to ``until``; with ``done``, stop (and return the time) once it holds."""
        while True:
            times = [self._wake(h) for h in self.hubs if h.up]
            deadline = self.medium.next_deadline()
            if deadline is not None:
                times.append(deadline)
            if self._events:
                times.append(self._events[0][0])
            t = max(self.clock.t, min(times, default=until))
            if t > until:
                self._step(until)
                return None
            self._step(t)
            if done is not None and self.stored_changed:
                self.stored_changed = False
                if done():
                    return t

    def _step(self, t: float) -> None:
        self.clock.t = t
        for d in self.medium.advance(t):
            self._deliver(d.node, d.packet)
        while self._events and self._events[0][0] <= t:
            heapq.heappop(self._events)[2]()
        for h in self.hubs:
            if h.proto is not None and self._wake(h) <= t:
                h.ticked_at = t
                self._perform(h, h.proto.tick(t))

    def _deliver(self, node: int, p: mesh_pb2.MeshPacket) -> None:
        if p.decoded.portnum == portnums_pb2.PortNum.ROUTING_APP:
            if p.decoded.request_id in self._mine:
                r = mesh_pb2.Routing.FromString(p.decoded.payload)
                self.refused += r.error_reason == mesh_pb2.Routing.Error.DUTY_CYCLE_LIMIT
            return
        hub = self.by_node.get(node)
        if p.decoded.portnum != fr.PORT or hub is None or hub.proto is None:
            return
        payload = p.decoded.payload
        if self.on_sync_frame is not None:
            self.on_sync_frame(hub, payload, from_num(p))
        if payload[:1] in (b"\x03", b"\x04"):
            self.stored_changed = True
        relayed = p.hop_start > p.hop_limit
        self._perform(hub, hub.proto.on_frame(payload, from_num(p), self.clock.t, relayed))

    def _perform(self, hub: Hub, actions: list[Any]) -> None:
        for a in actions:
            if not isinstance(a, Send):
                continue
            p = mesh_pb2.MeshPacket(to=BROADCAST_NUM, hop_limit=self.hop_limit)
            p.decoded.portnum = fr.PORT  # type: ignore[assignment]
            p.decoded.payload = a.payload
            p.id = self.medium.new_id()
            self._mine.add(p.id)
            for d in self.medium.submit(hub.node, p, self.clock.t):
                self._deliver(d.node, d.packet)

    def _on_air(self, node: int, p: mesh_pb2.MeshPacket, kind: str, t: float, air: float) -> None:
        sync = p.decoded.portnum == fr.PORT and p.decoded.payload
        self.log.append(
            OnAir(t, node, kind, frame_size(p), air, p.decoded.payload[0] if sync else 0)
        )

    # -- measuring ---------------------------------------------------------------------
    def held(self, hub: Hub, feed: bytes) -> int:
        assert hub.store is not None
        return hub.store.size(feed)

    def window(self, t0: float, t1: float) -> list[OnAir]:
        return [x for x in self.log if t0 <= x.t <= t1]


def packet_bytes(payload: bytes) -> int:
    """Bytes on air of a sync frame as a Meshtastic broadcast (header + encoded Data)."""
    p = mesh_pb2.MeshPacket(to=BROADCAST_NUM)
    p.decoded.portnum = fr.PORT  # type: ignore[assignment]
    p.decoded.payload = payload
    return frame_size(p)


def _fewest_frames(feeds: list[tuple[bytes, int, list[bytes]]]) -> list[bytes]:
    """The fewest ENTRIES frames (one stream per feed, in order) that carry these entries:
    (feed, start, entries) each. No summaries, requests or losses."""
    out: list[bytes] = []
    for feed, start, raws in feeds:
        if raws:
            frames, _ = pack(feed[: fr.FEED_ID], start, raws, 10**6)
            out += [fr.encode(f) for f in frames]
    return out


def framing_floor(feeds: list[tuple[bytes, int, list[bytes]]]) -> int:
    """Bytes on air of :func:`_fewest_frames`."""
    return sum(packet_bytes(p) for p in _fewest_frames(feeds))


def floor_airtime(feeds: list[tuple[bytes, int, list[bytes]]]) -> float:
    """Seconds on air (LONG_FAST) of :func:`_fewest_frames`."""
    return sum(airtime_seconds(packet_bytes(p) - 16) for p in _fewest_frames(feeds))


def copy_neighbourhood(template: list[Path], dest: Path) -> list[Path]:
    out = []
    for src in template:
        shutil.copytree(src, dest / src.name)
        out.append(dest / src.name)
    return out


@dataclass
class Tally:
    """Sync traffic in a window: the hubs' own frames and the mesh's rebroadcasts."""

    frames: int = 0
    bytes: int = 0
    relayed_frames: int = 0
    relayed_bytes: int = 0
    by_type: dict[int, int] = field(default_factory=dict)
    airtime: dict[int, float] = field(default_factory=dict)  # per node, all it transmitted

    @classmethod
    def of(cls, records: list[OnAir]) -> Tally:
        t = cls()
        for x in records:
            t.airtime[x.node] = t.airtime.get(x.node, 0.0) + x.air
            if x.frame == 0:
                continue
            if x.kind == "origin":
                t.frames += 1
                t.bytes += x.size
                t.by_type[x.frame] = t.by_type.get(x.frame, 0) + 1
            elif x.kind == "relay":
                t.relayed_frames += 1
                t.relayed_bytes += x.size
        return t
