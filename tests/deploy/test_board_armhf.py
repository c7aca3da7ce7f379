"""A 32-bit Raspberry Pi OS hub (armv7l), emulated like the 64-bit one
(test_board_arm64.py). PyPI lacks 32-bit ARM wheels for some dependencies, so the armv7l
wheelhouse names Debian packages instead (debian-packages.txt); the image carries them,
install.sh makes a --system-site-packages venv and installs the wheelhouse as it is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from board_checks import (
    Installed,
    check_note_export_and_verify,
    check_portal_healthz,
    check_steward_over_the_simulated_mesh,
    installed_board,
)
from board_helpers import ARMHF, chroot

# cold: debootstrap under emulation (~8 min), the wheelhouse (~2 min); warm: ~3 min
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]

VENV_PYTHON = "/opt/canopy/venv/bin/python"


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    with installed_board(ARMHF, tmp_path_factory.mktemp("board")) as installed:
        yield installed


def test_the_root_is_a_32_bit_arm_bookworm_with_python_3_11(board: Installed) -> None:
    probe = "import platform, sys; print(platform.machine(), sys.version_info[:2])"
    py = chroot(board.root, VENV_PYTHON, "-c", probe)
    assert py.stdout.strip() == "armv7l (3, 11)", py
    header = (board.root / "usr/bin/true").read_bytes()[:20]
    assert header[4] == 1 and header[18:20] == b"\x28\x00"  # ELFCLASS32, EM_ARM


def test_the_debian_stand_ins_are_what_the_venv_imports(board: Installed) -> None:
    # what PyPI has no armv7l wheel for comes from /usr/lib/python3/dist-packages
    probe = (
        "import nacl, yaml, _cffi_backend, dbus_fast; "
        "print(*(m.__file__ for m in (nacl, yaml, _cffi_backend, dbus_fast)))"
    )
    done = chroot(board.root, VENV_PYTHON, "-c", probe)
    assert done.returncode == 0, done.stderr
    assert all(p.startswith("/usr/lib/python3/dist-packages/") for p in done.stdout.split())
    # and the venv's own wheels are 32-bit ARM builds where they are compiled; AES-CTR (the
    # Meshtastic MQTT codec's cipher) runs on Debian's cffi backend
    aes = (
        "import cryptography.hazmat.bindings._rust as r, markupsafe, nh3\n"
        "from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes\n"
        "e = Cipher(algorithms.AES(bytes(16)), modes.CTR(bytes(16))).encryptor()\n"
        "print(r.__file__, (e.update(bytes(16)) + e.finalize()).hex())"
    )
    libs = chroot(board.root, VENV_PYTHON, "-c", aes)
    assert libs.returncode == 0, libs.stderr
    path, block = libs.stdout.split()
    assert path.startswith("/opt/canopy/venv/")
    assert block == "66e94bd4ef8a2c3b884cfa59ca342b2e"  # AES-128(0^128), FIPS-197


def test_note_export_and_verify_inside_the_board(board: Installed) -> None:
    check_note_export_and_verify(board)


def test_the_daemon_answers_a_steward_over_the_simulated_mesh(board: Installed) -> None:
    check_steward_over_the_simulated_mesh(board)


def test_the_portal_answers_healthz(board: Installed) -> None:
    check_portal_healthz(board)
