"""`canopy roster …`, `canopy alert` and `canopy alerts`: enrolment and alerts from the shell."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import click

from hub.cli.common import data_option, echo_json, get_datadir, handle_errors
from hub.daemon import open_writer
from hub.errors import InputError
from hub.log import iso_time


def parse_when(value: str | None) -> int | None:
    """``2027-01-31``, ``2027-01-31T18:00`` (UTC), ``90d``, ``12h`` or Unix seconds."""
    if value is None:
        return None
    v = value.strip()
    if re.fullmatch(r"[0-9]{9,11}", v):
        return int(v)
    units = {"d": 86400, "h": 3600, "w": 7 * 86400}
    if re.fullmatch(r"[0-9]{1,5}[dhw]", v):
        return int(dt.datetime.now(dt.UTC).timestamp()) + int(v[:-1]) * units[v[-1]]
    try:
        t = dt.datetime.fromisoformat(v)
    except ValueError as e:
        raise InputError(f"--until: not a date, duration (90d) or Unix time: {value!r}") from e
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return int(t.timestamp())


@click.group("roster")
def roster_group() -> None:
    """Enrol stewards and coordinators, list and revoke them."""


@roster_group.command("invite")
@click.option("--handle", required=True, help="The steward's handle (letters, digits, _ -).")
@click.option(
    "--role",
    type=click.Choice(["steward", "coordinator"]),
    default="steward",
    show_default=True,
    help="Role granted on JOIN.",
)
@click.option("--until", default=None, help="End of the role: 2027-01-31, 90d or Unix time.")
@click.option(
    "--ttl",
    type=click.IntRange(60, 7 * 86400),
    default=3600,
    show_default=True,
    help="Seconds the code stays valid.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@data_option
@handle_errors
def invite_cmd(
    handle: str, role: str, until: str | None, ttl: int, as_json: bool, data: Path | None
) -> None:
    """Print a one-time code; the steward sends `JOIN <code>` to the hub as a DM."""
    with open_writer(get_datadir(data)) as w:
        res = w.request("roster_invite", handle=handle, role=role, until=parse_when(until), ttl=ttl)
    if as_json:
        echo_json(
            {
                "handle": res["handle"],
                "code": res["code"],
                "role": res["role"],
                "until": res["until"],
                "expires": res["expires"],
            }
        )
        return
    click.echo(f"JOIN {res['code']}")
    click.echo(
        f"{res['handle']} becomes {res['role']} until {iso_time(res['until'])}; "
        f"send as a DM to the hub before {iso_time(res['expires'])}.",
        err=True,
    )


@roster_group.command("renew")
@click.argument("handle")
@click.option(
    "--role", type=click.Choice(["steward", "coordinator"]), default="steward", show_default=True
)
@click.option("--until", default=None, help="End of the role: 2027-01-31, 90d or Unix time.")
@data_option
@handle_errors
def renew_cmd(handle: str, role: str, until: str | None, data: Path | None) -> None:
    """Grant an enrolled handle a role again (a new signed entry, same radio)."""
    with open_writer(get_datadir(data)) as w:
        res = w.request("roster_renew", handle=handle, role=role, until=parse_when(until))
    click.echo(f"{res['handle']}: {res['role']} until {iso_time(res['until'])} (#{res['index']})")


@roster_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@data_option
@handle_errors
def list_cmd(as_json: bool, data: Path | None) -> None:
    """Show members, their roles, pinned radios and pending invites."""
    with open_writer(get_datadir(data)) as w:
        res = w.request("roster_list")
    if as_json:
        echo_json({"members": res["members"], "invites": res["invites"]})
        return
    for m in res["members"]:
        role = m["role"] or ("revoked" if m["revoked"] else "expired")
        until = m["coordinator_until"] if m["role"] == "coordinator" else m["steward_until"]
        ends = f" until {iso_time(until)}" if until and m["role"] else ""
        duty = " on duty" if m["on_duty"] else ""
        more = "".join(
            f", {r['role']} until {iso_time(r['until'])}"
            for r in m.get("roles", [])
            if r["role"] not in ("steward", "coordinator")  # mandates for other roles
        )
        click.echo(f"{m['handle']:<16} {role}{ends}{more}  radio {m['node_id'] or '-'}{duty}")
    for inv in res["invites"]:
        click.echo(
            f"{inv['handle']:<16} invited ({inv['role']}), code expires {iso_time(inv['expires'])}"
        )


@roster_group.command("revoke")
@click.argument("handle")
@click.option("--reason", default=None, help="Why (goes into the public log).")
@data_option
@handle_errors
def revoke_cmd(handle: str, reason: str | None, data: Path | None) -> None:
    """End every role of HANDLE now (a signed revoke entry)."""
    with open_writer(get_datadir(data)) as w:
        res = w.request("roster_revoke", handle=handle, text=reason)
    click.echo(f"{res['handle']} revoked (#{res['index']})")


@click.command("alert")
@click.argument("text")
@click.option("--as", "author", default=None, help="Coordinator handle to sign as author.")
@click.option(
    "--cancel",
    "cancel",
    type=int,
    default=None,
    metavar="N",
    help="Cancel alert N instead (TEXT is the reason).",
)
@data_option
@handle_errors
def alert_cmd(text: str, author: str | None, cancel: int | None, data: Path | None) -> None:
    """Send an alert to every radio (or cancel one with --cancel N)."""
    with open_writer(get_datadir(data)) as w:
        if cancel is not None:
            res = w.request("alert_cancel", alert=cancel, text=text, author=author)
            click.echo(f"alert #{res['alert']} cancelled (#{res['index']})")
            return
        res = w.request("alert_send", text=text, author=author)
    where = "broadcasting" if res["broadcast"] else "logged; the radio sends it when the hub runs"
    click.echo(f"alert #{res['alert']} recorded, {where}; {res['on_duty']} on duty")


@click.command("alerts")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--all", "show_all", is_flag=True, help="Include cancelled alerts.")
@data_option
@handle_errors
def alerts_cmd(as_json: bool, show_all: bool, data: Path | None) -> None:
    """Show alerts, newest first, with who acknowledged and when."""
    with open_writer(get_datadir(data)) as w:
        res = w.request("alerts_list")
    alerts: list[dict[str, Any]] = [a for a in res["alerts"] if show_all or a["active"]]
    if as_json:
        echo_json(alerts)
        return
    if not alerts:
        click.echo("no active alerts")
    for a in alerts:
        state = "active" if a["active"] else f"cancelled {iso_time(a['cancelled_at'])}"
        click.echo(f"#{a['alert']} {iso_time(a['time'])} by {a['author']} [{state}]: {a['text']}")
        for ack in a["acks"]:
            click.echo(f"    ack {ack['handle']} {iso_time(ack['time'])}")
