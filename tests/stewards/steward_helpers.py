"""Helpers for the steward tests: the steward desk with a hand-driven clock, writing to an
in-memory log (no disk), or to a real hub core on a data dir when a test needs the daemon's
ops or a restart."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tinydb import TinyDB
from tinydb.storages import MemoryStorage

from hub.daemon import DeliveryStore, HubCore
from hub.local import DataDir, Invite, burn_invite, create_identity, create_invite, redeem_invite
from hub.log import Body, FieldValue, LoggedEntry, make_body
from hub.state import HubState
from radio.desk import Action, Broadcast, DeskPolicy, Refusal, Reply, StewardDesk
from radio.events import BROADCAST, TextReceived

HUB = 0x1000_0001
T0 = 1_800_000_000.0


class FakeClock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def new_core(root: Path, clock: FakeClock, *, reopen: bool = False) -> HubCore:
    """A hub core in ``root``: a new hub, or (``reopen``) the one already there, as a
    restarted daemon opens it."""
    dd = DataDir(root)
    if not reopen:
        create_identity(dd, "Corner Shop")
    core = HubCore(dd, clock)
    core.open()
    return core


@dataclass
class Radio:
    """A steward's handheld as the hub sees it: node number and PKI key."""

    num: int
    pkey: bytes = field(default_factory=lambda: os.urandom(32))
    next_id: int = 1

    def dm(
        self,
        text: str,
        *,
        pki: bool = True,
        key: bytes | None = None,
        to: int = HUB,
        packet_id: int | None = None,
    ) -> TextReceived:
        if packet_id is None:
            packet_id = self.next_id
            self.next_id += 1
        return TextReceived(
            from_num=self.num,
            to_num=to,
            packet_id=packet_id,
            channel=0,
            text=text,
            pki_encrypted=pki,
            public_key=(key or self.pkey) if pki else None,
            rx_time=None,
            hop_start=3,
            hop_limit=3,
            rx_snr=None,
            rx_rssi=None,
        )

    def channel(self, text: str) -> TextReceived:
        return self.dm(text, pki=False, to=BROADCAST)


class MemoryLog:
    """The hub's own feed in memory: each append builds the entry body and folds it into the
    hub's state, as the real log's listener does. Nothing is signed or written."""

    FEED = "00" * 32

    def __init__(self, state: HubState, clock: FakeClock) -> None:
        self.state = state
        self.clock = clock
        self.bodies: list[Body] = []

    def append(
        self, kind: str, fields: dict[str, FieldValue], author: str = ""
    ) -> tuple[int, Body]:
        body = make_body(kind, fields, time=int(self.clock()), author=author)
        index = len(self.bodies)
        self.bodies.append(body)
        self.state.apply(LoggedEntry(self.FEED, index, b"", body))
        return index, body


class Desk:
    """A StewardDesk driven by hand. With ``root=None`` (the `desk` fixture) it writes to a
    :class:`MemoryLog` and keeps invites in TinyDB's in-memory storage: no disk at all. With
    a ``root`` it runs on a real HubCore there (signed, durable log; TinyDB), so a test can
    call the daemon's ops (``run_op(desk.core, …)``) or reopen the data dir."""

    def __init__(
        self,
        root: Path | None = None,
        policy: DeskPolicy | None = None,
        *,
        reopen: FakeClock | None = None,
    ) -> None:
        """``reopen``: the clock of a desk closed on ``root`` (a restart, its time going on)."""
        self.clock = reopen or FakeClock()
        self.core: HubCore | None = None
        self.log: MemoryLog | None = None
        if root is None:
            self.db = TinyDB(storage=MemoryStorage)
            self.state = HubState(MemoryLog.FEED)
            self.deliveries = DeliveryStore(None)
            self.log = MemoryLog(self.state, self.clock)
            append = self.log.append
        else:
            self.core = core = new_core(root, self.clock, reopen=reopen is not None)
            self.db = core.db
            self.state = core.state
            self.deliveries = core.deliveries

            def append(
                kind: str, fields: dict[str, FieldValue], author: str = ""
            ) -> tuple[int, Body]:
                done = core.log.append(kind, fields, author=author)
                return done.index, done.body

        self.append = append

        def redeem(code: str, now: float) -> Invite:
            return redeem_invite(self.db, code, now)

        def burn(code: str, now: float) -> bool:
            return burn_invite(self.db, code, now)

        self.desk = StewardDesk(self.state, self.deliveries, append, redeem, policy, burn)
        self.desk.hub_num = HUB

    def send(self, msg: TextReceived) -> list[Action]:
        return self.desk.handle(msg, self.clock())

    def say(self, radio: Radio, text: str, **kw: object) -> str:
        """Send a DM and return the single reply's text (joined parts)."""
        out = self.send(radio.dm(text, **kw))  # type: ignore[arg-type]
        replies = [a for a in out if isinstance(a, Reply)]
        assert len(replies) == 1, out
        assert replies[0].dest == radio.num
        return " ".join(replies[0].parts)

    def invite(self, handle: str, role: str = "steward", until: float | None = None) -> str:
        t = self.clock()
        return create_invite(self.db, handle, role, int(until or t + 86400 * 30), t)

    def enrol(self, radio: Radio, handle: str, role: str = "steward") -> None:
        reply = self.say(radio, f"JOIN {self.invite(handle, role)}")
        assert reply.startswith(f"Welcome, {handle}!"), reply

    def tick(self) -> list[Action]:
        return self.desk.tick(self.clock())

    def entries(self) -> list[Body]:
        if self.log is not None:
            return list(self.log.bodies)
        from crypto.entrysig import split_entry
        from hub.log import decode_body

        assert self.core is not None
        own = self.core.log.own
        assert own is not None
        return [decode_body(split_entry(own.read(i))[0]) for i in range(len(own))]

    def kinds(self) -> list[str]:
        return [b.kind_name for b in self.entries()]

    def close(self) -> None:
        if self.core is not None:
            self.core.close()
        else:
            self.db.close()


def replies(actions: list[Action]) -> list[Reply]:
    return [a for a in actions if isinstance(a, Reply)]


def broadcasts(actions: list[Action]) -> list[Broadcast]:
    return [a for a in actions if isinstance(a, Broadcast)]


def refusals(actions: list[Action]) -> list[Refusal]:
    return [a for a in actions if isinstance(a, Refusal)]
