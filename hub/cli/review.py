"""`canopy review`, `canopy report` and `canopy retention`: sealed details (docs/privacy.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from hub.cli.common import data_option, echo_json, get_datadir, handle_errors
from hub.cli.options import settings_options
from hub.daemon import open_writer
from hub.privacy import (
    PrivacyError,
    check_report,
    install_pin_secret,
    keygen,
    load_policy,
    new_pin_secret,
    policy_from,
    read_private,
    read_public,
    rebuild_key,
    review_sealed,
    save_policy,
    split_key,
)


@click.group("review")
def review_group() -> None:
    """The review key: who can read sealed details, and reading them."""


@review_group.command("keygen")
@click.option(
    "--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Directory."
)
@handle_errors
def keygen_cmd(out: Path) -> None:
    """Make a review key pair: OUT/review.pub for hubs, OUT/review.key (0600) for reviewers.

    Do this on a machine that is not a hub, and keep review.key off every hub."""
    pub, key = keygen(out)
    new_pin_secret(out / "pin.key")
    click.echo(f"wrote {pub} (give it to hubs: canopy review set-key {pub})")
    click.echo(f"wrote {key} (private: reviewers only, never on a hub)")
    click.echo(
        f"wrote {out / 'pin.key'} (optional: one pin secret for every federated hub instead "
        f"of each hub's own: canopy review set-key {pub} --pin {out / 'pin.key'} on each)"
    )


@review_group.command("set-key")
@click.argument("pubfile", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--pin",
    "pinfile",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The federated hubs' pin secret (pin.key): enrolments seal the radio's number and key.",
)
@settings_options("privacy")
@data_option
@handle_errors
def set_key_cmd(pubfile: Path, pinfile: Path | None, data: Path | None, **settings: Any) -> None:
    """Give this hub the review public key and record the [privacy] settings in force.

    Every public surface, the daemon and retention read what is recorded here."""
    if pubfile.name.endswith(".key"):
        raise PrivacyError("that is the private half: give hubs review.pub only")
    public = read_public(pubfile)
    values = {k.removeprefix("privacy_"): v for k, v in settings.items()}
    policy = policy_from(values, public)
    datadir = get_datadir(data)
    datadir.require_initialised()
    save_policy(datadir, policy)
    if pinfile is not None:
        install_pin_secret(datadir, pinfile)
        click.echo("pin secret installed: new enrolments seal the radio's number and key")
    click.echo(f"review key set ({public.hex()[:16]}…); policy recorded:")
    echo_json(policy.to_json())


@review_group.command("split")
@click.option("--key", "keyfile", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--shares", "n", required=True, type=int, help="How many shares (N, up to 255).")
@click.option("--threshold", "k", required=True, type=int, help="How many rebuild it (K, >= 2).")
@click.option(
    "--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Directory."
)
@handle_errors
def split_cmd(keyfile: Path, n: int, k: int, out: Path) -> None:
    """Split review.key among coordinators: N share files (0600), any K of which rebuild
    it in memory (`canopy review show --share F ...`); fewer tell nothing about it.

    Give each coordinator one share, then delete review.key yourself."""
    paths = split_key(read_private(keyfile), n, k, out)
    for p in paths:
        click.echo(f"wrote {p}")
    click.echo(f"any {k} of these {n} shares open sealed details; {keyfile} is unchanged")


@review_group.command("show")
@click.option("--key", "keyfile", default=None, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--share",
    "sharefiles",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A share of a split key (repeat, K times); instead of --key.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@data_option
@handle_errors
def show_cmd(
    keyfile: Path | None, sharefiles: tuple[Path, ...], as_json: bool, data: Path | None
) -> None:
    """Open the sealed details in a copy of a hub's data (or an export bundle) with the
    review private key, or K shares of it (rebuilt in memory only); details whose key
    retention destroyed show as erased."""
    if (keyfile is None) == (not sharefiles):
        raise PrivacyError("give the review key: --key review.key, or --share FILE K times")
    private = read_private(keyfile) if keyfile is not None else rebuild_key(list(sharefiles))
    root = get_datadir(data).root
    n = opened = 0
    for r in review_sealed(root, private):
        n += 1
        opened += r.details is not None
        if as_json:
            echo_json({**r.entry.to_json(), "details": r.details, "problem": r.problem})
        else:
            click.echo(r.line())
    click.echo(f"{n} sealed entries, {opened} opened, {n - opened} not", err=True)


@click.command("report")
@click.argument("category")
@click.option("--place", default=None, help="Coarse and public: a street or a named area.")
@click.option("--details", default=None, help="Sealed to the review key; never public.")
@click.option("--author", default="", help="Steward handle (default: the hub).")
@data_option
@handle_errors
def report_cmd(
    category: str, place: str | None, details: str | None, author: str, data: Path | None
) -> None:
    """Record an incident: category and place public, details sealed."""
    datadir = get_datadir(data)
    check_report(load_policy(datadir), category, place)  # say why before asking the hub
    fields: dict[str, Any] = {"category": category}
    if place:
        fields["place"] = place
    if details:
        fields["details"] = details
    with open_writer(datadir) as w:
        res = w.append("report", fields, author)
    click.echo(f"report #{res['index']} recorded" + (" (details sealed)" if details else ""))


@click.group("retention")
def retention_group() -> None:
    """Destroy the keys of sealed details past the retention period."""


@retention_group.command("run")
@data_option
@handle_errors
def retention_run_cmd(data: Path | None) -> None:
    """Destroy the keys of sealed details older than the retention period, now."""
    with open_writer(get_datadir(data)) as w:
        res = w.request("retention")
    click.echo(
        f"destroyed the keys of {res['erased']} sealed details (older than "
        f"{res['before']}); {res['kept']} kept"
    )
