"""The hub daemon: the single writer of a data directory, and its event loop.

All state changes run on one thread, the loop in :meth:`Daemon.run_forever`: control
socket requests, radio events and timers are queued to it, so domain code never needs a
lock. Services (radio, MQTT, …) run their own I/O threads and hand work to the loop with
:meth:`Daemon.call_soon`. The loop pings the systemd watchdog when there is one.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import queue
import socket
import threading
import time as _time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Protocol, TypeVar

from hub.daemon import sdnotify
from hub.daemon.clock import (
    ClockError,
    JumpWatch,
    SavedClock,
    chrony_sample,
    describe_jump,
    system_source,
)
from hub.daemon.core import HubCore
from hub.daemon.ops import all_ops, run_op
from hub.daemon.serve import ControlServer, RequestMemory
from hub.errors import Busy, HubError, StoreFull, fault_of
from hub.local import DataDir, WriterLock
from hub.log import TimeSource

log = logging.getLogger("canopy.daemon")
T = TypeVar("T")
CLOCK_SAVE_EVERY = 300.0  # seconds between saves of the never-backwards clock
LOCK_WAIT = 10.0  # a CLI write holding the lock at start-up finishes well within this
DISPATCH_TIMEOUT = 8.0  # shorter than every client's wait (portal 10 s, CLI 15 s)
GPS_FRESH = 3600.0  # a GPS time from the radio is trusted for this long
CHRONY_SOCK = Path("/run/chrony/canopy-gps.sock")  # chrony.conf's `refclock SOCK`
RETENTION_FIRST = 60.0  # seconds after start-up of the first retention pass
RETENTION_EVERY = 86400.0  # then daily
SETTLE_FIRST = 5.0  # seconds after start-up of the first look for votes decided by now
SETTLE_EVERY = 60.0  # then every minute (with a radio, the desk does it and tells the candidate)


class Service(Protocol):
    name: str

    def start(self, daemon: Daemon) -> None: ...

    def stop(self) -> None: ...

    def status(self) -> dict[str, Any]: ...


class Daemon:
    """Owns the writer lock, the log, the control socket and the services."""

    def __init__(self, datadir: DataDir, clock: Callable[[], float] = _time.time) -> None:
        self.datadir = datadir
        self.clock = clock
        self.core = HubCore(datadir, clock)
        self.services: list[Service] = []
        # the settings it runs with (`section.name` -> JSON value), shown by `status`
        self.settings: dict[str, object] = {}
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._timer_seq = itertools.count()
        self._stop = threading.Event()
        self._lock = WriterLock(datadir)
        self._control = ControlServer(datadir.socket, self._dispatch)
        self._requests = RequestMemory(journal=datadir.requests)
        self._loop_thread: int | None = None
        self.started_at = 0.0
        self.saved_clock = SavedClock(datadir.root, monotonic=_time.monotonic)
        self._jumps = JumpWatch(_time.monotonic)
        self._gps: tuple[float, float] | None = None  # (GPS time, monotonic time it came)
        self.chrony_sock = CHRONY_SOCK

    # -- life cycle ---------------------------------------------------------------
    def start(self) -> None:
        self.datadir.require_initialised()
        try:
            self._lock.acquire()
        except Busy:  # e.g. `canopy note` writing while the daemon restarts: wait for it
            log.info("another canopy process is writing; waiting up to %.0f s", LOCK_WAIT)
            self._lock.acquire(wait=LOCK_WAIT)
        try:
            self.core.open()
            _ = self.core.db  # opened now, before any service thread can ask for it
            self._start_clock()
            self.core.online = True
            self.core.daemon = self
            _ = self.core.state  # folded before any service listens, so it is told first
            all_ops()  # every op loaded now, so no request waits for its module's import
            self._control.start()
            for service in self.services:
                service.start(self)
        except BaseException:
            self._shutdown()
            raise
        self.started_at = self.clock()
        self.call_later(RETENTION_FIRST, self._retention_pass)
        self.call_later(SETTLE_FIRST, self._settle_votes)
        log.info("hub %s running, feed %s", self.core.log.identity, self.core.log.feed_hex[:16])

    def _retention_pass(self) -> None:
        """The daily retention pass (hub.privacy.retention): destroy expired detail keys."""
        self.call_later(RETENTION_EVERY, self._retention_pass)
        from hub.daemon.ops import run_op

        result = run_op(self.core, "retention", {})
        if result.get("erased"):
            log.info("retention: destroyed the keys of %s sealed details", result["erased"])

    def _settle_votes(self) -> None:
        """Write the outcome of every vote decided by now, on a hub with no radio desk (the
        desk settles votes itself, so it can tell the candidate by radio)."""
        self.call_later(SETTLE_EVERY, self._settle_votes)
        if self.core.radio is not None:
            return
        from hub.daemon.ops import run_op

        try:
            decided = run_op(self.core, "mandate_settle", {})["decided"]
        except HubError as e:
            log.warning("votes not settled: %s", e)
            return
        for text in decided:
            log.info("vote decided: %s", text)

    def _start_clock(self) -> None:
        """Claimed times never go backwards, even across reboots of a Pi with no RTC."""
        try:
            self.saved_clock.load()
        except ClockError as e:
            log.warning("clock: %s; starting without a saved time", e)

        def wall() -> tuple[float, TimeSource]:
            # GPS time is carried forward on the monotonic clock, so chrony stepping the
            # system clock to it (which it does) is not counted twice.
            if self._gps is not None:
                since = _time.monotonic() - self._gps[1]
                if since < GPS_FRESH:
                    read = self.saved_clock.now(self._gps[0] + since, TimeSource.GPS)
                    return read.seconds, read.source
            system = self.clock()
            step = self._jumps.check(system)
            if step:
                log.warning("%s", describe_jump(step))
            read = self.saved_clock.now(system, system_source())
            return read.seconds, read.source

        self.core.log.wall = wall
        self._save_clock()

    def now(self) -> float:
        """The time the log would claim now (never backwards; the desk's timers run on it,
        so a system clock that went back neither loses nor delays a reminder)."""
        return float(self.core.log.wall()[0])

    def gps_time(self, gps_time: float) -> None:
        """The hub's own radio reported GPS time (loop thread).

        Entries claim GPS time for the next :data:`GPS_FRESH` seconds; the time is also
        handed to chrony (when its ``refclock SOCK`` is there) so the LAN gets it too.
        """
        local = self.clock()
        self._gps = (gps_time, _time.monotonic())
        self.saved_clock.observe(gps_time)
        if self.chrony_sock.exists():
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
                    s.sendto(chrony_sample(gps_time, local), str(self.chrony_sock))
            except OSError as e:
                log.info("clock: chrony did not take the GPS time: %s", e)

    def _save_clock(self) -> None:
        try:
            self.saved_clock.save(self.clock())
        except ClockError as e:
            log.warning("clock: %s", e)
        if not self._stop.is_set():
            self.call_later(CLOCK_SAVE_EVERY, self._save_clock)

    def stop(self) -> None:
        self._stop.set()
        self._jobs.put(lambda: None)

    def _shutdown(self) -> None:
        for service in reversed(self.services):
            try:
                service.stop()
            except Exception:
                log.exception("stopping %s failed", service.name)
        self._control.stop()
        if self.core.log.own is not None:
            with contextlib.suppress(ClockError):
                self.saved_clock.save(self.clock())
        self.core.close()
        self._lock.release()

    def run_forever(self) -> None:
        """Run the loop until :meth:`stop`; then stop services and release the lock."""
        self._loop_thread = threading.get_ident()
        watchdog = sdnotify.watchdog_interval() or 0.0
        next_ping = 0.0
        sdnotify.notify("READY=1\nSTATUS=running")
        try:
            while not self._stop.is_set():
                now = _time.monotonic()
                if watchdog and now >= next_ping:
                    sdnotify.notify("WATCHDOG=1")
                    next_ping = now + watchdog
                self._run_due_timers(now)
                timeout = 1.0
                if self._timers:
                    timeout = max(0.0, min(timeout, self._timers[0][0] - _time.monotonic()))
                try:
                    job = self._jobs.get(timeout=timeout)
                except queue.Empty:
                    continue
                self._run(job)
        finally:
            sdnotify.notify("STOPPING=1")
            self._shutdown()

    # -- scheduling ---------------------------------------------------------------
    def call_soon(self, fn: Callable[[], None]) -> None:
        """Queue ``fn`` to run on the loop thread (safe from any thread)."""
        self._jobs.put(fn)

    def call_later(self, delay: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the loop after ``delay`` seconds (loop thread only)."""
        heapq.heappush(self._timers, (_time.monotonic() + delay, next(self._timer_seq), fn))

    def submit(self, fn: Callable[[], T], timeout: float = 30.0) -> T:
        """Run ``fn`` on the loop and wait for its result (from another thread)."""
        if threading.get_ident() == self._loop_thread:
            return fn()
        fut: Future[T] = Future()

        def job() -> None:
            if not fut.set_running_or_notify_cancel():
                return
            try:
                fut.set_result(fn())
            except BaseException as e:
                fut.set_exception(e)

        self._jobs.put(job)
        try:
            return fut.result(timeout)
        except TimeoutError:
            if fut.cancel():  # never started: it never will, so "busy" is the truth
                raise
            return fut.result()  # already running: its outcome is the answer

    def _run_due_timers(self, now: float) -> None:
        while self._timers and self._timers[0][0] <= now:
            _, _, fn = heapq.heappop(self._timers)
            self._run(fn)

    def _run(self, job: Callable[[], None]) -> None:
        try:
            job()
        except StoreFull as e:  # e.g. a replica heard from another hub: asked for again later
            log.warning("%s; the hub carries on, nothing stored was damaged", e)
        except Exception:
            log.exception("job failed; the hub carries on")

    # -- control socket -----------------------------------------------------------
    def _dispatch(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run one control request on the loop; a request id seen before is answered from
        memory (or after its first run ends), never run twice (see hub.daemon.control)."""
        name = str(request.pop("op"))
        rid = request.pop("rid", None)
        if name == "ping":
            return {"ok": True, "online": True}
        busy = {"ok": False, "error": "the hub is busy; try again", "fault": "busy"}
        if not RequestMemory.valid(rid):
            pending = None
        else:
            pending, first = self._requests.begin(rid)
            if not first:
                pending.done.wait(DISPATCH_TIMEOUT)
                return {**pending.response, "repeated": True} if pending.response else busy

        def job() -> dict[str, Any]:
            try:
                response = run_op(self.core, name, request)
            except HubError as e:
                response = {"ok": False, "error": str(e), "fault": fault_of(e)}
            except BaseException as e:
                response = {"ok": False, "error": f"internal error: {type(e).__name__}: {e}"}
                raise
            finally:
                if pending is not None:
                    self._requests.finish(str(rid), pending, response)
            return response

        try:
            return self.submit(job, timeout=DISPATCH_TIMEOUT)
        except TimeoutError:
            return busy  # the job still runs; a retry with the same id waits for its answer

    def status(self) -> dict[str, Any]:
        return {
            "ok": True,
            "hub": self.core.log.identity.to_json() if self.core.log.identity else None,
            "entries": len(self.core.log.own) if self.core.log.own else 0,
            "uptime": round(self.clock() - self.started_at),
            "services": {s.name: s.status() for s in self.services},
            "settings": dict(self.settings),
        }
