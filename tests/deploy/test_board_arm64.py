"""A 64-bit Raspberry Pi OS hub, emulated: a Debian bookworm arm64 root (debootstrap) run
under qemu-user-static, Canopy installed into it offline from the aarch64 wheelhouse the
way an image build does it (`install.sh --image` inside a chroot with no network), then
the daemon on a simulated mesh answering a steward, the CLI, and the portal.

The chroot shares the host's network, so the daemon inside reaches `canopy sim` on the
host at 127.0.0.1. The install step alone runs in an empty network namespace
(`unshare --net`), which proves it needs no network at all.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from board_helpers import (
    ARM64,
    chroot,
    ensure_binfmt,
    fresh_root,
    root_tarball,
    source_tree,
    userspec,
)
from board_helpers import wheelhouse as board_wheelhouse
from deploy_helpers import free_port, require
from stewards.steward_e2e import Handheld
from support import stop

from radio.sim.testing import running_sim

# cold: debootstrap under emulation (~10 min) and the wheelhouse (~2 min); warm: ~3 min
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]

DATA = "/var/lib/canopy"
CANOPY = "/opt/canopy/venv/bin/canopy"
NAME = "Board Shop"


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


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    require("chroot")
    require("unshare")
    ensure_binfmt(ARM64)
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    tar = root_tarball(ARM64, [])
    timings["root (debootstrap or cache)"] = time.monotonic() - t0
    base = tmp_path_factory.mktemp("board")
    t0 = time.monotonic()
    wheels = board_wheelhouse(ARM64, base / "wheelhouse")
    timings["wheelhouse (build or cache)"] = time.monotonic() - t0
    assert not list(wheels.glob("*x86_64*")), "an x86_64 wheel in the aarch64 wheelhouse"
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
        print("\nboard timings:", json.dumps({k: round(v, 1) for k, v in timings.items()}))


def test_the_root_is_an_arm64_bookworm_with_python_3_11(board: Installed) -> None:
    machine = chroot(board.root, "uname", "-m")
    assert machine.stdout.strip() == "aarch64", machine
    probe = "import platform, sys; print(platform.machine(), sys.version_info[:2])"
    py = chroot(board.root, "/opt/canopy/venv/bin/python", "-c", probe)
    assert py.stdout.strip() == "aarch64 (3, 11)", py
    # the compiled dependencies are the aarch64 wheels, and they load under this glibc
    libs = chroot(board.root, "/opt/canopy/venv/bin/python", "-c",
                  "import nacl.bindings, cryptography.hazmat.bindings._rust, cbor2, nh3; "
                  "print(nacl.bindings.__file__)")  # fmt: skip
    assert libs.returncode == 0, libs.stderr


def test_the_image_install_ran_offline_and_enabled_the_services(board: Installed) -> None:
    out = board.install_log
    assert "system packages already installed" in out
    assert "(image: at first boot) sysctl --system" in out
    assert "(image: at first boot) systemctl restart" in out
    wants = board.root / "etc/systemd/system/multi-user.target.wants"
    for unit in ("canopy-hub.service", "hostapd.service", "chrony.service"):
        assert (wants / unit).is_symlink(), unit
    assert (
        board.root / "etc/systemd/system/sockets.target.wants/canopy-portal.socket"
    ).is_symlink()
    passwd = (board.root / "etc/passwd").read_text()
    assert any(line.startswith("canopy:") for line in passwd.splitlines())
    ident = json.loads(board.canopy("id", "--json").stdout)
    assert ident["name"] == NAME and len(ident["feed"]) == 64
    unit = (board.root / "etc/systemd/system/canopy-hub.service").read_text()
    assert f"ExecStart={CANOPY} run --data {DATA}" in unit


def test_note_export_and_verify_inside_the_board(board: Installed) -> None:
    done = board.canopy("note", "Lights out at the park")
    assert done.returncode == 0, done.stderr
    shown = board.canopy("log", "show", "--json")
    assert "Lights out at the park" in shown.stdout, shown
    assert board.canopy("log", "export", "--out", "/tmp/bundle").returncode == 0
    ok = board.canopy("log", "verify", "/tmp/bundle", data=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # a bundle with one flipped byte in the log is refused
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


def test_the_daemon_answers_a_steward_over_the_simulated_mesh(board: Installed) -> None:
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


def test_the_portal_answers_healthz(board: Installed) -> None:
    # No nginx configuration exists in the repository yet: gunicorn is asked directly.
    port = free_port()
    proc = board.popen("portal", "--bind", f"127.0.0.1:{port}", "--workers", "1")
    try:
        deadline = time.monotonic() + 240
        body: dict[str, object] = {}
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"canopy portal exited {proc.returncode}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
                    assert r.status == 200
                    body = json.loads(r.read())
                    break
            except OSError:
                time.sleep(0.5)
        assert body.get("ok") is True, body
        assert isinstance(body.get("entries"), int) and int(body["entries"]) >= 1  # type: ignore[call-overload]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as r:
            assert NAME in r.read().decode()
    except AssertionError as e:
        raise AssertionError(f"{e}\n{board.logs()}") from e
    finally:
        stop(proc)


# The daemons' own parsers, from the image's Debian packages (the same versions a Pi
# runs), check the files install.sh put in the image; the host needs neither package.


def test_chrony_in_the_image_accepts_the_installed_config(board: Installed) -> None:
    done = chroot(board.root, "chronyd", "-p", "-f", "/etc/chrony/chrony.conf")
    assert done.returncode == 0, done.stderr
    assert "allow 10.77.0.0/24" in done.stdout
    assert "refclock SOCK /run/chrony/canopy-gps.sock" in done.stdout
    bad = board.root / "tmp/chrony-bad.conf"
    bad.write_text((board.root / "etc/chrony/chrony.conf").read_text() + "bogusdirective 1\n")
    refused = chroot(board.root, "chronyd", "-p", "-f", "/tmp/chrony-bad.conf")
    assert refused.returncode != 0 and "Invalid directive" in refused.stderr, refused


def _hostapd_errors(root: Path, conf: str) -> str:
    # hostapd has no config-test mode: it parses, then fails at the (absent) Wi-Fi driver.
    done = chroot(root, "hostapd", "-d", conf, timeout=60)
    out = done.stdout + done.stderr
    assert "Configuration file:" in out, out[-2000:]
    return "\n".join(
        line for line in out.splitlines() if line.startswith("Line ") or "errors found" in line
    )


def test_hostapd_in_the_image_parses_the_installed_config(board: Installed) -> None:
    assert _hostapd_errors(board.root, "/etc/hostapd/hostapd.conf") == ""
    bad = board.root / "tmp/hostapd-bad.conf"
    bad.write_text((board.root / "etc/hostapd/hostapd.conf").read_text() + "channel_bogus=1\n")
    assert "errors found" in _hostapd_errors(board.root, "/tmp/hostapd-bad.conf")


def test_binfmt_runs_arm64_code_only_through_qemu(board: Installed) -> None:
    # the root's own /bin/true is an aarch64 ELF: the host runs it only via binfmt_misc
    header = (board.root / "usr/bin/true").read_bytes()[:20]
    assert header[:4] == b"\x7fELF" and header[18:20] == b"\xb7\x00"  # EM_AARCH64
    assert chroot(board.root, "/usr/bin/true").returncode == 0
