"""A 64-bit Raspberry Pi OS hub, emulated: a Debian bookworm arm64 root (debootstrap) run
under qemu-user-static, Canopy installed into it offline from the aarch64 wheelhouse the
way an image build does it (`install.sh --image` inside a chroot with no network), then
the CLI, the daemon on a simulated mesh answering a steward, and the portal
(board_checks.py). chrony and hostapd from the image check the installed configs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from board_checks import (
    CANOPY,
    DATA,
    NAME,
    Installed,
    check_note_export_and_verify,
    check_portal_healthz,
    check_steward_over_the_simulated_mesh,
    installed_board,
)
from board_helpers import ARM64, chroot

# cold: debootstrap under emulation (~8 min), the wheelhouse (~1 min); warm: see docs/deploy.md
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    with installed_board(ARM64, tmp_path_factory.mktemp("board")) as installed:
        yield installed


def test_the_root_is_an_arm64_bookworm_with_python_3_11(board: Installed) -> None:
    machine = chroot(board.root, "uname", "-m")
    assert machine.stdout.strip() == "aarch64", machine
    # one interpreter (each start costs seconds under emulation): the machine and Python,
    # and the compiled dependencies are the aarch64 wheels, loading under this glibc
    probe = (
        "import platform, sys\n"
        "import nacl.bindings, cryptography.hazmat.bindings._rust, cbor2, nh3\n"
        "print(platform.machine(), sys.version_info[:2])"
    )
    py = chroot(board.root, "/opt/canopy/venv/bin/python", "-c", probe)
    assert py.returncode == 0, py.stderr
    assert py.stdout.strip() == "aarch64 (3, 11)", py


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
    # Debian's own nginx.service is masked: the portal's unit runs nginx on port 80 itself
    masked = board.root / "etc/systemd/system/nginx.service"
    assert masked.is_symlink() and str(masked.readlink()) == "/dev/null"
    passwd = (board.root / "etc/passwd").read_text()
    assert any(line.startswith("canopy:") for line in passwd.splitlines())
    ident = json.loads(board.canopy("id", "--json").stdout)
    assert ident["name"] == NAME and len(ident["feed"]) == 64
    unit = (board.root / "etc/systemd/system/canopy-hub.service").read_text()
    assert f"ExecStart={CANOPY} run --config /etc/canopy/canopy.toml" in unit
    config = (board.root / "etc/canopy/canopy.toml").read_text()
    assert f'data = "{DATA}"' in config


def test_note_export_and_verify_inside_the_board(board: Installed) -> None:
    check_note_export_and_verify(board)


def test_the_daemon_answers_a_steward_over_the_simulated_mesh(board: Installed) -> None:
    check_steward_over_the_simulated_mesh(board)


def test_the_portal_answers_healthz(board: Installed) -> None:
    check_portal_healthz(board)


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
