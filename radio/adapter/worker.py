"""The link machinery behind :class:`radio.adapter.RadioAdapter`: threads, callbacks, reconnect.

One worker thread connects (bounded by ``connect_timeout``), serves the send queue while
the link is up, tears down on loss, and retries with backoff until stopped. One dispatcher
thread hands events to ``on_event``. Library callbacks arrive on the library's
process-global pubsub thread (or its reader thread for ACKs); each is matched to *this*
adapter's current interface by identity and anything else is ignored.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from meshtastic.protobuf import mesh_pb2

from radio.adapter.decode import PacketDropped, decode_node, decode_packet
from radio.adapter.info import RadioInfo, lora_preset, snapshot
from radio.adapter.link import (
    Backoff,
    RadioUrl,
    close_interface,
    describe,
    open_interface,
    transmit,
)
from radio.errors import RadioTransportError
from radio.events import Connected, Disconnected, Priority, RadioEvent
from radio.outqueue import LoraPreset, SendBook, duty_cycle_for

log = logging.getLogger("radio.adapter.core")

_MESH_PRIORITY = {
    Priority.ALERT: mesh_pb2.MeshPacket.Priority.ALERT,
    Priority.REPLY: mesh_pb2.MeshPacket.Priority.RELIABLE,
    Priority.BULK: mesh_pb2.MeshPacket.Priority.BACKGROUND,
}


class LinkWorker:
    """State and threads of one radio link; :class:`RadioAdapter` adds the public API."""

    def __init__(
        self,
        url: RadioUrl,
        on_event: Callable[[RadioEvent], None] | None,
        book: SendBook,
        backoff: Backoff,
        clock: Callable[[], float],
        connect_timeout: float,
        fixed_preset: LoraPreset | None,
    ) -> None:
        self.url = url
        self._on_event = on_event or (lambda _e: None)
        self._book = book
        self.wanted_duty = book.queue.budget.duty
        self._backoff = backoff
        self._clock = clock
        self.connect_timeout = connect_timeout
        self._fixed_preset = fixed_preset
        self._cond = threading.Condition()
        self._events: queue.Queue[RadioEvent | None] = queue.Queue()
        self._iface: Any = None
        self._lost_reason: str | None = None
        self._connected = False
        self._stopping = False
        self._info: RadioInfo | None = None
        self._worker: threading.Thread | None = None
        self._dispatcher: threading.Thread | None = None
        self.reconnects = 0
        self.connects = 0
        self.dropped_packets = 0
        self.last_error: str | None = None
        self.last_connect_seconds: float | None = None

    # ----------------------------------------------------------------- library callbacks

    def _listeners(self) -> list[tuple[str, Callable[..., None]]]:
        return [
            ("meshtastic.receive", self._on_receive),
            ("meshtastic.node.updated", self._on_node),
            ("meshtastic.connection.lost", self._on_lost),
        ]

    def _on_receive(self, packet: Any, interface: Any) -> None:
        if interface is not self._iface or interface is None:
            return
        try:
            event = decode_packet(packet)
        except PacketDropped as e:
            self.dropped_packets += 1
            log.warning("dropped packet from the radio: %s", e)
            return
        except Exception as e:
            self.dropped_packets += 1
            log.warning("dropped undecodable packet from the radio: %r", e)
            return
        if event is not None:
            self._emit(event)

    def _on_node(self, node: Any, interface: Any) -> None:
        if interface is not self._iface or interface is None:
            return
        try:
            self._emit(decode_node(node))
        except Exception as e:
            log.warning("ignored node entry from the radio: %s", e)

    def _on_lost(self, interface: Any) -> None:
        if interface is not self._iface or interface is None:
            return
        with self._cond:
            self._lost_reason = self._lost_reason or "radio link lost"
            self._cond.notify_all()

    def _response_handler(self, outgoing_id: int) -> Callable[[dict[str, Any]], None]:
        def on_response(packet: dict[str, Any]) -> None:
            self._on_response(outgoing_id, packet)

        return on_response

    def _on_response(self, outgoing_id: int, packet: Any) -> None:
        try:
            routing = packet.get("decoded", {}).get("routing", {})
            reason = str(routing.get("errorReason", "NONE"))
        except Exception:
            reason = "NONE"
        with self._cond:
            result = self._book.response(outgoing_id, reason)
            self._cond.notify_all()
        if result is not None:
            self._emit(result)

    # ----------------------------------------------------------------- threads

    def _emit(self, event: RadioEvent) -> None:
        self._events.put(event)

    def _dispatch(self) -> None:
        while True:
            event = self._events.get()
            if event is None:
                return
            try:
                self._on_event(event)
            except Exception:
                log.exception("radio event handler failed on %r", event)

    # ----------------------------------------------------------------- worker

    def _run(self) -> None:
        while not self._stopping:
            try:
                iface = self._connect()
            except Exception as e:  # RadioTransportError, or a bug: never let the worker die
                if self._stopping:
                    break
                with self._cond:
                    self.last_error = str(e)
                delay = self._backoff.next_delay()
                log.warning("radio %s unavailable (%s); retrying in %.1f s", self.url, e, delay)
                with self._cond:
                    self._cond.wait_for(lambda: self._stopping, delay)
                continue
            self._backoff.reset()
            try:
                reason = self._serve(iface)
            except Exception as e:
                log.exception("radio worker error")
                reason = f"worker error: {describe(e)}"
            self._teardown(iface, reason)

    def _connect(self) -> Any:
        started = time.monotonic()

        def built(iface: Any) -> None:
            with self._cond:
                self._iface, self._lost_reason = iface, None

        try:
            iface = open_interface(self.url, self.connect_timeout, built, lambda: self._stopping)
            try:
                info, preset = snapshot(iface, str(self.url)), lora_preset(iface)
            except Exception as e:  # e.g. the radio rebooted during its config download
                raise RadioTransportError(f"incomplete config from radio: {describe(e)}") from e
        except BaseException:
            with self._cond:
                stale, self._iface = self._iface, None
            if stale is not None:
                close_interface(stale)
            raise
        elapsed = time.monotonic() - started
        with self._cond:
            self._info = info
            if self._fixed_preset is None and preset is not None:
                self._book.queue.preset = preset
            duty = duty_cycle_for(info.region, self.wanted_duty)
            self._book.queue.budget.set_duty(duty, self._clock())
            self._connected = True
            self.connects += 1
            self.reconnects = self.connects - 1
            self.last_connect_seconds = elapsed
            self._cond.notify_all()
        log.info(
            "connected to radio %s: !%08x %r, firmware %s, in %.3f s",
            self.url, info.my_node_num, info.long_name, info.firmware or "?", elapsed,
        )  # fmt: skip
        self._emit(Connected(info.my_node_num, info.long_name, info.short_name, info.firmware))
        return iface

    def _serve(self, iface: Any) -> str:
        """Send queued parts while the link is up; return why it ended."""
        while True:
            with self._cond:
                if self._stopping:
                    return "stopped"
                if self._lost_reason is not None:
                    return self._lost_reason
                if not iface.isConnected.is_set():
                    return "radio link lost"
                now = self._clock()
                results = self._book.expire(now)
                item, wait = None, 1.0
                status = getattr(iface, "queueStatus", None)
                if status is None or status.free > 0:  # the radio's own TX queue has room
                    item, wait = self._book.take(now)
                if item is None and not results:
                    self._cond.wait(min(max(wait, 0.01), 1.0))
                    continue
            for result in results:
                self._emit(result)
            if item is None:
                continue
            try:
                transmit(
                    iface,
                    item.payload,
                    port=item.port,
                    dest=item.dest,
                    channel=item.channel,
                    want_ack=item.want_ack,
                    hop_limit=item.hop_limit,
                    mesh_priority=_MESH_PRIORITY[item.priority],
                    on_response=self._response_handler(item.outgoing_id) if item.want_ack else None,
                )
            except RadioTransportError as e:
                with self._cond:
                    failed = self._book.send_failed(item)
                if failed is not None:
                    self._emit(failed)
                return str(e)
            sent = self._book.handed_over(item, time.monotonic())
            if sent is not None:
                self._emit(sent)

    def _teardown(self, iface: Any, reason: str) -> None:
        with self._cond:
            was_connected, self._connected = self._connected, False
            self._iface = None
            results = self._book.link_lost(time.monotonic())
            if reason != "stopped":
                self.last_error = reason
        if reason != "stopped":
            log.warning("radio %s disconnected: %s; reconnecting", self.url, reason)
        if was_connected:
            self._emit(Disconnected(reason))
        for result in results:
            self._emit(result)
        close_interface(iface)
