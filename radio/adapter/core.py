"""The radio adapter: the one owner of the ``meshtastic`` library in Canopy.

Guarantees:

- The constructor does no I/O. :meth:`RadioAdapter.start` runs a worker thread that
  connects, and after any failure reconnects with capped, jittered exponential backoff until
  :meth:`RadioAdapter.stop`; every connect, loss and retry is logged.
- Every library call is wrapped: ``SystemExit`` (the library calls ``sys.exit`` inside send
  paths) and any exception become a logged transport failure, never a dead thread.
- Nothing accepted is lost silently. Each accepted part gets exactly one
  :class:`~radio.events.SendResult`: ok on ACK (or once handed to the radio without
  ``want_ack``), otherwise the NAK's routing error or why the adapter gave up. Parts cut off by
  a disconnect are queued again and resent after reconnect (at-least-once: a part whose ACK
  was lost with the link may arrive twice), up to ``max_attempts`` times.
- Outgoing parts leave by priority through the airtime budget (:mod:`radio.outqueue`).
- Library callbacks arrive on its process-global pubsub; each is filtered by the interface
  it came from, decoded (:mod:`radio.adapter.decode`) and handed to ``on_event`` from the
  adapter's own dispatcher thread, so a slow consumer never stalls the library.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from pubsub import pub

from hub.mesh import MAX_DATA_BYTES
from radio.adapter.info import RadioInfo, snapshot
from radio.adapter.link import Backoff, RadioUrl, close_interface, open_interface, parse_radio_url
from radio.adapter.worker import LinkWorker
from radio.errors import RadioError, RadioInputError, RadioTransportError
from radio.events import (
    BROADCAST,
    PRIVATE_PORT_MAX,
    PRIVATE_PORT_MIN,
    TEXT_PORT,
    Priority,
    RadioEvent,
)
from radio.fragment import MAX_TEXT_BYTES, split_text
from radio.outqueue import (
    DEFAULT_DUTY_CYCLE,
    DEFAULT_PRESET,
    LINK_ACK_TIMEOUT,
    AirtimeBudget,
    LoraPreset,
    Outgoing,
    OutQueue,
    SendBook,
    check_send_args,
    preset_by_name,
)

__all__ = ["Backoff", "RadioAdapter", "RadioUrl", "parse_radio_url", "read_radio_info"]


log = logging.getLogger("radio.adapter.core")


class RadioAdapter(LinkWorker):
    """Connects to one radio, keeps it connected, sends through a paced queue, emits events."""

    def __init__(
        self,
        url: str,
        on_event: Callable[[RadioEvent], None] | None = None,
        *,
        duty_cycle: float = DEFAULT_DUTY_CYCLE,
        preset: str | None = None,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        connect_timeout: float = 15.0,
        ack_timeout: float = LINK_ACK_TIMEOUT,
        max_attempts: int = 3,
        max_queue: int = 1000,
        max_age_s: float = 3600.0,
        max_parts: int = 32,
        max_in_flight: int = 8,
    ) -> None:
        """Validate settings; no I/O. ``preset=None`` takes the radio's own preset.

        :raises RadioInputError: bad URL, preset name or duty cycle.
        """
        fixed = preset_by_name(preset) if preset else None
        budget = AirtimeBudget(duty_cycle, clock())
        out = OutQueue(budget, fixed or DEFAULT_PRESET, max_len=max_queue)
        book = SendBook(out, ack_timeout, max_attempts, max_in_flight, max_age_s)
        super().__init__(
            parse_radio_url(url),
            on_event,
            book,
            backoff or Backoff(),
            clock,
            connect_timeout,
            fixed,
        )
        self.max_parts = max_parts

    # ----------------------------------------------------------------- public API

    @property
    def my_node_num(self) -> int | None:
        """Our radio's node number once connected (kept across disconnects)."""
        info = self._info
        return info.my_node_num if info is not None else None

    def info(self) -> RadioInfo | None:
        """What the radio reported at the last successful connect."""
        return self._info

    def start(self) -> None:
        """Start the worker and dispatcher threads (returns at once).

        :raises RadioError: already started.
        """
        if self._worker is not None:
            raise RadioError("adapter already started")
        for topic, listener in self._listeners():
            pub.subscribe(listener, topic)
        self._dispatcher = threading.Thread(target=self._dispatch, name="radio-events", daemon=True)
        self._worker = threading.Thread(target=self._run, name="radio-worker", daemon=True)
        self._dispatcher.start()
        self._worker.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Disconnect and end the threads; still-queued parts get ``SendResult(ok=False,
        "STOPPED")`` before the dispatcher ends."""
        with self._cond:
            if self._stopping:
                return
            self._stopping = True
            self._cond.notify_all()
        for topic, listener in self._listeners():
            try:
                pub.unsubscribe(listener, topic)
            except Exception as e:  # pubsub raises if the topic was never created
                log.debug("unsubscribe %s: %r", topic, e)
        if self._worker is not None:
            self._worker.join(timeout)
        with self._cond:
            left = self._book.drain("STOPPED")
        for result in left:
            self._emit(result)
        self._events.put(None)
        if self._dispatcher is not None:
            self._dispatcher.join(timeout)
        else:  # never started: deliver here
            self._dispatch()

    def wait_connected(self, timeout: float) -> bool:
        """Block until connected or ``timeout`` seconds pass; True if connected."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._connected:
                left = deadline - time.monotonic()
                if left <= 0 or self._stopping:
                    return False
                self._cond.wait(left)
            return True

    @property
    def preset(self) -> LoraPreset:
        """The modem preset the airtime budget is counted in (the radio's own once known)."""
        with self._cond:
            return self._book.queue.preset

    def send_text(
        self,
        text: str,
        dest: int = BROADCAST,
        channel: int = 0,
        priority: Priority = Priority.REPLY,
        want_ack: bool = False,
        hop_limit: int | None = None,
    ) -> list[int]:
        """Queue ``text``, split into ≤ 200-byte parts; return one outgoing id per part.

        :raises RadioInputError: empty/unencodable text, too many parts, bad dest, channel,
            priority or hop limit.
        :raises RadioBusyError: the queue is full (nothing was queued).
        """
        if not isinstance(text, str):
            raise RadioInputError(f"text must be str, not {type(text).__name__}")
        parts = split_text(text, MAX_TEXT_BYTES, self.max_parts)
        payloads = [p.encode("utf-8") for p in parts]
        return self._accept(payloads, TEXT_PORT, dest, channel, priority, want_ack, hop_limit)

    def send_data(
        self,
        payload: bytes,
        port: int,
        dest: int = BROADCAST,
        channel: int = 0,
        priority: Priority = Priority.BULK,
        want_ack: bool = False,
        hop_limit: int | None = None,
    ) -> int:
        """Queue one binary payload (1–219 bytes) on a private port (256–511).

        :raises RadioInputError: bad payload, port, dest, channel, priority or hop limit.
        :raises RadioBusyError: the queue is full.
        """
        if not isinstance(payload, bytes | bytearray | memoryview):
            raise RadioInputError(f"payload must be bytes, not {type(payload).__name__}")
        data = bytes(payload)
        if not 1 <= len(data) <= MAX_DATA_BYTES:
            raise RadioInputError(f"data payload is {len(data)} bytes; allowed 1..{MAX_DATA_BYTES}")
        if isinstance(port, bool) or not isinstance(port, int):
            raise RadioInputError(f"port must be an int, not {port!r}")
        if not PRIVATE_PORT_MIN <= port <= PRIVATE_PORT_MAX:
            raise RadioInputError(f"port {port} is not a private port (256..511)")
        return self._accept([data], port, dest, channel, priority, want_ack, hop_limit)[0]

    def status(self) -> dict[str, Any]:
        """A JSON-ready snapshot: link, queue, airtime and error counters."""
        with self._cond:
            now = self._clock()
            budget = self._book.queue.budget
            return {
                "connected": self._connected,
                "url": str(self.url),
                "my_node_num": self.my_node_num,
                "queue": self._book.queue.lengths(),
                "in_flight": len(self._book.in_flight),
                "preset": self._book.queue.preset.name,
                "duty_cycle": budget.duty,
                "airtime_used_s": round(budget.spent_total, 3),
                "airtime_available_s": round(budget.available(now), 3),
                "connects": self.connects,
                "reconnects": self.reconnects,
                "dropped_packets": self.dropped_packets,
                "last_error": self.last_error,
                "last_connect_s": self.last_connect_seconds,
            }

    # ----------------------------------------------------------------- accepting

    def _accept(
        self,
        payloads: list[bytes],
        port: int,
        dest: int,
        channel: int,
        priority: Priority,
        want_ack: bool,
        hop_limit: int | None,
    ) -> list[int]:
        prio = check_send_args(dest, channel, priority, want_ack, hop_limit)
        with self._cond:
            if self._stopping:
                raise RadioTransportError("radio adapter is stopped")
            now = self._clock()
            q = self._book.queue
            items = [
                Outgoing(q.new_id(), prio, port, p, dest, channel, want_ack, hop_limit, now)
                for p in payloads
            ]
            q.push(items)
            self._cond.notify_all()
        return [i.outgoing_id for i in items]


def read_radio_info(url: str, timeout: float = 15.0) -> RadioInfo:
    """Connect once, read what the radio reports, disconnect (no retries).

    :raises RadioInputError: bad URL.
    :raises RadioTransportError: the radio could not be reached or sent no config in time.
    """
    link = parse_radio_url(url)
    iface = open_interface(link, timeout, lambda _i: None, lambda: False)
    try:
        return snapshot(iface, str(link))
    except Exception as e:
        raise RadioTransportError(f"radio {link} sent incomplete config: {e!r}") from e
    finally:
        close_interface(iface)
