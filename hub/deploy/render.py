"""Render the hub's system files from a DeployConfig and write them atomically.

The output is a tree that mirrors the target file system (``etc/hostapd/hostapd.conf``,
``etc/systemd/system/canopy-hub.service``, …), so it can be reviewed, tested, and
installed with a plain copy. Every file is rendered in memory first; only when all of
them rendered does anything touch the disk. A fresh output directory appears at once
(built beside it, then renamed); files in an existing one are each replaced atomically.

Templates live in the source tree: ``deploy/templates/*.j2`` and the unit templates in
``systemd/``. They are found next to this package (a checkout or an editable install),
or under ``$CANOPY_SOURCE``, or wherever ``source`` points.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jinja2

from hub.deploy.settings import DeployConfig
from hub.local import atomic_write
from hub.settings import CONFIG_PATH, dumps, select

__all__ = [
    "OUTPUTS",
    "Output",
    "RenderError",
    "find_source",
    "render",
    "runtime_settings",
    "write_tree",
]


class RenderError(RuntimeError):
    """Templates are missing or broken, or the output could not be written."""


@dataclass(frozen=True, slots=True)
class Output:
    """One rendered file: template name, path under the output root, file mode."""

    template: str
    path: str
    mode: int = 0o644


OUTPUTS: tuple[Output, ...] = (
    Output("hostapd.conf.j2", "etc/hostapd/hostapd.conf", 0o600),
    Output("networkd-ap.network.j2", "etc/systemd/network/10-canopy-ap.network"),
    Output("nm-unmanaged.conf.j2", "etc/NetworkManager/conf.d/90-canopy-unmanaged.conf"),
    Output("dnsmasq.conf.j2", "etc/canopy/dnsmasq.conf"),
    Output("nftables.conf.j2", "etc/nftables.conf", 0o755),
    Output("mosquitto.conf.j2", "etc/mosquitto/mosquitto.conf", 0o640),
    Output("mosquitto.acl.j2", "etc/mosquitto/canopy.acl", 0o640),
    Output("chrony.conf.j2", "etc/chrony/chrony.conf"),
    Output("journald.conf.j2", "etc/systemd/journald.conf.d/90-canopy.conf"),
    Output("sysctl.conf.j2", "etc/sysctl.d/90-canopy.conf"),
    Output("fstab-persist.j2", "etc/canopy/fstab.persist"),
    Output("canopy.toml.j2", CONFIG_PATH.lstrip("/")),
    Output("canopy-hub.service", "etc/systemd/system/canopy-hub.service"),
    Output("canopy-portal.socket", "etc/systemd/system/canopy-portal.socket"),
    Output("canopy-portal.service", "etc/systemd/system/canopy-portal.service"),
    Output("canopy-dnsmasq.service", "etc/systemd/system/canopy-dnsmasq.service"),
)


def find_source(source: Path | None = None) -> Path:
    """Return the source tree holding ``deploy/templates`` and ``systemd``.

    :raises RenderError: if no candidate has both directories.
    """
    candidates: list[Path] = []
    if source is not None:
        candidates.append(Path(source))
    elif os.environ.get("CANOPY_SOURCE"):
        candidates.append(Path(os.environ["CANOPY_SOURCE"]))
    else:
        candidates.append(Path(__file__).resolve().parents[2])
    for c in candidates:
        if (c / "deploy" / "templates").is_dir() and (c / "systemd").is_dir():
            return c
    tried = ", ".join(str(c) for c in candidates)
    raise RenderError(
        f"deploy templates not found (tried {tried}); pass --source or set CANOPY_SOURCE"
    )


def render(
    config: DeployConfig,
    source: Path | None = None,
    features: Mapping[str, bool] | None = None,
) -> dict[str, tuple[str, int]]:
    """Render every output in memory: ``{relative path: (text, mode)}``.

    ``features`` tells the unit templates which options the installed ``canopy run`` and
    ``canopy portal`` accept (``config``, ``run_mqtt``, ``portal_url``); missing ones count
    as there. With ``config`` the units only name the config file (:func:`runtime_settings`).

    :raises RenderError: if a template is missing or fails to render.
    """
    root = find_source(source)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([root / "deploy" / "templates", root / "systemd"]),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    flags = {"config": True, "run_mqtt": True, "portal_url": True, **(features or {})}
    settings_toml = dumps(select("hub", "desk", "mqtt", "portal"), runtime_settings(config))
    files: dict[str, tuple[str, int]] = {}
    for out in OUTPUTS:
        mode = out.mode
        try:
            text = env.get_template(out.template).render(
                c=config, f=flags, config_path=CONFIG_PATH, settings_toml=settings_toml
            )
        except jinja2.TemplateError as e:
            raise RenderError(f"template {out.template}: {e}") from e
        files[out.path] = (text, mode)
    return files


def runtime_settings(config: DeployConfig) -> dict[str, object]:
    """What the rendered config file sets for the daemon and the portal (``section.name``);
    every other setting keeps its default and appears in the file commented out."""
    return {
        "hub.data": str(config.data),
        "hub.radio": config.radio,
        "mqtt.url": f"mqtt://127.0.0.1:{config.mqtt_port}",
        "portal.bind": f"{config.address}:{config.portal_port}",
        "portal.url": config.portal_url,
        # nginx in front of gunicorn, on the socket canopy-portal.socket passes in
        "portal.front": "nginx",
    }


def _write_file(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text.encode("utf-8"), mode)


def write_tree(files: dict[str, tuple[str, int]], out: Path) -> None:
    """Write rendered files under ``out``.

    If ``out`` does not exist, the whole tree is built in a sibling temporary directory
    and renamed into place, so readers see all of it or nothing.

    :raises RenderError: on any file system error.
    """
    out = Path(out)
    try:
        if out.exists():
            if not out.is_dir():
                raise RenderError(f"{out} exists and is not a directory")
            for rel, (text, mode) in sorted(files.items()):
                _write_file(out / rel, text, mode)
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            for rel, (text, mode) in sorted(files.items()):
                _write_file(staging / rel, text, mode)
            staging.chmod(0o755)
            os.rename(staging, out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    except OSError as e:
        raise RenderError(f"cannot write {out}: {e}") from e
