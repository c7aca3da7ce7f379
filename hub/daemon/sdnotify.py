"""Tell systemd about the service's state over the NOTIFY_SOCKET datagram protocol.

The protocol (sd_notify(3)): the service manager passes the path of an AF_UNIX datagram
socket in ``$NOTIFY_SOCKET``; a path starting with ``@`` names a socket in the abstract
namespace. The service sends newline-separated ``KEY=VALUE`` assignments, one datagram
per call: ``READY=1`` once start-up is done, ``WATCHDOG=1`` from its main loop at least
once per ``WatchdogSec``, ``STOPPING=1`` when it begins to shut down, ``STATUS=...`` for
humans.

When the service is not run by systemd (no ``$NOTIFY_SOCKET``) :func:`notify` does
nothing and returns ``False``, so callers never need to care where they run.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

__all__ = ["NotifyError", "notify", "watchdog_interval"]


class NotifyError(ValueError):
    """The state given to :func:`notify` is not a valid sd_notify message."""


def _address(raw: str) -> str | bytes:
    # An '@' prefix means the abstract namespace, which Linux spells with a leading NUL.
    if raw.startswith("@"):
        return b"\0" + raw[1:].encode()
    return raw


def notify(state: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send ``state`` (e.g. ``"READY=1"``) to the service manager.

    Returns ``True`` if the datagram was sent, ``False`` if there is no manager to tell
    (``$NOTIFY_SOCKET`` unset or not an absolute/abstract path) or it could not be reached:
    a dead watchdog socket must never crash the daemon, systemd will notice the silence.

    :raises NotifyError: if ``state`` is empty, contains a NUL byte, or a line is not
        ``KEY=VALUE``.
    """
    if not state or "\0" in state:
        raise NotifyError("sd_notify state must be non-empty and contain no NUL byte")
    for line in state.split("\n"):
        if line and "=" not in line:
            raise NotifyError(f"sd_notify line is not KEY=VALUE: {line!r}")
    env = os.environ if environ is None else environ
    raw = env.get("NOTIFY_SOCKET", "")
    if not raw or raw[0] not in "/@":
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(state.encode(), _address(raw))
    except OSError:
        return False
    return True


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between ``WATCHDOG=1`` pings the manager expects, or ``None`` if no watchdog.

    systemd sets ``$WATCHDOG_USEC`` (and ``$WATCHDOG_PID``, which must be our pid); pinging
    at half the interval is the documented safe margin, so this returns half of it.
    """
    env = os.environ if environ is None else environ
    pid = env.get("WATCHDOG_PID")
    if pid is not None and pid != str(os.getpid()):
        return None
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    if usec <= 0:
        return None
    return usec / 2_000_000
