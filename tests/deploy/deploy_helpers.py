"""Helpers for the deploy tests: tools, rendering, the netns pair type."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.deploy import deploy_group

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CANOPY = VENV_BIN / "canopy"
INSTALL = REPO / "deploy" / "install.sh"
WHEELHOUSE = REPO / "deploy" / "wheelhouse.sh"


def require(tool: str) -> str:
    """Path of a system tool; the test fails when it is missing (`make test` installs it)."""
    path = shutil.which(tool) or next(
        (p for p in (f"/usr/sbin/{tool}", f"/sbin/{tool}") if os.access(p, os.X_OK)), None
    )
    if path is None:
        pytest.fail(f"{tool} is required: run `make test`, which installs it")
    return path


def render_tree(out: Path, *args: str) -> Path:
    result = CliRunner().invoke(deploy_group, ["render", "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    return out


def run(*cmd: str, check: bool = True, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=timeout)


@dataclass
class NetnsPair:
    """A "hub" and a "phone" network namespace joined by a veth pair."""

    hub: str
    phone: str
    hub_if: str
    phone_if: str

    def hub_cmd(self, *cmd: str) -> list[str]:
        return ["ip", "netns", "exec", self.hub, *cmd]

    def phone_cmd(self, *cmd: str) -> list[str]:
        return ["ip", "netns", "exec", self.phone, *cmd]


@contextlib.contextmanager
def make_netns_pair() -> Iterator[NetnsPair]:
    """Create the pair (unique names), and always delete it and whatever ran inside."""
    if os.geteuid() != 0:
        pytest.fail("network namespace tests need root")
    require("ip")
    tag = uuid.uuid4().hex[:8]
    pair = NetnsPair(f"canopy-hub-{tag}", f"canopy-phone-{tag}", f"cw{tag}", f"cp{tag}")
    try:
        run("ip", "netns", "add", pair.hub)
        run("ip", "netns", "add", pair.phone)
        run("ip", "link", "add", pair.hub_if, "type", "veth", "peer", "name", pair.phone_if)
        run("ip", "link", "set", pair.hub_if, "netns", pair.hub)
        run("ip", "link", "set", pair.phone_if, "netns", pair.phone)
        for ns, ifname in ((pair.hub, pair.hub_if), (pair.phone, pair.phone_if)):
            run("ip", "-n", ns, "link", "set", "lo", "up")
            run("ip", "-n", ns, "link", "set", ifname, "up")
        yield pair
    finally:
        for ns in (pair.hub, pair.phone):
            # kill anything still running inside, then drop the namespace
            pids = run("ip", "netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), 9)
            run("ip", "netns", "del", ns, check=False)


def tree_hash(root: Path) -> str:
    """Hash names, types, modes and contents of everything under root."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        h.update(f"{p.relative_to(root)}\0{st.st_mode:o}\0".encode())
        if p.is_file() and not p.is_symlink():
            h.update(p.read_bytes())
        elif p.is_symlink():
            h.update(os.readlink(p).encode())
    return h.hexdigest()


def install(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["bash", str(INSTALL), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done
