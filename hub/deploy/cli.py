"""`canopy deploy render` and `canopy sticker`: a hub's system files and its QR sticker.

A thin click layer: options come from the settings table in :mod:`hub.deploy.settings`,
validation raises :class:`~hub.deploy.settings.DeployConfigError` before anything is
written, and :mod:`hub.deploy.render` renders the templates and writes them atomically.
"""

from __future__ import annotations

import importlib
import io
import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from hub.deploy.render import OUTPUTS, RenderError, render, write_tree
from hub.deploy.settings import SETTINGS, DeployConfigError, build_config
from hub.local import atomic_write

__all__ = ["cli_features", "deploy_group", "hub_identity", "render_cmd", "sticker_cmd"]


def hub_identity(data: Path) -> tuple[str, str] | None:
    """``(name, feed hex)`` of the hub in ``data``, or ``None`` if there is none to read."""
    from hub.local import DataDir, load_identity

    try:
        ident = load_identity(DataDir(data))
        return ident.name, ident.feed.hex()
    except Exception:  # any unreadable hub: fall back to defaults, rendering still works
        return None


def _accepts(command_name: str, option: str) -> bool:
    """Whether ``canopy COMMAND_NAME`` of this install has ``option``; unknown means yes.

    Loaded the way the CLI loads it (by name, lazily), so ``hub`` imports no other room.
    """
    from hub.cli import LAZY_COMMANDS

    target = LAZY_COMMANDS.get(command_name)
    if target is None:
        return True
    module_name, attr = target.split(":")
    try:
        command = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError):
        return True
    if not isinstance(command, click.Command):
        return True
    return any(option in p.opts for p in command.params)


def cli_features() -> dict[str, bool]:
    """Which optional flags the daemon and portal of this install take, for the units."""
    return {
        "config": _accepts("run", "--config") and _accepts("portal", "--config"),
        "run_mqtt": _accepts("run", "--mqtt"),
        "portal_url": _accepts("portal", "--url"),
    }


def _setting_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for s in reversed(SETTINGS):
        default = f" [default: {s.default_text}]" if s.default_text else ""
        fn = click.option(
            s.option, s.name, default=None, multiple=s.multiple, help=s.help + default
        )(fn)
    return fn


@click.group("deploy")
def deploy_group() -> None:
    """Render and install the system files that make a Raspberry Pi a hub."""


@deploy_group.command("render")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write the tree of system files into (etc/...).",
)
@click.option(
    "--source",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Canopy source tree with deploy/templates and systemd [default: this install].",
)
@_setting_options
def render_cmd(out: Path, source: Path | None, **options: Any) -> None:
    """Write every system file the hub needs (AP, DNS/DHCP, firewall, MQTT, time, units)."""
    secret: str | None = None
    secret_file = options.get("bridge_secret")
    if secret_file:
        try:
            secret = Path(secret_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as e:
            raise click.ClickException(f"--bridge-secret: cannot read {secret_file}: {e}") from e
    data = options.get("data")
    ident = hub_identity(Path(data)) if data else None
    try:
        config = build_config(
            options,
            bridge_password=secret,
            hub_name=ident[0] if ident else None,
            hub_feed=ident[1] if ident else None,
        )
        files = render(config, source, cli_features())
        write_tree(files, out)
    except (DeployConfigError, RenderError) as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"rendered {len(OUTPUTS)} files for hub {config.name!r} into {out}")


@click.command("sticker")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output file; .png or .svg.",
)
@click.option("--url", default=None, help="Portal URL [default: http://<address>/].")
@click.option("--address", default="198.18.0.1", help="Portal address used for the default URL.")
@click.option("--scale", default=10, type=click.IntRange(1, 50), help="Pixels per module.")
def sticker_cmd(out: Path, url: str | None, address: str, scale: int) -> None:
    """Make the shop-window sticker: a QR code that opens the portal."""
    import segno  # a declared dependency; imported here so `canopy --help` stays fast

    suffix = out.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise click.ClickException("--out must end in .png or .svg")
    if url is None:
        try:
            url = f"http://{ipaddress.IPv4Address(address)}/"
        except ValueError as e:
            raise click.ClickException(f"--address: not an IPv4 address: {address!r}") from e
    if (
        not url.startswith(("http://", "https://"))
        or len(url) > 300
        or any(c.isspace() or not c.isprintable() for c in url)
    ):
        raise click.ClickException("--url must be an http(s) URL without spaces, ≤ 300 chars")
    qr = segno.make(url, error="m", micro=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    qr.save(buf, kind=suffix[1:], scale=scale, border=4)
    atomic_write(out, buf.getvalue())
    click.echo(f"sticker for {url} written to {out}")
