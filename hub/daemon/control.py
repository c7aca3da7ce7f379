"""The daemon's local control socket: one JSON object per line, request then response.

Request ``{"op": NAME, ...args}``; response ``{"ok": true, ...}`` or
``{"ok": false, "error": REASON, "fault": NAME}``, where ``NAME`` names the error's class
(:data:`hub.errors.FAULTS`) so the client raises the same class: bad input stays
:class:`~hub.errors.InputError`, busy stays :class:`~hub.errors.Busy`. The socket lives in
the data directory with mode 0660, so only the hub's user and group (the portal) can write
through it.

Writes can be retried safely: every request but ``ping`` carries a request id (``"rid"``,
made by :func:`call`), and the daemon remembers the answers to the last
:data:`REMEMBERED` ids (:class:`RequestMemory`). When the connection drops before the answer
arrives, :func:`call` sends the same request with the same id again; the daemon answers it
from memory (``"repeated": true``), or waits for the first run to finish, and never runs it
twice, so a note is not appended twice to an append-only log.

The memory outlives the daemon: each answer is appended to ``DIR/requests.jsonl`` (mode
0600) before it is sent, and a daemon that starts reads the file back. A daemon that died
after a write and before its answer (killed, crashed, restarted by systemd) still answers
the retry from memory; :func:`call` keeps retrying the same id for up to
:data:`RESTART_WAIT` seconds while nobody listens, so it reaches the restarted daemon.
The file is written without fsync: it survives the process, like the page cache, not a
power cut (after one, the log's own recovery decides what was written).

This module is the client half (and what both halves share); the daemon's server half is
:mod:`hub.daemon.serve`, so a CLI command that only calls the daemon loads no server code.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hub.errors import DaemonError, error_from

MAX_LINE = 256 * 1024
REMEMBERED = 1024
MAX_RID = 64
RETRIES = 2
RESTART_WAIT = 20.0  # seconds a lost answer waits for a restarted daemon (systemd: ~5 s)
Dispatch = Callable[[dict[str, Any]], dict[str, Any]]


class DaemonNotRunning(DaemonError):
    """Nobody answers on the control socket."""


class ConnectionLost(DaemonError):
    """The connection dropped after the request was sent and before its answer came."""


def call(
    sock_path: Path, op: str, timeout: float = 15.0, retries: int = RETRIES, **args: Any
) -> dict[str, Any]:
    """Send one request; return the response or raise the daemon's error again.

    Every op but ``ping`` gets a request id; if the connection drops before the answer, the
    same request (same id) is sent again up to ``retries`` times (see the module doc).
    Raises :class:`DaemonNotRunning` if nobody listens on the socket, :class:`DaemonError`
    when the connection fails, and the class the daemon named when it refused.
    """
    if op != "ping" and "rid" not in args:
        args["rid"] = os.urandom(16).hex()  # not uuid: it loads `platform`, start-up time
    attempt = 0
    lost: ConnectionLost | None = None
    deadline = 0.0
    while True:
        try:
            return _call_once(sock_path, op, timeout, args)
        except ConnectionLost as e:
            if attempt >= retries or "rid" not in args:
                raise
            attempt += 1
            if lost is None:
                lost, deadline = e, time.monotonic() + RESTART_WAIT
            time.sleep(0.1 * attempt)
        except DaemonNotRunning as e:
            # the daemon went away with our request: wait for it to come back (systemd
            # restarts it) and ask again, with the same id, for the answer it kept
            if lost is None:
                raise
            if time.monotonic() > deadline:
                raise ConnectionLost(
                    f"{lost}, and did not come back within {RESTART_WAIT:.0f} s: the request "
                    "may have been carried out; check before repeating it"
                ) from e
            time.sleep(0.5)


def _call_once(sock_path: Path, op: str, timeout: float, args: dict[str, Any]) -> dict[str, Any]:
    if not os.path.exists(sock_path):
        # no daemon has ever listened here: say so without loading `socket`, which a note
        # written under the lock (the CLI with no daemon) would otherwise pay for at start-up
        raise DaemonNotRunning("the hub daemon is not running")
    import socket

    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        try:
            s.connect(str(sock_path))
        except (FileNotFoundError, ConnectionRefusedError) as e:
            raise DaemonNotRunning("the hub daemon is not running") from e
        except OSError as e:
            raise DaemonNotRunning(f"cannot reach the hub daemon: {e.strerror}") from e
        s.sendall(json.dumps({"op": op, **args}).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionLost("the hub daemon closed the connection without answering")
            buf += chunk
    except TimeoutError as e:
        raise DaemonError("the hub daemon did not answer in time") from e
    except ConnectionResetError as e:
        raise ConnectionLost(f"the hub daemon dropped the connection: {e}") from e
    except OSError as e:
        raise DaemonError(f"control socket error: {e}") from e
    finally:
        s.close()
    response = json.loads(buf)
    if not isinstance(response, dict):
        raise DaemonError("the hub daemon sent a malformed answer")
    if not response.get("ok"):
        raise error_from(response.get("fault"), str(response.get("error", "request refused")))
    return response
