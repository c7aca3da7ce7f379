"""`canopy correct` and `canopy audit`: mistakes on the record, and public audits.

Thin: the rule of who may correct is :mod:`hub.state.corrections`, the figures are
:mod:`hub.audit.fold` (pure), publishing is the daemon's ``audit_publish`` op.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from hub.audit import (
    DAY,
    audit_datadir,
    audit_entries,
    bundle_feeds,
    canonical,
    covers_text,
    digest,
    incomplete,
    legacy_note,
    parse_day,
    period,
    render_text,
    sync_lag,
    verify_audit,
)
from hub.audit.charts import charts
from hub.cli.common import data_option, echo_json, get_datadir, handle_errors
from hub.cli.options import settings_options
from hub.daemon import open_writer
from hub.errors import InputError, VerifyError
from hub.local import atomic_write
from hub.log import LogView


@click.command("correct")
@click.argument("index", type=int)
@click.argument("text")
@click.option("--feed", default=None, help="Feed key (hex) of the entry; only this hub's own.")
@click.option("--retract", is_flag=True, help="Withdraw the entry (TEXT is the reason).")
@data_option
@handle_errors
def correct_cmd(index: int, text: str, feed: str | None, retract: bool, data: Path | None) -> None:
    """Sign a correction of entry INDEX; the original stays, marked corrected (or retracted)."""
    with open_writer(get_datadir(data)) as w:
        res = w.request("correct", target=index, text=text, feed=feed, retract=retract)
    what = "retraction" if retract else "correction"
    click.echo(f"{what} of #{index} recorded at index {res['index']}")


@click.command("audit")
@click.option("--from", "start", default=None, help="First day (YYYY-MM-DD, UTC).")
@click.option("--to", "end", default=None, help="Day after the last (YYYY-MM-DD, UTC); ≤ now.")
@click.option("--json", "as_json", is_flag=True, help="Every figure as JSON.")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Also write report.json, report.txt and the charts (SVG) into OUT.",
)  # fmt: skip
@click.option("--publish", is_flag=True, help="Sign an audit entry (period, coverage, digest).")
@click.option(
    "--verify", "bundle", type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None, help="Recompute every audit published in an exported log and compare.",
)  # fmt: skip
@settings_options("portal.audit_cycle")
@data_option
@handle_errors
def audit_cmd(
    start: str | None,
    end: str | None,
    as_json: bool,
    out: Path | None,
    publish: bool,
    portal_audit_cycle: int,
    bundle: Path | None,
    data: Path | None,
) -> None:
    """Patrol, incidents, alerts, overdue, corrections and roles over a period, all feeds.

    Without --from/--to the period is the last audit cycle (--audit-cycle, the setting
    portal.audit_cycle) up to now; a period that ends in the future is cut at now.
    """
    if bundle is not None:
        _verify(bundle, as_json)
        return
    dd = get_datadir(data)
    dd.require_initialised()
    note = legacy_note(dd.root)
    if note:
        click.echo(note, err=True)
    days = portal_audit_cycle
    now = time.time()
    t1 = parse_day(end, "--to") if end else int(now)
    t0 = parse_day(start, "--from") if start else t1 - days * DAY
    t0, t1 = period(t0, t1, now)
    view = LogView(dd)
    report = audit_datadir(view, t0, t1)
    gaps, lag = incomplete(view, report), sync_lag(view, report)
    names = {view.own_feed: view.identity.name}
    if out is not None:
        _write_out(out, report, names, gaps)
    if as_json:
        echo_json({**report, "digest": digest(report).hex(), "incomplete": gaps, "sync": lag})
    else:
        click.echo(render_text(report, names, gaps), nl=False)
        for s in lag:
            name = names.get(s["feed"], s["feed"][:16] + "…")
            proof = f"checkpoint {s['checkpointed']}" if s["checkpointed"] else "no checkpoint"
            click.echo(f"Sync lag: {name} {s['lag']} entries behind ({s['held']} held, {proof})")
    if publish and gaps:
        raise InputError(
            f"not published: {len(gaps)} feed(s) are only partly synced here, so the figures "
            "are partial; sync them, or audit a period that ends before their gap"
        )
    if publish:
        with open_writer(dd) as w:
            res = w.request(
                "audit_publish",
                start=t0,
                end=t1,
                covers=covers_text(report),
                digest=digest(report).hex(),
                cycle=days,
            )
        click.echo(f"audit published at index {res['index']}", err=as_json)


def _write_out(
    out: Path, report: dict[str, Any], names: dict[str, str], gaps: list[dict[str, Any]]
) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write(out / "report.json", canonical(report) + b"\n")
        if gaps:  # beside the report, not in it: the digest covers only the figures
            atomic_write(out / "INCOMPLETE.json", canonical({"incomplete": gaps}) + b"\n")
        atomic_write(out / "report.txt", render_text(report, names, gaps).encode())
        for c in charts(report):
            if c.svg is not None:
                atomic_write(out / f"{c.slug}.svg", c.svg.encode())
    except OSError as e:
        raise InputError(f"cannot write the report in {out}: {e.strerror}") from e


def _verify(bundle: Path, as_json: bool) -> None:
    feeds, lines = bundle_feeds(bundle)
    entries = audit_entries(feeds)
    if not entries:
        raise VerifyError(f"no audit entry in {bundle}: nothing to recompute")
    results = []
    for e in entries:
        report = verify_audit(feeds, e)
        p = report["period"]
        results.append({"feed": e.feed, "index": e.index, "start": p["start"], "end": p["end"]})
    if as_json:
        echo_json({"ok": True, "audits": results})
        return
    for line in lines:
        click.echo(line)
    for r in results:
        click.echo(
            f"OK audit #{r['index']}: recomputed from the log, the figures match the signed digest"
        )
