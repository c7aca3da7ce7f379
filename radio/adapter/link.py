"""Radio URLs, reconnect backoff, and opening a ``meshtastic`` interface for one URL.

URLs: ``serial:///dev/ttyUSB0``, ``tcp://host[:port]`` (port 4403 by default) and
``ble://NAME-or-ADDRESS``. Opening blocks (socket, serial port, BLE, config download), so
the adapter runs :func:`open_interface` off its main loop and bounds it with a timeout.

The library's TCP interface reconnects by itself (sleeping inside its reader thread and
re-downloading config); here that is switched off so that one place, the adapter, owns
reconnection, backoff and logging: a dropped link simply ends the interface.
"""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from meshtastic.mesh_interface import MeshInterface
from meshtastic.serial_interface import SerialInterface
from meshtastic.tcp_interface import TCPInterface

from radio.errors import RadioInputError, RadioTransportError

DEFAULT_TCP_PORT = 4403
SCHEMES = ("serial", "tcp", "ble")


@dataclass(frozen=True, slots=True)
class RadioUrl:
    """A parsed radio address: ``scheme`` is serial, tcp or ble."""

    scheme: str
    target: str  # device path, host name, or BLE name/address
    port: int | None = None

    def __str__(self) -> str:
        if self.scheme == "tcp":
            host = f"[{self.target}]" if ":" in self.target else self.target
            return f"tcp://{host}:{self.port}"
        if self.scheme == "serial":
            return f"serial://{self.target}"
        return f"ble://{self.target}"


def parse_radio_url(url: str) -> RadioUrl:
    """Parse ``serial://``, ``tcp://`` or ``ble://`` radio URLs.

    :raises RadioInputError: unknown scheme, missing device/host, bad port.
    """
    if not isinstance(url, str) or "://" not in url:
        raise RadioInputError(f"not a radio URL: {url!r} (want serial://, tcp:// or ble://)")
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()
    if scheme not in SCHEMES:
        raise RadioInputError(f"unknown radio URL scheme {scheme!r} in {url!r}")
    if any(c.isspace() for c in rest) and scheme != "ble":
        raise RadioInputError(f"whitespace in radio URL {url!r}")
    if scheme == "serial":
        path = urllib.parse.unquote(rest)
        if not path or path == "/":
            raise RadioInputError(f"serial URL without a device path: {url!r}")
        return RadioUrl("serial", path)
    if scheme == "ble":
        name = urllib.parse.unquote(rest).strip().rstrip("/")
        if not name:
            raise RadioInputError(f"BLE URL without a name or address: {url!r}")
        return RadioUrl("ble", name)
    parts = urllib.parse.urlsplit(url)
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise RadioInputError(f"TCP radio URL must be tcp://host[:port]: {url!r}")
    try:
        port = parts.port
    except ValueError as e:
        raise RadioInputError(f"bad port in radio URL {url!r}") from e
    if not parts.hostname:
        raise RadioInputError(f"TCP radio URL without a host: {url!r}")
    if port == 0:
        raise RadioInputError(f"bad port in radio URL {url!r}")
    return RadioUrl("tcp", parts.hostname, port if port is not None else DEFAULT_TCP_PORT)


class Backoff:
    """Exponential backoff, capped, with jitter: delay n is base·factorⁿ (≤ cap), of which
    the ``jitter`` fraction is randomised. Pass a seeded ``random.Random`` to make it exact."""

    def __init__(
        self,
        base: float = 0.5,
        cap: float = 30.0,
        factor: float = 2.0,
        jitter: float = 0.5,
        rng: random.Random | None = None,
    ) -> None:
        if base <= 0 or cap < base or factor < 1 or not 0 <= jitter <= 1:
            raise RadioInputError("bad backoff parameters")
        self.base, self.cap, self.factor, self.jitter = base, cap, factor, jitter
        self._rng = rng or random.Random()
        self.attempt = 0

    def next_delay(self) -> float:
        """The delay before the next attempt; each call grows it until ``cap``."""
        raw = min(self.cap, self.base * self.factor ** min(self.attempt, 64))
        self.attempt += 1
        return raw * (1 - self.jitter) + raw * self.jitter * self._rng.random()

    def reset(self) -> None:
        """Back to the first delay (after a successful connection)."""
        self.attempt = 0


class _TcpLink(TCPInterface):  # type: ignore[misc]
    """The library's TCP interface without its built-in reconnect, with TCP keepalive."""

    def __init__(self, *args: Any, connect_timeout: float = 15.0, **kwargs: Any) -> None:
        self.config_done = threading.Event()
        self.connect_timeout = connect_timeout
        super().__init__(*args, **kwargs)

    def _startHeartbeat(self) -> None:
        # The library marks itself connected *before* it writes its first heartbeat; closing
        # in between makes that write fail in its reader thread. This marks the true end.
        super()._startHeartbeat()
        self.config_done.set()

    def _reconnect(self) -> None:
        self._wantExit = True  # end the reader thread; the adapter reconnects

    def myConnect(self) -> None:
        # As the library's, but an unreachable host fails within the timeout, not the OS's.
        addr = (self.hostname, self.portNumber)
        sock = socket.create_connection(addr, timeout=self.connect_timeout)
        sock.settimeout(None)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for opt, value in (("TCP_KEEPIDLE", 30), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3)):
            if hasattr(socket, opt):
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, opt), value)
        self.socket = sock


class _SerialLink(SerialInterface):  # type: ignore[misc]
    """The library's serial interface, marking the end of its connect like :class:`_TcpLink`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.config_done = threading.Event()
        super().__init__(*args, **kwargs)

    def _startHeartbeat(self) -> None:
        super()._startHeartbeat()
        self.config_done.set()


def build_interface(url: RadioUrl, timeout: float) -> MeshInterface:
    """Create the library interface for ``url`` without connecting (BLE connects here)."""
    t: Any = max(1, int(timeout))
    if url.scheme == "tcp":
        return _TcpLink(
            url.target, portNumber=url.port, connectNow=False, timeout=t, connect_timeout=timeout
        )
    if url.scheme == "serial":
        return _SerialLink(url.target, connectNow=False, timeout=t)
    from meshtastic.ble_interface import BLEInterface  # imports bleak: only when asked

    return BLEInterface(url.target, timeout=t)


def connect_interface(iface: MeshInterface, url: RadioUrl) -> None:
    """Open the link and wait for the radio's config download (blocks)."""
    if url.scheme != "ble":  # BLE connected and configured in its constructor
        iface.connect()
    iface.waitForConfig()
    done = getattr(iface, "config_done", None)
    if done is not None:
        done.wait(1.0)


def open_interface(
    url: RadioUrl,
    timeout: float,
    on_built: Callable[[Any], None],
    cancelled: Callable[[], bool],
) -> Any:
    """Build and connect an interface for ``url`` within ``timeout`` seconds.

    The blocking library calls run on a helper thread; ``on_built`` receives the interface
    as soon as it exists (so callbacks from its config download can be matched to it).
    On failure, timeout or ``cancelled()`` the interface is closed.

    :raises RadioTransportError: could not connect (the library's exception is chained).
    """
    holder: dict[str, Any] = {}
    done = threading.Event()
    lock = threading.Lock()
    gave_up = False

    def attempt() -> None:
        try:
            iface = build_interface(url, timeout)
            with lock:
                if gave_up:
                    close_interface(iface)
                    return
                holder["iface"] = iface
                on_built(iface)
            connect_interface(iface, url)
            with lock:
                late = gave_up
            if late:  # connected after the caller stopped waiting: don't leak a live link
                close_interface(iface)
        except (Exception, SystemExit) as e:  # the library may sys.exit
            holder["error"] = e
        finally:
            done.set()

    threading.Thread(target=attempt, name="radio-connect", daemon=True).start()
    deadline = time.monotonic() + timeout
    while not done.wait(0.02):
        if cancelled() or time.monotonic() > deadline:
            break
    with lock:
        error = holder.get("error")
        iface = holder.get("iface")
        if done.is_set() and error is None and not cancelled():
            return iface
        gave_up = True
    if iface is not None:
        close_interface(iface)
    if error is None:
        reason = "cancelled" if cancelled() else f"radio did not answer within {timeout:g} s"
        raise RadioTransportError(f"connect to {url}: {reason}")
    raise RadioTransportError(f"connect to {url}: {describe(error)}") from error


def close_interface(iface: Any, timeout: float = 2.0) -> None:
    """Close an interface, swallowing whatever the library raises (or exits with).

    Closing can block on a dead device (a serial flush waits for output to drain on a port
    whose cable is gone), so it runs on a helper thread and is abandoned after ``timeout``.
    """
    log = logging.getLogger(__name__)

    def close() -> None:
        try:
            iface.close()
        except (Exception, SystemExit) as e:
            log.debug("closing radio interface: %r", e)

    closer = threading.Thread(target=close, name="radio-close", daemon=True)
    closer.start()
    closer.join(timeout)
    if closer.is_alive():
        log.warning("radio interface did not close within %g s; abandoned", timeout)


def transmit(
    iface: Any,
    payload: bytes,
    *,
    port: int,
    dest: int,
    channel: int,
    want_ack: bool,
    hop_limit: int | None,
    mesh_priority: int,
    on_response: Callable[[dict[str, Any]], None] | None,
) -> int:
    """Hand one packet to the radio; return the library's packet id.

    :raises RadioTransportError: the library raised or called ``sys.exit``.
    """
    try:
        packet = iface.sendData(
            payload,
            destinationId=dest,
            portNum=port,
            wantAck=want_ack,
            onResponse=on_response,
            onResponseAckPermitted=True,
            channelIndex=channel,
            hopLimit=hop_limit,
            priority=mesh_priority,
        )
        return int(packet.id)
    except (Exception, SystemExit) as e:
        raise RadioTransportError(f"send failed: {describe(e)}") from e


def describe(e: BaseException) -> str:
    """One line naming a foreign exception (``SystemExit`` gets a clear label)."""
    if isinstance(e, SystemExit):
        return f"radio library called sys.exit({e.code!r})"
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
