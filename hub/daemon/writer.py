"""Writing to a data directory from outside the daemon: through it if it runs, else locked.

While ``canopy run`` runs it is the only writer, and other commands hand it their writes
over the control socket. When it does not run, a command takes the writer lock and
writes directly. If the lock is held but nobody answers on the socket, it refuses with
:class:`hub.errors.Busy` rather than risk two writers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from hub.daemon.control import DaemonNotRunning, call
from hub.local import DataDir, WriterLock
from hub.log import FieldValue

if TYPE_CHECKING:  # loaded only to write without the daemon: a CLI write through it stays light
    from hub.daemon.core import HubCore


class Writer(Protocol):
    def append(
        self, kind: str, fields: dict[str, FieldValue], author: str = ""
    ) -> dict[str, Any]: ...

    def request(self, op: str, **args: Any) -> dict[str, Any]: ...


class DaemonWriter:
    def __init__(self, datadir: DataDir) -> None:
        self.datadir = datadir

    def append(self, kind: str, fields: dict[str, FieldValue], author: str = "") -> dict[str, Any]:
        return self.request("append", kind=kind, fields=fields, author=author)

    def request(self, op: str, **args: Any) -> dict[str, Any]:
        return call(self.datadir.socket, op, **args)


class LocalWriter:
    def __init__(self, core: HubCore) -> None:
        self.core = core

    def append(self, kind: str, fields: dict[str, FieldValue], author: str = "") -> dict[str, Any]:
        return self.request("append", kind=kind, fields=fields, author=author)

    def request(self, op: str, **args: Any) -> dict[str, Any]:
        from hub.daemon.ops import run_op

        return run_op(self.core, op, args)


@contextmanager
def open_writer(datadir: DataDir) -> Iterator[Writer]:
    """Yield a writer for ``datadir``; see the module docstring for the rule."""
    datadir.require_initialised()
    try:
        call(datadir.socket, "ping", timeout=3.0)
    except DaemonNotRunning:
        pass
    else:
        yield DaemonWriter(datadir)
        return
    with WriterLock(datadir):
        from hub.daemon.core import HubCore

        core = HubCore(datadir)
        core.open()
        try:
            yield LocalWriter(core)
        finally:
            core.close()
