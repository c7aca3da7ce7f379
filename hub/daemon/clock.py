"""Monotonic wall time for a hub with no real-time clock and no internet.

A Raspberry Pi has no RTC: after a power cut it boots believing it is whatever the
image last saved (or 1970), and an offline hub has no NTP to correct it. Like
``fake-hwclock``, :class:`SavedClock` persists the last known wall time to a small file in
the data directory (written atomically: temp file, fsync, rename, fsync of the directory)
and, when asked for the time, never answers earlier than what it has saved: if the
system clock is behind the saved time, the saved time is reported instead, flagged as
``unsynced``. Time never goes backwards across reboots, which is what the signed log
needs (claimed times are non-decreasing within a feed).

:class:`TimeSource` numbers match the log's entry format: 0 unsynced, 1 gps, 2 mesh,
3 ntp, 4 manual.

The GPS-equipped radio feeds chrony through its ``SOCK`` reference clock;
:func:`chrony_sample` builds that datagram so the daemon can forward radio time to
chronyd, which then serves it to the LAN.
"""

from __future__ import annotations

import ctypes
import functools
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.local import atomic_write
from hub.log import TimeSource

__all__ = [
    "CLOCK_FILE",
    "JUMP",
    "ClockError",
    "JumpWatch",
    "ReadTime",
    "SavedClock",
    "TimeSource",
    "chrony_sample",
    "describe_jump",
    "system_source",
]

CLOCK_FILE = "clock.saved"

# chrony's refclock_sock.c: struct sock_sample { struct timeval tv; double offset;
# int pulse; int leap; int _pad; int magic; } with native alignment.
_SOCK_SAMPLE = struct.Struct("@lldiiii")
_SOCK_MAGIC = 0x534F434B


class ClockError(ValueError):
    """The saved clock file is unreadable or holds nonsense."""


@dataclass(frozen=True, slots=True)
class ReadTime:
    """A wall time in seconds since the epoch and how much to trust it."""

    seconds: float
    source: TimeSource
    #: True when the system clock was behind the saved time and the saved time was used.
    held_back: bool


class SavedClock:
    """Never-backwards wall time, persisted in ``data_dir/clock.saved``.

    Construction does no I/O; call :meth:`load` at start-up, :meth:`now` whenever a time
    is needed, and :meth:`save` periodically (e.g. every few minutes and at shutdown).
    """

    def __init__(self, data_dir: Path, monotonic: Callable[[], float] | None = None) -> None:
        self.path = Path(data_dir) / CLOCK_FILE
        self._floor = 0.0
        # With a monotonic clock, a held-back time counts on at its rate from the moment it
        # was first held back (a lower bound of the true time), instead of standing still
        # for the hours a system clock that went back takes to catch up.
        self._monotonic = monotonic
        self._held_since: tuple[float, float] | None = None  # (floor, monotonic) then

    @property
    def floor(self) -> float:
        """The earliest time :meth:`now` will ever report."""
        return self._floor

    def load(self) -> float:
        """Read the saved time into the floor; a missing file means no floor (0.0).

        :raises ClockError: if the file exists but does not hold a finite, non-negative
            number of seconds.
        """
        try:
            text = self.path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return self._floor
        except (OSError, UnicodeDecodeError) as e:
            raise ClockError(f"cannot read {self.path}: {e}") from e
        try:
            value = float(text)
        except ValueError as e:
            raise ClockError(f"{self.path} does not hold a time: {text[:40]!r}") from e
        if not (value >= 0.0 and value < 1e11):  # also rejects nan and inf
            raise ClockError(f"{self.path} holds an impossible time: {text[:40]!r}")
        self._floor = max(self._floor, value)
        return self._floor

    def now(self, system_time: float, source: TimeSource = TimeSource.UNSYNCED) -> ReadTime:
        """Return ``system_time`` unless it is behind the floor, in which case the floor.

        ``source`` says how the system clock was set (e.g. ``GPS`` once chrony locked on
        the radio); a held-back answer is always ``UNSYNCED``. The floor moves forward with
        every answer, so successive calls never go backwards.
        """
        if system_time < self._floor:
            if self._monotonic is not None:
                mono = self._monotonic()
                if self._held_since is None:
                    self._held_since = (self._floor, mono)
                self._floor = max(self._floor, self._held_since[0] + mono - self._held_since[1])
            return ReadTime(self._floor, TimeSource.UNSYNCED, held_back=True)
        self._floor = system_time
        self._held_since = None
        return ReadTime(system_time, source, held_back=False)

    def observe(self, seconds: float) -> None:
        """Raise the floor to a trusted time learnt elsewhere (GPS, mesh, a steward)."""
        if seconds == seconds and 0.0 <= seconds < 1e11 and seconds > self._floor:
            self._floor = seconds
            self._held_since = None

    def save(self, system_time: float) -> float:
        """Persist ``max(floor, system_time)`` atomically and return it.

        :raises ClockError: if the file cannot be written.
        """
        value = max(self._floor, system_time)
        try:
            atomic_write(self.path, f"{value:.6f}\n".encode("ascii"))
        except OSError as e:
            raise ClockError(f"cannot save clock to {self.path}: {e}") from e
        self._floor = value
        return value


JUMP = 120.0  # seconds the system clock may drift from the monotonic one before it "jumped"


class JumpWatch:
    """Tells when the system clock steps under a running daemon (an operator's `date -s`,
    chrony stepping to a GPS fix, a dying RTC battery): each reading is compared with the
    previous one carried forward on the monotonic clock. Sans-IO: the caller logs."""

    def __init__(self, monotonic: Callable[[], float], threshold: float = JUMP) -> None:
        self._monotonic = monotonic
        self.threshold = threshold
        self._last: tuple[float, float] | None = None  # (system time, monotonic) last read

    def check(self, system_time: float) -> float:
        """The step (seconds, negative when back) since the last reading, else 0.0."""
        mono = self._monotonic()
        last, self._last = self._last, (system_time, mono)
        if last is None:
            return 0.0
        step = system_time - (last[0] + mono - last[1])
        return step if abs(step) >= self.threshold else 0.0


def describe_jump(step: float) -> str:
    """The daemon's log line for a clock step of ``step`` seconds."""
    minutes = round(abs(step) / 60)
    size = f"{minutes // 60} h {minutes % 60} min"
    if step < 0:
        return (
            f"clock: the system clock went back {size}; entries keep counting on from the "
            "last claimed time, flagged unsynced, until it catches up (nothing is dated earlier)"
        )
    return (
        f"clock: the system clock jumped forward {size}; entries claim the new time; a "
        "steward past due is reminded first, and coordinators are told only if the grace "
        "period after the reminder passes"
    )


def chrony_sample(true_time: float, local_time: float, leap: int = 0) -> bytes:
    """Build one chrony ``SOCK`` refclock sample: at ``local_time`` the truth was ``true_time``.

    Send it as a datagram to the socket named in chrony.conf's ``refclock SOCK`` line.

    :raises ValueError: if ``leap`` is not 0 (none), 1 (insert) or 2 (delete).
    """
    if leap not in (0, 1, 2):
        raise ValueError(f"leap must be 0, 1 or 2, not {leap}")
    sec = int(local_time // 1)
    usec = round((local_time - sec) * 1_000_000)
    if usec >= 1_000_000:
        sec, usec = sec + 1, usec - 1_000_000
    return _SOCK_SAMPLE.pack(sec, usec, true_time - local_time, 0, leap, 0, _SOCK_MAGIC)


class _Timex(ctypes.Structure):
    # struct timex from <sys/timex.h> (Linux); only the leading fields are read.
    _fields_ = [
        ("modes", ctypes.c_uint),
        ("offset", ctypes.c_long),
        ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long),
        ("status", ctypes.c_int),
        ("_rest", ctypes.c_byte * 512),
    ]


STA_UNSYNC = 0x0040
MAX_SYNCED_ERROR_US = 16_000_000


@functools.cache
def _adjtimex() -> Any:
    """libc's ``adjtimex``, looked up once (it is called on every append)."""
    try:
        return ctypes.CDLL(None, use_errno=True).adjtimex
    except (OSError, AttributeError):
        return None


def system_source() -> TimeSource:
    """How far to trust the system clock: ``NTP`` when the kernel says a time daemon
    (chrony, fed by a GPS radio or a LAN peer) keeps it synchronised, else ``UNSYNCED``.

    Reads ``adjtimex(2)`` without changing anything; any failure means ``UNSYNCED``.
    """
    adjtimex = _adjtimex()
    if adjtimex is None:
        return TimeSource.UNSYNCED
    tx = _Timex()
    state = adjtimex(ctypes.byref(tx))
    if state < 0 or state == 5 or tx.status & STA_UNSYNC:  # 5 = TIME_ERROR
        return TimeSource.UNSYNCED
    return TimeSource.NTP if tx.maxerror < MAX_SYNCED_ERROR_US else TimeSource.UNSYNCED
