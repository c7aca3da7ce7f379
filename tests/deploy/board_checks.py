"""What every emulated board is checked for: Canopy installed offline from the board's
wheelhouse with `install.sh --image` in a chroot of a fresh root, then the CLI, the
daemon answering a steward over the simulated mesh, and the portal.

The chroot shares the host's network, so the daemon inside reaches `canopy sim` on the
host at 127.0.0.1. The install step alone runs in an empty network namespace
(`unshare --net`), which proves it needs no network at all.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import shlex
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from board_helpers import (
    Board,
    chroot,
    ensure_binfmt,
    fresh_root,
    root_tarball,
    source_tree,
    userspec,
)
from board_helpers import wheelhouse as board_wheelhouse
from deploy_helpers import require
from stewards.steward_e2e import Handheld
from support import free_port, stop

from radio.sim.testing import running_sim

DATA = "/var/lib/canopy"
CANOPY = "/opt/canopy/venv/bin/canopy"
NAME = "Board Shop"


# Runs `canopy` command lines (JSON in argv[1]) through click's runner in one interpreter;
# prints [exit code, output, errors] for each. Older click mixes the streams unless told.
_MANY = """
import json, sys
from click.testing import CliRunner
from hub.cli.main import main
try:
    runner = CliRunner(mix_stderr=False)
except TypeError:
    runner = CliRunner()
results = []
for args in json.loads(sys.argv[1]):
    r = runner.invoke(main, args, prog_name="canopy", catch_exceptions=False)
    results.append([r.exit_code, r.stdout, r.stderr])
print(json.dumps(results))
"""


@dataclass
class Installed:
    root: Path
    install_log: str
    timings: dict[str, float]

    def canopy(
        self, *args: str, data: bool = True, timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        """The installed `canopy` inside the root, as the hub's user, like its units run it."""
        data_args = ("--data", DATA) if data else ()
        return chroot(
            self.root, CANOPY, *args, *data_args, user="canopy", timeout=timeout,
            env={"HOME": DATA},
        )  # fmt: skip

    def canopy_many(
        self, *commands: list[str], timeout: float = 300
    ) -> list[subprocess.CompletedProcess[str]]:
        """Several `canopy` command lines run by the installed CLI in one interpreter inside
        the root, as the hub's user: under emulation each Python start costs seconds, and
        the commands are the same code however many run in one process. Each result has
        the command's exit code, output and errors."""
        done = chroot(
            self.root, CANOPY.removesuffix("canopy") + "python", "-c", _MANY,
            json.dumps(commands), user="canopy", timeout=timeout, env={"HOME": DATA},
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return [
            subprocess.CompletedProcess([CANOPY, *args], code, out, err)
            for args, (code, out, err) in zip(commands, json.loads(done.stdout), strict=True)
        ]

    def logs(self) -> str:
        """The tails of the daemon and portal logs, for failure messages."""
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-1500:]}"
            for p in sorted((self.root / "tmp").glob("*.log"))
        )

    def popen(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        spec = f"--userspec={userspec(self.root, 'canopy')}"
        with open(self.root / "tmp" / f"{args[0]}-{uuid.uuid4().hex[:6]}.log", "wb") as log:
            return subprocess.Popen(
                [require("chroot"), spec, str(self.root), CANOPY, *args, "--data", DATA],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={"PATH": "/usr/bin:/bin", "HOME": DATA, "PYTHONUNBUFFERED": "1", **(env or {})},
            )


@contextlib.contextmanager
def installed_board(board: Board, base: Path) -> Iterator[Installed]:
    """A fresh root of the board with Canopy installed; deleted afterwards."""
    require("chroot")
    require("unshare")
    ensure_binfmt(board)
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    wheels = board_wheelhouse(board, base / "wheelhouse")
    timings["wheelhouse (build or cache)"] = time.monotonic() - t0
    assert not list(wheels.glob("*x86_64*")), "an x86_64 wheel in the board's wheelhouse"
    standins = wheels / "debian-packages.txt"
    extra = standins.read_text().split() if standins.exists() else []
    t0 = time.monotonic()
    tar = root_tarball(board, extra)
    timings["root (debootstrap or cache)"] = time.monotonic() - t0
    t0 = time.monotonic()
    with fresh_root(tar, base) as root:
        timings["unpack root"] = time.monotonic() - t0
        src = root / "usr/src/canopy"
        source_tree(src)
        subprocess.run(["cp", "-a", str(wheels), str(root / "tmp/wheelhouse")], check=True)
        t0 = time.monotonic()
        done = subprocess.run(
            ["unshare", "--net", "chroot", str(root), "bash", "/usr/src/canopy/deploy/install.sh",
             "--image", "--wheelhouse", "/tmp/wheelhouse", "--name", NAME],
            capture_output=True, text=True, timeout=1800, check=False,
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"},
        )  # fmt: skip
        timings["install.sh --image (emulated, offline)"] = time.monotonic() - t0
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        yield Installed(root, done.stdout, timings)
        print(
            f"\n{board.machine} board timings:",
            json.dumps({k: round(v, 1) for k, v in timings.items()}),
        )


def check_note_export_and_verify(board: Installed) -> None:
    data = ["--data", DATA]
    note, shown, export, ok = board.canopy_many(
        ["note", "Lights out at the park", *data],
        ["log", "show", "--json", *data],
        ["log", "export", "--out", "/tmp/bundle", *data],
        ["log", "verify", "/tmp/bundle"],
    )
    assert note.returncode == 0 and note.stdout.startswith("note recorded at"), note
    assert shown.returncode == 0 and "Lights out at the park" in shown.stdout, shown
    assert export.returncode == 0, export
    assert ok.returncode == 0 and ok.stdout.startswith("OK "), ok
    # a bundle with one flipped byte in the log is refused, by the installed program itself
    subprocess.run(["cp", "-a", str(board.root / "tmp/bundle"), str(board.root / "tmp/bad")],
                   check=True)  # fmt: skip
    logs = sorted(p for p in (board.root / "tmp/bad").rglob("*") if p.is_file())
    biggest = max(logs, key=lambda p: p.stat().st_size)
    raw = bytearray(biggest.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    biggest.write_bytes(bytes(raw))
    bad = board.canopy("log", "verify", "/tmp/bad", data=False)
    assert bad.returncode != 0, bad.stdout


def _ready(sock: socket.socket, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"canopy run exited {proc.returncode}")
        try:
            if b"READY=1" in sock.recv(4096):
                return
        except TimeoutError:
            continue
    raise AssertionError(f"canopy run sent no READY=1 within {timeout} s")


def check_steward_over_the_simulated_mesh(board: Installed) -> None:
    with (
        running_sim(nodes=2, topology="full") as sim,
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify,
    ):
        name = f"@canopy-board-{uuid.uuid4().hex[:8]}"
        notify.bind("\0" + name[1:])
        notify.settimeout(1)
        proc = board.popen(
            "run", "--radio", f"tcp://127.0.0.1:{sim.ports[0]}", env={"NOTIFY_SOCKET": name}
        )
        try:
            _ready(notify, proc, timeout=240)
            inv = board.canopy("roster", "invite", "--handle", "mara", "--role", "steward",
                               "--json")  # fmt: skip
            assert inv.returncode == 0, inv.stderr
            code = json.loads(inv.stdout)["code"]
            radio = Handheld(sim.ports[1], sim.node_num(1), sim.node_num(0))
            try:
                since = radio.mark()
                radio.send(f"JOIN {code}")
                welcome = radio.wait(lambda t: t.startswith("Welcome"), since, timeout=120)
                assert welcome.startswith("Welcome, mara! Enrolled as steward"), welcome
                since = radio.mark()
                radio.send("IN 30 north loop")
                on_duty = radio.wait(lambda t: t.startswith("On duty"), since, timeout=120)
                assert on_duty.startswith("On duty (#"), on_duty
            finally:
                radio.close()
            shown = board.canopy("log", "show", "--kind", "checkin", "--json")
            assert shown.returncode == 0, shown.stderr
            checkin = json.loads(shown.stdout.splitlines()[-1])
            assert (checkin["author"], checkin.get("minutes")) == ("mara", 30)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{board.logs()}") from e
        finally:
            stop(proc)
        assert proc.returncode == 0, f"canopy run exited {proc.returncode} on SIGTERM"


def _get(url: str, timeout: float, **headers: str) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def check_portal_healthz(board: Installed) -> None:
    """The portal as its unit runs it: the installed unit's ExecStart, started on the first
    connection to a socket passed the way systemd does (systemd-socket-activate from the
    image), answering through the image's nginx in front of gunicorn."""
    unit = (board.root / "etc/systemd/system/canopy-portal.service").read_text()
    line = next(x for x in unit.splitlines() if x.startswith("ExecStart="))
    argv = shlex.split(line.removeprefix("ExecStart="))
    assert argv[:2] == [CANOPY, "portal"], argv
    port = free_port()
    spec = f"--userspec={userspec(board.root, 'canopy')}"
    with open(board.root / "tmp" / f"portal-{uuid.uuid4().hex[:6]}.log", "wb") as log:
        proc = subprocess.Popen(
            [require("chroot"), spec, str(board.root), "/usr/bin/systemd-socket-activate",
             "-l", f"127.0.0.1:{port}", "-E", "PATH=/usr/bin:/bin", "-E", f"HOME={DATA}",
             "-E", "PYTHONUNBUFFERED=1", *argv],
            stdout=log, stderr=subprocess.STDOUT, env={"PATH": "/usr/bin:/bin"},
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:  # the first request starts the stack (emulated: slowly) and waits
            assert proc.poll() is None, f"the portal exited {proc.returncode}"
            try:
                status, headers, raw = _get(base + "/healthz", timeout=240)
                break
            except OSError:
                assert time.monotonic() < deadline, "the portal never answered"
                time.sleep(0.5)
        assert status == 200, (status, raw[:200])
        body = json.loads(raw)
        assert body.get("ok") is True, body
        assert isinstance(body.get("entries"), int) and body["entries"] >= 0, body
        # through nginx: its Server header, compression, and the security headers on its
        # own error answers too
        assert headers.get("server") == "nginx", headers
        status, headers, page = _get(base + "/", 30, **{"Accept-Encoding": "gzip"})
        assert status == 200 and headers.get("content-encoding") == "gzip", headers
        assert NAME in gzip.decompress(page).decode()
        status, headers, _ = _get(base + "/" + "a" * 9000, 30)
        assert status == 414 and "default-src" in headers.get("content-security-policy", "")
    except AssertionError as e:
        raise AssertionError(f"{e}\n{board.logs()}") from e
    finally:
        stop(proc)
