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
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import socketserver
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hub.errors import DaemonError, error_from

MAX_LINE = 256 * 1024
REMEMBERED = 1024
MAX_RID = 64
RETRIES = 2
Dispatch = Callable[[dict[str, Any]], dict[str, Any]]


class DaemonNotRunning(DaemonError):
    """Nobody answers on the control socket."""


class ConnectionLost(DaemonError):
    """The connection dropped after the request was sent and before its answer came."""


class _Pending:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.response: dict[str, Any] | None = None


class RequestMemory:
    """Answers by request id, so a retried request is answered, not run again (thread-safe).

    :meth:`begin` returns ``(pending, True)`` for a new id (the caller runs the request and
    calls :meth:`finish`), or ``(pending, False)`` for an id seen before: wait on it.
    """

    def __init__(self, size: int = REMEMBERED) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._known: OrderedDict[str, _Pending] = OrderedDict()

    def begin(self, rid: str) -> tuple[_Pending, bool]:
        with self._lock:
            known = self._known.get(rid)
            if known is not None:
                self._known.move_to_end(rid)
                return known, False
            pending = self._known[rid] = _Pending()
            while len(self._known) > self._size:
                self._known.popitem(last=False)
            return pending, True

    @staticmethod
    def finish(pending: _Pending, response: dict[str, Any]) -> None:
        pending.response = response
        pending.done.set()

    def forget(self, rid: str) -> None:
        """Drop an id whose request never ran (e.g. refused as busy), so it can run later."""
        with self._lock:
            self._known.pop(rid, None)

    @staticmethod
    def valid(rid: object) -> bool:
        return isinstance(rid, str) and 0 < len(rid) <= MAX_RID


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.request.settimeout(30)
        while True:
            try:
                line = self.rfile.readline(MAX_LINE + 1)
            except (OSError, TimeoutError):
                return
            if not line:
                return
            if len(line) > MAX_LINE:
                self._reply({"ok": False, "error": "request too large"})
                return
            try:
                request = json.loads(line)
                if not isinstance(request, dict) or not isinstance(request.get("op"), str):
                    raise ValueError("request must be an object with an 'op'")
            except (ValueError, RecursionError) as e:
                self._reply({"ok": False, "error": f"bad request: {type(e).__name__}"})
                continue
            try:
                response = self.server.dispatch(request)
            except Exception as e:  # a handler bug must not kill the socket thread
                response = {"ok": False, "error": f"internal error: {type(e).__name__}: {e}"}
            if not self._reply(response):
                return

    def _reply(self, response: dict[str, Any]) -> bool:
        try:
            self.wfile.write(json.dumps(response).encode() + b"\n")
            self.wfile.flush()
            return True
        except OSError:
            return False


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    dispatch: Dispatch


class ControlServer:
    """Serves the control socket in a background thread; built cheaply, started explicitly."""

    def __init__(self, path: Path, dispatch: Dispatch) -> None:
        self.path = path
        self.dispatch = dispatch
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        old_umask = os.umask(0o117)
        try:
            server = _Server(str(self.path), _Handler)
        except OSError as e:
            raise DaemonError(f"cannot open the control socket {self.path}: {e}") from e
        finally:
            os.umask(old_umask)
        server.dispatch = self.dispatch
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="control", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


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
        args["rid"] = uuid.uuid4().hex
    for attempt in range(retries + 1):
        try:
            return _call_once(sock_path, op, timeout, args)
        except ConnectionLost:
            if attempt >= retries or "rid" not in args:
                raise
            time.sleep(0.1 * (attempt + 1))
    raise AssertionError("unreachable")


def _call_once(sock_path: Path, op: str, timeout: float, args: dict[str, Any]) -> dict[str, Any]:
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
