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
from hub.local import atomic_write

MAX_KEPT = 8 * 1024  # answers longer than this (reads) are not kept across restarts


class _Pending:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.response: dict[str, Any] | None = None


class RequestMemory:
    """Answers by request id, so a retried request is answered, not run again (thread-safe).

    :meth:`begin` returns ``(pending, True)`` for a new id (the caller runs the request and
    calls :meth:`finish`), or ``(pending, False)`` for an id seen before: wait on it.
    """

    def __init__(self, size: int = REMEMBERED, journal: Path | None = None) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._known: OrderedDict[str, _Pending] = OrderedDict()
        self._journal = journal
        self._lines = 0
        if journal is not None:
            self._load(journal)

    def _load(self, journal: Path) -> None:
        """Answers a previous daemon gave; a torn last line (killed mid-write) is skipped."""
        try:
            raw = journal.read_bytes()
        except FileNotFoundError:
            return
        for line in raw.splitlines():
            try:
                item = json.loads(line)
                rid, response = item["rid"], item["response"]
            except (ValueError, TypeError, KeyError, RecursionError):
                continue
            if not self.valid(rid) or not isinstance(response, dict):
                continue
            pending = _Pending()
            pending.response = response
            pending.done.set()
            self._known.pop(rid, None)
            self._known[rid] = pending
            self._lines += 1
        while len(self._known) > self._size:
            self._known.popitem(last=False)

    def _keep(self, rid: str, response: dict[str, Any]) -> None:
        """Append one answer to the journal (called with the lock held); compact it when it
        has grown to twice the memory."""
        if self._journal is None or response.get("fault") == "busy":
            return
        line = json.dumps({"rid": rid, "response": response}).encode() + b"\n"
        if len(line) > MAX_KEPT:
            return
        if self._lines >= 2 * self._size:
            kept = b"".join(
                json.dumps({"rid": r, "response": p.response}).encode() + b"\n"
                for r, p in self._known.items()
                if p.response is not None and r != rid
            )
            atomic_write(self._journal, kept + line, 0o600)
            self._lines = kept.count(b"\n") + 1
            return
        fd = os.open(self._journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)  # one write: a line is whole or torn, never interleaved
        finally:
            os.close(fd)
        self._lines += 1

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

    def finish(self, rid: str, pending: _Pending, response: dict[str, Any]) -> None:
        """Record the answer (in the journal too, before anyone is told it)."""
        # disk full or an answer JSON cannot hold: memory still answers while this runs
        with self._lock, contextlib.suppress(OSError, TypeError, ValueError):
            self._keep(rid, response)
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
