"""gunicorn's worker for the portal: gunicorn's own error answers carry the security headers.

gunicorn answers some requests itself, before the app runs: bad request lines, invalid
UTF-8 in the path, too many or too long headers (its ``400``, ``414``, ``431`` pages). Behind
nginx those never reach a phone (nginx refuses them first, with the headers); with
``--front none`` they would, and without the CSP, ``nosniff`` and ``no-referrer`` that
docs/portal.md promises on every answer. This worker hands gunicorn a socket that puts the
headers into the one error answer it writes.
"""

from __future__ import annotations

from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from portal.web import HEADERS

_EXTRA = "".join(f"{name}: {value}\r\n" for name, value in HEADERS.items()).encode("latin-1")


class _WithHeaders:
    """A client socket whose first written status line is followed by the headers."""

    __slots__ = ("_done", "_sock")

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._done = False

    def sendall(self, data: bytes) -> None:
        if not self._done and data.startswith(b"HTTP/"):
            self._done = True
            end = data.find(b"\r\n") + 2
            if end > 1:
                data = data[:end] + _EXTRA + data[end:]
        self._sock.sendall(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class PortalWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn has no types
    """gunicorn's threaded worker, its error answers with the portal's security headers."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        super().handle_error(req, _WithHeaders(client), addr, exc)
