"""`canopy mandate propose|list`: the assembly's votes on mandates from the shell.

Votes themselves are cast by radio only (``VOTE n YES|NO`` as a PKI DM), so each one is
signed for by the member's own pinned key; see docs/governance.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from hub.cli.common import data_option, echo_json, get_datadir, handle_errors
from hub.cli.options import settings_options
from hub.daemon import open_writer
from hub.log import iso_time


def rules_of(kw: dict[str, Any]) -> dict[str, int]:
    """The ``[assembly]`` settings a command was given, as the op's ``rules``."""
    return {k.removeprefix("assembly_"): int(v) for k, v in kw.items() if k.startswith("assembly_")}


def show_vote(v: dict[str, Any]) -> str:
    what = "charter" if v["what"] == "charter" else f"{v['handle']} as {v['role']}"
    if v.get("hub"):  # another hub opened it: members vote at any hub, it settles there
        what += f" (at {v['hub']})"
    days = f" for {v['term'] // 86400}d" if v.get("term") else ""
    if v["open"]:
        state = f"open until {iso_time(v['closes'])}"
    else:
        state = {True: "carried", False: "failed", None: "undecided"}[v["carried"]]
    tally = f"{v['yes']} yes, {v['no']} no of {len(v['voters'])} (quorum {v['quorum']}%)"
    return f"#{v['vote']} {what}{days}: {state}; {tally}"


@click.group("mandate")
def mandate_group() -> None:
    """Mandates from the assembly: propose a role for a term, list votes and terms."""


@mandate_group.command("propose")
@click.option("--handle", required=True, help="The member who would hold the role.")
@click.option("--role", default="coordinator", show_default=True, help="Any role name.")
@click.option("--term", required=True, help="How long: 90d, 12w, 3m or 1y (7 days to 2 years).")
@click.option("--closes", default=None, help="When the vote closes: 7d or 2027-01-31T18:00.")
@click.option("--text", default=None, help="Why (goes into the public log).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@settings_options("assembly")
@data_option
@handle_errors
def propose_cmd(
    handle: str,
    role: str,
    term: str,
    closes: str | None,
    text: str | None,
    as_json: bool,
    data: Path | None,
    **kw: Any,
) -> None:
    """Open a vote: HANDLE holds ROLE for TERM if the members say yes."""
    with open_writer(get_datadir(data)) as w:
        res = w.request(
            "mandate_propose",
            handle=handle,
            role=role,
            term=term,
            closes=closes,
            text=text,
            rules=rules_of(kw),
        )
    if as_json:
        echo_json({k: v for k, v in res.items() if k != "ok"})
        return
    click.echo(show_vote(res))
    click.echo(f"members vote by radio: VOTE {res['vote']} YES or VOTE {res['vote']} NO", err=True)


@mandate_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@data_option
@handle_errors
def list_cmd(as_json: bool, data: Path | None) -> None:
    """Every federated hub's votes, open and past, with their tallies; every term given."""
    with open_writer(get_datadir(data)) as w:
        res = w.request("mandate_list")
    if as_json:
        echo_json({"votes": res["votes"], "terms": res["terms"]})
        return
    if not res["votes"]:
        click.echo("no votes yet")
    for v in res["votes"]:
        click.echo(show_vote(v))
    for t in res["terms"]:
        click.echo(
            f"term {t['handle']} {t['role']} {iso_time(t['since'])} - {iso_time(t['until'])}"
            f" (vote #{t['vote']})"
        )
