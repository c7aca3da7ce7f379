"""`canopy checkpoint`, `canopy witness status` and `canopy poster`: cosigned checkpoints."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

import click

from crypto.cosignature import Cosigner
from crypto.errors import CryptoError
from crypto.note import Checkpoint, parse_note
from hub.cli.common import data_option, echo_json, get_datadir, handle_errors
from hub.daemon import call, open_writer
from hub.errors import InputError
from hub.local import DataDir, atomic_write, load_identity
from hub.log import Checkpoints, LogView
from hub.witness import WitnessFiles, cosigned_note, witness_key, witness_name


def witness_vkey(dd: DataDir) -> str:
    """The hub's witness verifier key (``cosignature/v1``, algorithm byte 0x04)."""
    ident = load_identity(dd)
    return Cosigner(witness_name(ident), witness_key(dd).public).to_string()


def own_checkpoint(dd: DataDir, cosigned: bool, public: bool = False) -> str:
    """The own checkpoint with its cosignature lines; with ``cosigned``, the newest one
    that has any (it may be older than the log); with ``public``, of the entries whose
    texts are public already (an export holds the newer ones back: docs/privacy.md)."""
    ident = load_identity(dd)
    saved = WitnessFiles(dd).own_note()
    if cosigned:
        if saved is None:
            raise InputError("no peer has cosigned this hub's checkpoints yet")
        return saved
    with open_writer(dd) as w:
        note = str(w.request("checkpoint", public=public)["checkpoint"])
    return cosigned_note(dd, ident.feed.hex(), note)


def peer_checkpoint(dd: DataDir, feed: str) -> str:
    """The newest checkpoint of another hub the replica matches, with cosignature lines."""
    found = Checkpoints(dd).matching(feed, LogView(dd).reader(feed).leaves)
    if found is None:
        raise InputError(f"no checkpoint from the hub of {feed[:16]}… matches the replica yet")
    return cosigned_note(dd, feed, found[1])


@click.command("checkpoint")
@click.option("--feed", default=None, help="Another hub's feed key (hex); default: this hub's.")
@click.option("--cosigned", is_flag=True, help="The newest checkpoint peers have cosigned.")
@data_option
@handle_errors
def checkpoint_cmd(feed: str | None, cosigned: bool, data: Path | None) -> None:
    """Print the current signed checkpoint (C2SP tlog-checkpoint note) with its cosignatures."""
    dd = get_datadir(data)
    ident = load_identity(dd)
    if feed and feed.lower() != ident.feed.hex():
        click.echo(peer_checkpoint(dd, feed.lower()), nl=False)
    else:
        click.echo(own_checkpoint(dd, cosigned), nl=False)
        warn_rollback(dd)


def rollback_text(rolled: dict[str, Any]) -> str:
    return (
        f"ROLLBACK: this hub's log holds {rolled.get('held')} entries, but it had signed "
        f"{rolled.get('signed')} ({rolled.get('source', '?')}): it was restored from an old "
        "copy. Its peers hold the newer one; every new entry forks its history from theirs. "
        "Restore the newer copy (docs/witness.md)."
    )


def warn_rollback(dd: DataDir) -> None:
    """Say on stderr, loudly, that the own log went back (a checkpoint of it is not current)."""
    rolled = WitnessFiles(dd).rollback()
    if rolled is not None:
        click.echo(rollback_text(rolled), err=True)


@click.group("witness")
def witness_group() -> None:
    """Hubs cosign each other's checkpoints: who witnessed whom, and what was refused."""


@witness_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@data_option
@handle_errors
def status_cmd(as_json: bool, data: Path | None) -> None:
    """Per hub: who cosigned it; counts of refused frames; evidence kept; a rollback."""
    dd = get_datadir(data)
    dd.require_initialised()
    res = call(dd.socket, "witness_status")
    res.pop("ok", None)
    if as_json:
        echo_json(res)
        return
    click.echo(f"witness key: {res['witness_vkey']}")
    for f in res["feeds"]:
        by = ", ".join(f["witnessed_by"]) or "nobody yet"
        warn = f"  {str(f.get('what') or 'split-view').upper()}" if f["split_view"] else ""
        click.echo(f"{f['name']:<20} witnessed by {by}{warn}")
    counts = " ".join(f"{k}={v}" for k, v in res["counts"].items()) or "none"
    click.echo(f"counts: {counts}; evidence files: {res['evidence']}")
    for u in res.get("unproven", []):  # a peer's split-view entry that proves nothing
        click.echo(f"{u['name']}: reported by {u['by']}, not proven ({u['why']})")
    if res.get("rolled_back"):
        click.echo(rollback_text(res["rolled_back"]))


VERDICTS = {
    "consistent": "consistent: this hub's copy of {name} holds exactly this history",
    "ahead": "not held yet: this hub has {held} of its {size} entries; it is kept and "
    "checked as the copy grows",
    "split-view": "SPLIT VIEW: {name} signed another history than the one this hub holds; "
    "kept as evidence, and every federated hub and portal is told",
}


@witness_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@data_option
@handle_errors
def check_cmd(file: Path, as_json: bool, data: Path | None) -> None:
    """Hold a saved checkpoint (a poster's, an export's) against this hub's copy of that
    hub's log; one that contradicts it is kept as split-view evidence. Exit 2 on a split
    view."""
    dd = get_datadir(data)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {file}: {e}") from e
    with open_writer(dd) as w:
        res = w.request("witness_check", note=text)
    res.pop("ok", None)
    if as_json:
        echo_json(res)
    else:
        name = res["origin"].split("/")[1] if res["origin"].count("/") == 2 else res["origin"]
        click.echo(VERDICTS[res["verdict"]].format(name=name, **res))
    if res["verdict"] == "split-view":
        raise SystemExit(2)


@witness_group.command("recover")
@click.argument(
    "bundle", type=click.Path(file_okay=False, exists=True, path_type=Path), metavar="DIR"
)
@data_option
@handle_errors
def recover_cmd(bundle: Path, data: Path | None) -> None:
    """Put back entries of this hub's own log lost to a restored old copy, from an export
    of another copy (a peer's `canopy log export --feed <this hub's feed>`). Each must be
    signed by this hub and extend its log; one that differs from what it holds refuses
    the whole bundle."""
    dd = get_datadir(data)
    with open_writer(dd) as w:
        res = w.request("log_recover", path=str(bundle.resolve()))
    click.echo(
        f"recovered {res['recovered']} entries of this hub's log: it holds {res['size']} "
        f"(was {res['before']})"
    )


POSTER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
@page {{ size: A4; margin: 15mm; }}
body {{ font-family: sans-serif; max-width: 180mm; margin: 0 auto; }}
h1 {{ font-size: 22pt; margin: 0 0 4mm; }}
.qr svg {{ width: 120mm; height: 120mm; display: block; margin: 6mm auto; }}
pre {{ font-size: 8.5pt; white-space: pre-wrap; word-break: break-all;
      border: 1px solid #000; padding: 3mm; }}
p {{ font-size: 11pt; }}
@media print {{ a {{ color: #000; text-decoration: none; }} }}
</style></head><body>
<h1>{title}</h1>
<p>Dated {date}. This hub's log held <strong>{size}</strong> signed entries, witnessed by
{witnesses}. Photograph this page: anyone can later check an export of the log against it
with <code>canopy log verify DIR --checkpoint FILE</code>. A log that does not contain this
state was rewritten.</p>
<div class="qr">{qr}</div>
<pre>{note}</pre>
</body></html>
"""


@click.command("poster")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@data_option
@handle_errors
def poster_cmd(out: Path, data: Path | None) -> None:
    """Make the shop-window poster: the cosigned checkpoint as a QR code and text (A4)."""
    import segno  # a declared dependency; imported here so `canopy --help` stays fast

    dd = get_datadir(data)
    ident = load_identity(dd)
    saved = WitnessFiles(dd).own_note()
    note = saved if saved is not None else own_checkpoint(dd, cosigned=False)
    try:
        parsed = parse_note(note)
        cp = Checkpoint.parse(parsed.text)
    except CryptoError as e:
        raise InputError(f"the checkpoint does not parse: {e}") from e
    names = sorted({n for n, _, _ in parsed.signatures if n != cp.origin})
    qr = segno.make(note, error="l").svg_inline(scale=2)
    page = POSTER.format(
        title=html.escape(f"{ident.name}: the log's public commitment"),
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        size=cp.size,
        witnesses=html.escape(", ".join(names)) if names else "no peer yet",
        qr=qr,
        note=html.escape(note),
    )
    try:
        atomic_write(out, page.encode("utf-8"))
    except OSError as e:
        raise InputError(f"cannot write {out}: {e.strerror}") from e
    click.echo(f"poster of checkpoint size {cp.size} with {len(names)} cosignature(s): {out}")
