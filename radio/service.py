"""The hub daemon's radio service: the adapter's events in, the steward desk's actions out.

Threads: the adapter runs its own; every event it delivers is moved onto the daemon's loop
with ``daemon.call_soon``, where the :class:`~radio.desk.core.StewardDesk` (sans-IO) handles
it and its replies are handed back to the adapter. A periodic timer (``daemon.call_later``)
runs the desk's alert broadcasts, re-pages and overdue checks; ops that change alerts call
:meth:`RadioService.wake` to run it at once.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hub.errors import DaemonError, InputError
from hub.local import Invite, burn_invite, redeem_invite
from hub.settings import ACK_TIMEOUT, MAX_PAGES, OVERDUE_GRACE
from hub.state import AlertPolicy
from hub.sync import PORT as SYNC_PORT
from hub.witness import PORT as WITNESS_PORT
from radio.adapter import RadioAdapter
from radio.desk import Action, Broadcast, DeskPolicy, Refusal, Reply, StewardDesk, is_join
from radio.errors import RadioError
from radio.events import (
    BROADCAST,
    Connected,
    DataReceived,
    Disconnected,
    NodeSeen,
    PositionReceived,
    Priority,
    RadioEvent,
    SendResult,
    TextReceived,
)
from radio.outqueue import DEFAULT_PRESET, airtime_seconds

if TYPE_CHECKING:
    from hub.daemon import Daemon
    from hub.log import Body, FieldValue

log = logging.getLogger("canopy.radio")
AdapterFactory = Callable[[str, Callable[[RadioEvent], None]], RadioAdapter]


def _default_adapter(url: str, on_event: Callable[[RadioEvent], None]) -> RadioAdapter:
    return RadioAdapter(url, on_event=on_event)


class RadioService:
    """Implements the daemon's Service protocol for one radio (see module doc)."""

    name = "radio"

    def __init__(
        self,
        url: str,
        clock: Callable[[], float] | None = None,
        *,
        policy: DeskPolicy | None = None,
        tick: float = 1.0,
        channel: int = 0,
        adapter_factory: AdapterFactory = _default_adapter,
    ) -> None:
        """No I/O. ``clock`` defaults to the daemon's; ``tick`` is the timer period (s)."""
        self.url = url
        self._clock = clock
        self.policy = policy or DeskPolicy()
        self.tick_interval = tick
        self.channel = channel
        self._factory = adapter_factory
        self.adapter: RadioAdapter | None = None
        self.desk: StewardDesk | None = None
        self.daemon: Daemon | None = None
        self.connected = False
        self.sent_ok = 0
        self.sent_failed = 0
        self.send_errors = 0
        self._stopped = False

    # ----------------------------------------------------------------- Service protocol

    def start(self, daemon: Daemon) -> None:
        self.daemon = daemon
        core = daemon.core
        core.radio = self  # ops and MQTT commands reach the radio through this port

        def append(kind: str, fields: dict[str, FieldValue], author: str) -> tuple[int, Body]:
            done = core.log.append(kind, fields, author=author)
            return done.index, done.body

        def redeem(code: str, now: float) -> Invite:
            return redeem_invite(core.db, code, now)

        def burn(code: str, now: float) -> bool:
            return burn_invite(core.db, code, now)

        self.desk = StewardDesk(core.state, core.deliveries, append, redeem, self.policy, burn)
        self.desk.votes.rules = core.rules
        try:
            self.adapter = self._factory(self.url, self._from_adapter)
            self.adapter.start()
        except RadioError as e:  # e.g. a malformed --radio URL
            raise InputError(f"radio {self.url!r}: {e}") from e
        daemon.call_soon(self._tick)

    def stop(self) -> None:
        self._stopped = True
        if self.adapter is not None:
            self.adapter.stop()
        if self.daemon is not None:
            self.daemon.core.radio = None
            self.daemon.core.nodes.flush()

    def status(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "connected": self.connected,
            "hub_node": self.desk.hub_num if self.desk else None,
            "nodes_seen": len(self.daemon.core.nodes.nodes) if self.daemon else 0,
            "commands": dict(self.desk.counters) if self.desk else {},
            "sent_ok": self.sent_ok,
            "sent_failed": self.sent_failed,
            "send_errors": self.send_errors,
            "adapter": self.adapter.status() if self.adapter else None,
        }

    # ----------------------------------------------------------------- API for ops

    def now(self) -> float:
        if self._clock is not None:
            return self._clock()
        assert self.daemon is not None
        return self.daemon.now()

    def send_text(
        self,
        text: str,
        dest: int = BROADCAST,
        channel: int | None = None,
        priority: Priority = Priority.REPLY,
        want_ack: bool = False,
    ) -> list[int]:
        """Pass through to the adapter (see :meth:`RadioAdapter.send_text`)."""
        if self.adapter is None:
            raise RadioError("the radio service is not started")
        ch = self.channel if channel is None else channel
        return self.adapter.send_text(
            text, dest=dest, channel=ch, priority=priority, want_ack=want_ack
        )

    def send_data(
        self, payload: bytes, port: int, dest: int = BROADCAST, hop_limit: int | None = None
    ) -> int:
        """A binary payload on a private port, at bulk priority (sync frames); ``hop_limit``
        None sends with the radio's configured hop limit."""
        if self.adapter is None:
            raise RadioError("the radio service is not started")
        return self.adapter.send_data(
            payload, port, dest=dest, channel=self.channel, hop_limit=hop_limit
        )

    def airtime(self, payload_len: int) -> float:
        """Seconds on air of one packet with this radio's modem preset."""
        preset = self.adapter.preset if self.adapter is not None else DEFAULT_PRESET
        return airtime_seconds(payload_len, preset)

    def send_dm(self, node: int, text: str) -> None:
        """A DM to one node (used for web check-in codes); raises :class:`DaemonError`."""
        try:
            self.send_text(text, dest=node, want_ack=True)
        except RadioError as e:
            raise DaemonError(f"the radio could not take the message: {e}") from e

    def wake(self) -> None:
        """Run the desk's timed work now (call on the daemon loop, e.g. from an op)."""
        if self.desk is not None and not self._stopped:
            self._perform(self.desk.tick(self.now()))

    def handle_unauthenticated(self, event: object) -> None:
        """A text from an unauthenticated path (MQTT): logged, never answered."""
        if self.daemon is None or not isinstance(event, TextReceived):
            return
        self.daemon.call_soon(lambda: self._on_text(event, via_radio=False))

    # ----------------------------------------------------------------- loop side

    def _from_adapter(self, event: RadioEvent) -> None:
        """Called on the adapter's dispatcher thread: hand over to the loop."""
        if self.daemon is not None and not self._stopped:
            self.daemon.call_soon(lambda: self._on_event(event))

    def _on_event(self, event: RadioEvent) -> None:
        self._share(event)
        if isinstance(event, TextReceived):
            # a packet our radio downlinked from MQTT is no more authentic than MQTT itself
            self._on_text(event, via_radio=event.via == "radio")
        elif isinstance(event, DataReceived):
            sync = self.daemon.core.sync if self.daemon is not None else None
            if sync is not None and event.port == SYNC_PORT:
                sync.on_frame(event.payload, event.from_num, event.relayed)
            witness = self.daemon.core.witness if self.daemon is not None else None
            if witness is not None and event.port == WITNESS_PORT:
                witness.on_frame(event.payload, event.from_num)
        elif isinstance(event, Connected):
            self.connected = True
            if self.desk is not None:
                self.desk.hub_num = event.my_node_num
            log.info("radio connected: node !%08x %s", event.my_node_num, event.long_name)
        elif isinstance(event, Disconnected):
            self.connected = False
            log.warning(
                "radio disconnected (%s); what the hub must send waits for it to come back",
                event.reason,
            )
        elif isinstance(event, PositionReceived):
            own = self.adapter.my_node_num if self.adapter is not None else None
            if event.from_num == own and self.daemon is not None:
                self.daemon.gps_time(event.gps_time)
        elif isinstance(event, SendResult):
            if event.ok:
                self.sent_ok += 1
            else:
                self.sent_failed += 1
                log.info("radio send %d failed: %s", event.outgoing_id, event.reason)

    def _share(self, event: RadioEvent) -> None:
        """Tell the node list and MQTT dashboards what the radio heard (loop thread)."""
        assert self.daemon is not None
        core = self.daemon.core
        try:
            if isinstance(event, NodeSeen):
                core.nodes.seen(
                    event.num, via="radio", long_name=event.long_name, short_name=event.short_name
                )
            elif isinstance(event, TextReceived) and event.from_num:
                core.nodes.seen(event.from_num, via="radio")
        except InputError as e:
            log.info("radio: node not recorded: %s", e)
        mqtt = core.mqtt
        if mqtt is not None and isinstance(event, TextReceived | NodeSeen):
            if isinstance(event, TextReceived) and (event.is_direct or is_join(event.text)):
                # DMs to the hub carry JOIN and check-in codes, and a JOIN sent on the
                # channel by mistake carries one too: never republish their text. Nor who
                # sent a DM, nor its key: next to the log's entries it would tie a steward's
                # handle to their radio (docs/privacy.md)
                event = dataclasses.replace(event, text="")
                if event.is_direct:
                    event = dataclasses.replace(event, from_num=0, public_key=None)
            mqtt.publish_radio(event)

    def _on_text(self, event: TextReceived, via_radio: bool) -> None:
        if self.desk is None:
            return
        if self.desk.hub_num is None and self.adapter is not None:
            self.desk.hub_num = self.adapter.my_node_num
        self._perform(self.desk.handle(event, self.now(), via_radio=via_radio))

    def _tick(self) -> None:
        if self._stopped or self.daemon is None:
            return
        try:
            self.wake()
        finally:
            self.daemon.call_later(self.tick_interval, self._tick)

    def _perform(self, actions: list[Action]) -> None:
        for action in actions:
            try:
                if isinstance(action, Reply):
                    prio = Priority.ALERT if action.urgent else Priority.REPLY
                    for part in action.parts:
                        self.send_text(
                            part, dest=action.dest, priority=prio, want_ack=action.urgent
                        )
                elif isinstance(action, Broadcast):
                    prio = Priority.ALERT if action.urgent else Priority.REPLY
                    for part in action.parts:
                        self.send_text(part, dest=BROADCAST, priority=prio)
                elif isinstance(action, Refusal):
                    log.info("refused from !%08x: %s %s", action.node, action.reason, action.detail)
            except RadioError as e:
                self.send_errors += 1
                log.warning("radio could not take %r: %s", action, e)


def desk_policy(
    ack_timeout: float = ACK_TIMEOUT, max_pages: int = MAX_PAGES, overdue_grace: int = OVERDUE_GRACE
) -> DeskPolicy:
    """A desk policy from the `canopy run` options."""
    return DeskPolicy(
        alerts=AlertPolicy(ack_timeout=ack_timeout, max_pages=max_pages),
        overdue_grace=overdue_grace,
    )
