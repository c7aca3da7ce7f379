"""The hub's error classes, split by fault; only the CLI turns them into exit codes."""

from __future__ import annotations


class HubError(Exception):
    """Root of every error the hub raises on purpose."""


class InputError(HubError):
    """Bad input from outside (a file, a packet, a form, a CLI argument)."""


class EntryError(InputError):
    """An entry does not decode or does not fit its kind."""


class StoreError(HubError):
    """The log store cannot do what was asked (corruption, full disk, I/O error)."""


class StoreCorrupt(StoreError):
    """A feed file holds damaged records that are not a torn tail."""


class StoreFull(StoreError):
    """The disk is full; the append was rolled back."""


class DataDirError(HubError):
    """The data directory is missing, not initialised, locked or unreadable."""


class Busy(DataDirError):
    """The hub cannot take the request now: another process holds the writer lock without
    answering on the control socket, or the daemon is too busy to run it in time."""


class VerifyError(HubError):
    """An exported log does not verify; the message names the first bad entry."""


class DaemonError(HubError):
    """The hub daemon refused or failed a request sent over the control socket."""


# Faults by name, for carrying an error across the control socket without flattening it:
# the daemon sends the most specific name, the client raises the same class again.
FAULTS: dict[str, type[HubError]] = {
    "input": InputError,
    "entry": EntryError,
    "store": StoreError,
    "store_corrupt": StoreCorrupt,
    "store_full": StoreFull,
    "datadir": DataDirError,
    "busy": Busy,
    "verify": VerifyError,
    "daemon": DaemonError,
}
_NAMES = {cls: name for name, cls in FAULTS.items()}


def fault_of(error: HubError) -> str:
    """The name of the most specific fault class ``error`` belongs to."""
    for cls in type(error).__mro__:
        name = _NAMES.get(cls)
        if name is not None:
            return name
    return "daemon"


def error_from(fault: object, message: str) -> HubError:
    """The error of class ``fault`` (an unknown name is a :class:`DaemonError`)."""
    cls = FAULTS.get(fault, DaemonError) if isinstance(fault, str) else DaemonError
    return cls(message)
