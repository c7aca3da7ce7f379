"""The `canopy` program: ``canopy note TEXT [--data DIR]`` written without click, every
other command line through the click group (:mod:`hub.cli.main`).

A note is the everyday write and, with no daemon, a process of its own: on a Pi every
module it imports is start-up time, and click (with the ``inspect``, ``uuid`` and
``platform`` it brings) is about an eighth of a note's instructions. So the plain forms of
a note are recognised here and written by the same function the click command calls, with
the same output, errors and exit codes; anything else (``--help``, an option-like text, a
missing or extra argument, a ``--data`` that is a file) goes to click, which says what is
wrong exactly as before.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

EXIT_BUSY = 75  # EX_TEMPFAIL: nothing was done; the same command may work in a moment


def plain_note(args: list[str]) -> tuple[str, Path | None] | None:
    """``(text, data)`` if ``args`` is a plain note command line, else None (click's case)."""
    if not args or args[0] != "note":
        return None
    rest, data = args[1:], None
    if len(rest) == 3 and rest[1] == "--data":
        rest, data = rest[:1], rest[2]
    elif len(rest) == 3 and rest[0] == "--data":
        rest, data = rest[2:], rest[1]
    elif len(rest) == 2 and rest[1].startswith("--data="):
        rest, data = rest[:1], rest[1].removeprefix("--data=")
    if len(rest) != 1 or rest[0].startswith("-"):
        return None
    if data is not None and (data == "" or (os.path.exists(data) and not os.path.isdir(data))):
        return None  # click names the problem
    return rest[0], Path(data) if data is not None else None


def record_note(text: str, data: Path | None) -> int:
    """Append a signed note by the hub operator (through the daemon if it runs, else under
    the writer lock); return its position. The `canopy note` command, click or not."""
    from hub.daemon import open_writer
    from hub.local import DataDir, default_data_dir

    with open_writer(DataDir(data if data is not None else default_data_dir())) as w:
        res = w.append("note", {"text": text})
    index: int = res["index"]
    return index


def failure(e: Exception) -> tuple[str, int]:
    """A hub error's one-line message and exit code, for every command: a log that does
    not verify exits 2, a :class:`Busy` hub :data:`EXIT_BUSY` (retry), anything else 1
    (with click's own "Error: " form)."""
    from hub.errors import Busy, VerifyError

    if isinstance(e, VerifyError):
        return f"FAILED: {e}", 2
    return f"Error: {e}", EXIT_BUSY if isinstance(e, Busy) else 1


def _note(text: str, data: Path | None) -> int:
    """:func:`record_note` with the messages and exits of every command (:func:`failure`)."""
    from hub.errors import HubError

    try:
        index = record_note(text, data)
    except HubError as e:
        message, code = failure(e)
        print(message, file=sys.stderr)
        return code
    print(f"note recorded at index {index}", flush=True)
    return 0


def entry() -> None:
    """The `canopy` program (its console script and `python -m hub`)."""
    note = plain_note(sys.argv[1:])
    if note is not None:
        sys.exit(_note(*note))
    from hub.cli.main import main as cli

    cli()
