"""deploy/install.sh and deploy/wheelhouse.sh: shellcheck-clean, idempotent, dry-run safe,
and able to install offline from a wheelhouse."""

from __future__ import annotations

import subprocess
from pathlib import Path

from deploy_helpers import CANOPY, INSTALL, REPO, WHEELHOUSE, install, require, tree_hash

SCRIPTS = sorted(REPO.glob("deploy/**/*.sh"))


def test_scripts_are_shellcheck_clean() -> None:
    tool = require("shellcheck")
    assert {INSTALL, WHEELHOUSE} <= set(SCRIPTS)
    for script in SCRIPTS:
        done = subprocess.run([tool, str(script)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{script.name}:\n{done.stdout}"


def test_install_into_a_root_twice_gives_the_same_tree(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    first = install("--root", str(root), "--canopy", str(CANOPY), "--name", "Test Shop")
    h1 = tree_hash(root)
    for rel in (
        "etc/hostapd/hostapd.conf",
        "etc/canopy/dnsmasq.conf",
        "etc/nftables.conf",
        "etc/mosquitto/mosquitto.conf",
        "etc/systemd/system/canopy-hub.service",
        "var/lib/canopy/identity.json",
        "var/lib/canopy/mqtt-bridge.secret",
    ):
        assert (root / rel).is_file(), rel
    # the system is left alone under --root; the commands are shown instead
    for cmd in (
        "env DEBIAN_FRONTEND=noninteractive apt-get install -y",
        "useradd --system",
        "systemctl enable",
        "chown -R canopy:canopy",
        # Debian's nginx.service would hold port 80; the portal runs its own nginx
        "systemctl mask nginx.service",
    ):
        assert f"(skipped) {cmd}" in first.stdout, cmd
    assert " nginx" in first.stdout.split("apt-get install -y", 1)[1].splitlines()[0]
    config = (root / "etc/canopy/canopy.toml").read_text()
    assert 'front = "nginx"' in config, config
    unit = (root / "etc/systemd/system/canopy-hub.service").read_text()
    assert "ExecStart=/opt/canopy/venv/bin/canopy run --config /etc/canopy/canopy.toml" in unit
    assert 'data = "/var/lib/canopy"' in (root / "etc/canopy/canopy.toml").read_text()
    assert str(root) not in unit

    second = install("--root", str(root), "--canopy", str(CANOPY), "--name", "Test Shop")
    assert tree_hash(root) == h1
    assert "hub already initialised" in second.stdout
    assert "+ install " not in second.stdout


def test_dry_run_changes_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    done = install("--dry-run", "--root", str(empty), "--canopy", str(CANOPY))
    assert list(empty.iterdir()) == []
    assert "dry run" in done.stdout
    assert "+ install -D" in done.stdout and "init --name" in done.stdout

    installed = tmp_path / "installed"
    installed.mkdir()
    install("--root", str(installed), "--canopy", str(CANOPY), "--name", "Dry Shop")
    before = tree_hash(installed)
    install("--dry-run", "--root", str(installed), "--canopy", str(CANOPY), "--ssid", "Other")
    assert tree_hash(installed) == before


def test_dry_run_on_this_system_touches_nothing(tmp_path: Path) -> None:
    # a dry run against the real root must not even need root's files to be writable
    done = install("--dry-run", "--canopy", str(CANOPY), "--name", "Nowhere")
    assert "(skipped) apt-get update" in done.stdout
    assert "(skipped) systemctl restart" in done.stdout
    assert not Path("/etc/canopy/dnsmasq.conf").exists() or "unchanged" in done.stdout


def test_bad_render_options_stop_the_install(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    done = subprocess.run(
        ["bash", str(INSTALL), "--root", str(root), "--canopy", str(CANOPY), "--ssid", "x" * 40],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "--ssid" in done.stderr
    assert not (root / "etc").exists()
