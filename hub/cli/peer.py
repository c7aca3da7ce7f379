"""`canopy peer …` and `canopy sync status`: the hubs this hub federates with, and sync."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from hub.cli.common import data_option, echo_json, get_datadir, handle_errors
from hub.daemon import call, open_writer


def _when(t: float | None) -> str:
    if t is None:
        return "-"
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M")


@click.group("peer")
def peer_group() -> None:
    """Federate with other hubs: they keep each other's signed logs."""


@peer_group.command("add")
@click.argument("vkey")
@click.option("--name", default=None, help="What to call the hub [default: from its key].")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@data_option
@handle_errors
def add_cmd(vkey: str, name: str | None, as_json: bool, data: Path | None) -> None:
    """Federate with the hub whose verifier key is VKEY (`canopy id --json` there prints it).

    Writes a signed `peer` entry: every hub's log says publicly whom it federates with;
    and a `pin-share` entry: this hub's pin secrets sealed to that hub, so it recognises
    the radios of stewards enrolled here. For a hub federated before pin secrets were
    shared, it writes only the `pin-share`.
    """
    with open_writer(get_datadir(data)) as w:
        res = w.request("peer_add", vkey=vkey, name=name)
    if as_json:
        echo_json({k: res[k] for k in ("feed", "name", "index")})
    elif res.get("pins"):
        click.echo(f"shared this hub's pin secrets with {res['name']}, entry #{res['index']}")
    else:
        click.echo(f"federated with {res['name']} ({res['feed'][:16]}…), entry #{res['index']}")


@peer_group.command("remove")
@click.argument("vkey")
@click.option("--reason", default=None, help="Why, for the public record.")
@data_option
@handle_errors
def remove_cmd(vkey: str, reason: str | None, data: Path | None) -> None:
    """Stop federating with a hub (VKEY, or its 64-hex feed key). What it wrote until now
    stays verifiable; from this entry on it stops counting here."""
    args: dict[str, Any] = {"text": reason}
    args["feed" if len(vkey) == 64 and "+" not in vkey else "vkey"] = vkey
    with open_writer(get_datadir(data)) as w:
        res = w.request("peer_remove", **args)
    click.echo(f"no longer federated with {res['name']}, entry #{res['index']}")


@peer_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@data_option
@handle_errors
def list_cmd(as_json: bool, data: Path | None) -> None:
    """Federated hubs, and hubs heard on the mesh that are not (with the key to add them)."""
    with open_writer(get_datadir(data)) as w:
        res = w.request("peer_list")
    if as_json:
        echo_json({"peers": res["peers"], "heard": res["heard"]})
        return
    if not res["peers"] and not res["heard"]:
        click.echo("no peers; `canopy peer add VKEY` federates with a hub")
    for p in res["peers"]:
        state = "federated" if p["federated"] else f"removed {_when(p['until'])}"
        if p["forked"]:
            state += ", FORKED"
        click.echo(f"{p['name']:<20} {p['feed'][:16]}…  {p['entries']:>6} entries  {state}")
    for h in res["heard"]:
        click.echo(f"{h['name']:<20} heard {_when(h['at'])}, not federated:")
        click.echo(f"    canopy peer add '{h['vkey']}'")


@click.group("sync")
def sync_group() -> None:
    """Hub-to-hub sync over the mesh."""


@sync_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@data_option
@handle_errors
def status_cmd(as_json: bool, data: Path | None) -> None:
    """Per feed: entries held, size last heard, lag, when; airtime sync spent this hour."""
    dd = get_datadir(data)
    dd.require_initialised()
    res = call(dd.socket, "sync_status")
    if as_json:
        res.pop("ok", None)
        echo_json(res)
        return
    click.echo(
        f"airtime this hour: {res['airtime_s_this_hour']:.1f} s of {res['airtime_budget_s']:.0f} s"
        f"; summary interval {res['trickle_interval_s']:.0f} s"
    )
    for f in res["feeds"]:
        flags = " (own)" if f["own"] else ""
        flags += " DIVERGED" if f["diverged"] else ""
        flags += " FORKED" if f["forked"] else ""
        click.echo(
            f"{f['name']:<20} held {f['held']:>6}  heard {f['heard_size']:>6}  lag {f['lag']:>4}"
            f"  last heard {_when(f['last_heard'])}{flags}"
        )
