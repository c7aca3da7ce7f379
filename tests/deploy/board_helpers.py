"""An emulated Raspberry Pi OS: a Debian bookworm root for another architecture, built
with debootstrap and run under qemu-user-static through binfmt_misc.

Built once and cached outside the repository (``$CANOPY_BOARD_CACHE``, default
``/var/cache/canopy-board``) as a tarball keyed by what shapes it; every test run
unpacks a fresh copy. The offline wheelhouse is cached the same way (keyed by
pyproject.toml and deploy/wheelhouse.sh); Canopy's own wheel is rebuilt on every run.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from deploy_helpers import INSTALL, REPO, WHEELHOUSE, require

CACHE = Path(os.environ.get("CANOPY_BOARD_CACHE", "/var/cache/canopy-board"))
SUITE = "bookworm"
RECIPE = 1  # bump when the way the root is made changes
MIRROR = os.environ.get("CANOPY_DEBIAN_MIRROR", "http://deb.debian.org/debian")
BINFMT = Path("/proc/sys/fs/binfmt_misc")


@dataclass(frozen=True)
class Board:
    debian_arch: str  # debootstrap's name
    machine: str  # uname -m, and the wheelhouse's name
    qemu: str  # binfmt_misc entry of qemu-user-static


ARM64 = Board("arm64", "aarch64", "qemu-aarch64")
ARMHF = Board("armhf", "armv7l", "qemu-arm")


def install_packages() -> list[str]:
    """The Debian packages deploy/install.sh installs: the image carries them already,
    as the card's package sources would provide them (the install runs offline)."""
    m = re.search(r"^PACKAGES=\(([^)]*)\)", INSTALL.read_text(), re.M)
    assert m, "PACKAGES=(...) not found in install.sh"
    return m.group(1).split()


def root_packages(extra: list[str]) -> list[str]:
    # systemd: `systemctl enable` in the image, as on Raspberry Pi OS Lite
    return sorted({"systemd", *install_packages(), *extra})


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(hashlib.sha256(p).digest())
    return h.hexdigest()[:16]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def _run(cmd: list[str], timeout: float, **kw: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, **kw)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{cmd[:4]}… failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done  # type: ignore[no-any-return]


# -- binfmt_misc -------------------------------------------------------------------------


def ensure_binfmt(board: Board) -> None:
    """Mount binfmt_misc if needed and make sure qemu-user-static is registered for the
    board's ELF binaries, with the F flag (the interpreter is opened now, so it need not
    exist inside the root). Fails, never skips."""
    if os.geteuid() != 0:
        pytest.fail("the emulated board test needs root (chroot, mount, binfmt_misc)")
    if not (BINFMT / "register").exists():
        done = subprocess.run(
            ["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not (BINFMT / "register").exists():
            pytest.fail(f"cannot mount binfmt_misc at {BINFMT}: {done.stderr.strip()}")
    entry = BINFMT / board.qemu
    if not entry.exists() or "enabled" not in entry.read_text():
        tool = shutil.which("update-binfmts") or "/usr/sbin/update-binfmts"
        if os.access(tool, os.X_OK):
            subprocess.run([tool, "--enable", board.qemu], capture_output=True, check=False)
    if not entry.exists():
        # no binfmt-support: register from systemd's binfmt.d line of qemu-user-static
        conf = Path(f"/usr/lib/binfmt.d/{board.qemu}.conf")
        if conf.exists():
            line = next(ln for ln in conf.read_text().splitlines() if ln.startswith(":"))
            with contextlib.suppress(OSError):
                (BINFMT / "register").write_text(line)
    if not entry.exists():
        pytest.fail(
            f"qemu-user-static is not registered in binfmt_misc for {board.machine} "
            f"({entry} missing): install qemu-user-static binfmt-support (make test does)"
        )
    text = entry.read_text()
    if "enabled" not in text.splitlines()[0]:
        entry.write_text("1")
    flags = next((ln for ln in text.splitlines() if ln.startswith("flags:")), "")
    if "F" not in flags:
        pytest.fail(f"{entry} lacks the F flag; the chroot could not find qemu: {flags}")


# -- the root ------------------------------------------------------------------------------


def root_tarball(board: Board, extra: list[str]) -> Path:
    """The cached tarball of a clean debootstrapped root; built on first use."""
    pkgs = root_packages(extra)
    key = _digest(f"{RECIPE} {SUITE} {board.debian_arch} minbase {' '.join(pkgs)}".encode())
    tar = CACHE / f"root-{board.debian_arch}-{key}.tar"
    with _locked(CACHE / f"root-{board.debian_arch}.lock"):
        if tar.exists():
            os.utime(tar)  # in use: kept by the clean-up below
            return tar
        require("debootstrap")
        ensure_binfmt(board)
        build = CACHE / f"build-{board.debian_arch}-{key}"
        if build.exists():
            _rmtree_root(build)
        started = time.monotonic()
        _run(
            [
                require("debootstrap"),
                f"--arch={board.debian_arch}",
                "--variant=minbase",
                f"--include={','.join(pkgs)}",
                SUITE,
                str(build),
                MIRROR,
            ],
            timeout=3600,
        )
        # no daemons may start inside the image while it is being built or used
        (build / "usr/sbin/policy-rc.d").write_text("#!/bin/sh\nexit 101\n")
        (build / "usr/sbin/policy-rc.d").chmod(0o755)
        _run(["chroot", str(build), "apt-get", "clean"], timeout=300)
        part = tar.with_suffix(".part")
        _run(["tar", "-C", str(build), "--numeric-owner", "-cf", str(part), "."], timeout=600)
        part.rename(tar)
        (CACHE / f"root-{board.debian_arch}-{key}.seconds").write_text(
            f"{time.monotonic() - started:.0f}\n"
        )
        _rmtree_root(build)
        # Another branch's package list may still use an older root: drop only those no
        # run has unpacked for a day, so two branches never rebuild each other's in turn.
        for old in CACHE.glob(f"root-{board.debian_arch}-*.tar"):
            if old != tar and time.time() - old.stat().st_mtime > 86400:
                old.unlink()
        return tar


def _mounts_under(root: Path) -> list[str]:
    prefix = str(root.resolve()) + "/"
    with open("/proc/self/mounts") as f:
        points = [line.split()[1] for line in f]
    return [p for p in points if (p + "/").startswith(prefix)]


def _rmtree_root(root: Path) -> None:
    """Delete an unpacked root, never while anything is mounted inside it."""
    for point in sorted(_mounts_under(root), reverse=True):
        subprocess.run(["umount", "-l", point], check=False)
    left = _mounts_under(root)
    assert not left, f"still mounted, not deleting {root}: {left}"
    # rm, not shutil.rmtree: a root is ~20,000 files, and Python's walk took ~50 s of a run
    _run(["rm", "-rf", "--one-file-system", "--", str(root)], timeout=600)


@contextlib.contextmanager
def fresh_root(tar: Path, where: Path) -> Iterator[Path]:
    """Unpack a fresh copy of the root with /proc mounted; unmount and delete it after."""
    root = where / "root"
    root.mkdir()
    try:
        _run(["tar", "-C", str(root), "--numeric-owner", "-xf", str(tar)], timeout=600)
        _run(["mount", "-t", "proc", "proc", str(root / "proc")], timeout=30)
        yield root
    finally:
        _rmtree_root(root)


def userspec(root: Path, user: str) -> str:
    """UID:GID of a user of the root (the host need not know the name)."""
    for line in (root / "etc/passwd").read_text().splitlines():
        f = line.split(":")
        if f[0] == user:
            return f"{f[2]}:{f[3]}"
    raise AssertionError(f"no user {user} in {root}/etc/passwd")


def chroot(
    root: Path, *cmd: str, user: str | None = None, timeout: float = 300, **kw: object
) -> subprocess.CompletedProcess[str]:
    """Run a command inside the root (as `user`), with a plain environment."""
    spec = [f"--userspec={userspec(root, user)}"] if user else []
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
    }
    env.update(kw.pop("env", {}))  # type: ignore[arg-type]
    return subprocess.run(
        ["chroot", *spec, str(root), *cmd],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
        **kw,  # type: ignore[arg-type]
    )


# -- the wheelhouse ------------------------------------------------------------------------


def _dependency_spec() -> bytes:
    """What decides the dependencies' wheels: pyproject.toml's Python range and dependency
    lists, not the rest of it (an entry point or a linter setting rebuilds nothing)."""
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    keep = ("requires-python", "dependencies", "optional-dependencies")
    return json.dumps({k: project.get(k) for k in keep}, sort_keys=True).encode()


def wheelhouse(board: Board, dest: Path) -> Path:
    """The board's offline wheelhouse in `dest`: dependencies from the cache (built by
    deploy/wheelhouse.sh on first use), Canopy's own wheel freshly built from this tree."""
    key = _digest(_dependency_spec(), WHEELHOUSE.read_bytes())
    cached = CACHE / f"wheelhouse-{key}" / board.machine
    with _locked(CACHE / "wheelhouse.lock"):
        if not cached.exists():
            staging = CACHE / f"wheelhouse-{key}.part"
            shutil.rmtree(staging, ignore_errors=True)
            _run(
                ["bash", str(WHEELHOUSE), "--out", str(staging), "--arch", board.machine],
                timeout=1200,
                env={**os.environ, "PYTHON": sys.executable},
            )
            cached.parent.mkdir(parents=True, exist_ok=True)
            (staging / board.machine).rename(cached)
            shutil.rmtree(staging, ignore_errors=True)
            # as with the roots: another branch's dependencies may still use an older
            # wheelhouse; drop only those no run has used for a day
            for old in CACHE.glob("wheelhouse-*"):
                if (
                    old.is_dir()
                    and old != cached.parent
                    and not old.name.endswith(".part")
                    and time.time() - old.stat().st_mtime > 86400
                ):
                    shutil.rmtree(old, ignore_errors=True)
        os.utime(cached.parent)  # in use: kept by the clean-up above
    shutil.copytree(cached, dest)
    for own in dest.glob("canopy_hub-*.whl"):
        own.unlink()
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            str(dest),
            str(REPO),
        ],
        timeout=300,
    )
    assert len(list(dest.glob("canopy_hub-*.whl"))) == 1
    return dest


def source_tree(dest: Path) -> None:
    """What an image build copies: the tracked files of this checkout (scripts, templates,
    units), as `git ls-files` names them, so no venv or cache comes along."""
    files = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in files:
        if not raw:
            continue
        rel = raw.decode()
        src = REPO / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
