"""`canopy radio info` against a virtual radio, through the installed `canopy` command."""

from __future__ import annotations

import inspect
import json
import socket
import subprocess
import sys
from pathlib import Path

from support import SimFactory

from radio.adapter import RadioAdapter
from radio.cli import info_cmd

CANOPY = Path(sys.executable).parent / "canopy"


def canopy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CANOPY), *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_radio_info_text_and_json(sim: SimFactory) -> None:
    mesh = sim(nodes=3, topology="chain", region="EU_868", preset="LONG_FAST")
    url = f"tcp://127.0.0.1:{mesh.ports[1]}"
    text = canopy("radio", "info", "--radio", url)
    assert text.returncode == 0, text.stderr
    assert "!5eed0001" in text.stdout and "Sim Node 1 / S01" in text.stdout
    assert "region EU_868, preset LONG_FAST" in text.stdout
    assert "[0] PRIMARY" in text.stdout
    assert "nodes heard: 2" in text.stdout

    out = canopy("radio", "info", "--radio", url, "--json")
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["my_node_num"] == mesh.node_num(1) and info["my_node_id"] == "!5eed0001"
    assert (info["long_name"], info["short_name"]) == ("Sim Node 1", "S01")
    assert info["firmware"] == "2.7.11.sim"
    assert (info["region"], info["modem_preset"], info["hop_limit"]) == (
        "EU_868", "LONG_FAST", 3,
    )  # fmt: skip
    assert info["channels"][0]["role"] == "PRIMARY"
    heard = {n["num"] for n in info["nodes"]}
    assert heard == {mesh.node_num(0), mesh.node_num(2)}
    assert all(n["has_public_key"] for n in info["nodes"])


def test_radio_info_errors() -> None:
    bad = canopy("radio", "info", "--radio", "http://nope")
    assert bad.returncode == 2 and "unknown radio URL scheme" in bad.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nothing listens there
    down = canopy("radio", "info", "--radio", f"tcp://127.0.0.1:{port}", "--timeout", "2")
    assert down.returncode == 1 and "Connection refused" in down.stderr
    assert down.stdout == ""


def test_docs_cover_every_setting_option_and_reason() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "radio.md").read_text()
    settings = [
        name
        for name, p in inspect.signature(RadioAdapter).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    assert settings and all(f"| `{name}` |" in doc for name in settings)
    for param in info_cmd.params:
        for opt in param.opts:
            assert opt in doc, opt
    reasons = ["ACK", "SENT", "ACK_TIMEOUT", "GAVE_UP", "EXPIRED", "STOPPED"]
    source = "".join(
        (Path(__file__).resolve().parents[2] / "radio" / f).read_text()
        for f in ("outqueue.py", "adapter/core.py", "adapter/worker.py")
    )
    for reason in reasons:
        assert f'"{reason}"' in source and f"`{reason}`" in doc, reason
