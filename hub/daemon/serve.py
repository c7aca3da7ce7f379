"""The daemon's half of the control socket (:mod:`hub.daemon.control` describes the protocol):
a threaded Unix-socket server and the memory of answered request ids."""

from __future__ import annotations

import contextlib
import json
import os
import socketserver
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from hub.daemon.control import MAX_LINE, MAX_RID, REMEMBERED, Dispatch
from hub.errors import DaemonError


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
