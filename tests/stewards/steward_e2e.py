"""End-to-end helpers: the `canopy` CLI's JSON and text output, and the options of a hub on
a simulated mesh. Handhelds are support.Handheld; the daemon is the `running_daemon` fixture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support import Handheld, run_canopy


def hub_options(radio_port: int, *extra: str, clock_file: Path | None = None) -> list[str]:
    """`canopy run` options for a hub on a virtual node, its clock moved by ``clock_file``."""
    args = ["--radio", f"tcp://127.0.0.1:{radio_port}", *extra]
    if clock_file is not None:
        args += ["--clock-offset-file", str(clock_file)]
    return args


def canopy_json(*args: str, data: Path) -> Any:
    r = run_canopy(*args, "--json", data=data)
    assert r.code == 0, r.err
    return (
        json.loads(r.out)
        if "\n" not in r.out.strip()
        else [json.loads(line) for line in r.out.splitlines() if line.strip()]
    )


def canopy_ok(*args: str, data: Path) -> str:
    r = run_canopy(*args, data=data)
    assert r.code == 0, r.err
    return r.out


__all__ = ["Handheld", "canopy_json", "canopy_ok", "hub_options", "run_canopy"]
