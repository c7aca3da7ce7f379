"""`canopy init`, `id`, `note`, `checkpoint` and `log …`: the hub's identity and its log."""

from __future__ import annotations

import base64
import math
import sys
from pathlib import Path

import click

from crypto.cosignature import Cosigner
from crypto.errors import CryptoError
from crypto.keys import PublicKey
from crypto.note import Checkpoint, Verifier, parse_note
from hub.cli.common import data_option, echo_json, get_datadir, handle_errors
from hub.cli.witness import own_checkpoint, witness_vkey
from hub.errors import InputError, VerifyError
from hub.local import atomic_write, create_identity, load_identity
from hub.log import (
    BY_NAME,
    Checkpoints,
    LogView,
    default_jobs,
    export_feed,
    iso_time,
    verify_bundle,
)
from hub.witness import WitnessFiles, cosigned_note, verify_witnessed


@click.command("init")
@click.option("--name", required=True, help="The hub's name, e.g. the partner shop's.")
@data_option
@handle_errors
def init_cmd(name: str, data: Path | None) -> None:
    """Create the hub identity (Ed25519 key) and settings. Refuses if one exists."""
    dd = get_datadir(data)
    ident = create_identity(dd, name)
    click.echo(f"created hub {ident.name!r} in {dd.root}")
    click.echo(f"feed   {ident.feed.hex()}")
    click.echo(f"vkey   {ident.verifier.to_string()}")
    click.echo(f"witness_vkey {witness_vkey(dd)}")
    from hub.cli.kit import publish_pending  # a kit imported before init (canopy kit import)

    publish_pending(dd)


@click.command("id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@data_option
@handle_errors
def id_cmd(as_json: bool, data: Path | None) -> None:
    """Show the hub's name, feed key, verifier key and checkpoint origin."""
    dd = get_datadir(data)
    ident = {**load_identity(dd).to_json(), "witness_vkey": witness_vkey(dd)}
    if as_json:
        echo_json(ident)
    else:
        for k, v in ident.items():
            click.echo(f"{k:<13}{v}")


@click.group("log")
def log_group() -> None:
    """Show, export, verify and prove the signed log."""


@log_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--feed", default=None, help="Feed key (hex); default: this hub's own.")
@click.option("--kind", type=click.Choice(sorted(BY_NAME)), default=None, help="Only this kind.")
@click.option("--tail", type=click.IntRange(min=1), default=None, help="Only the last N entries.")
@data_option
@handle_errors
def show_cmd(
    as_json: bool, feed: str | None, kind: str | None, tail: int | None, data: Path | None
) -> None:
    """Print the log, one entry per line."""
    from hub.privacy import load_policy, public_fields, public_json

    datadir = get_datadir(data)
    view = LogView(datadir)
    # sealed parts and radio identifiers never show; delayed texts do (the operator's own
    # view of the hub, not a live public feed: the delay is for the portal, MQTT, exports)
    policy, now = load_policy(datadir), math.inf
    size = len(view.reader(feed))
    start = max(0, size - tail) if tail else 0
    for e in view.entries(feed, start):
        if kind and e.body.kind_name != kind:
            continue
        if as_json:
            echo_json(public_json(e, now, policy))
            continue
        shown = public_fields(e.body, now, policy)
        fields = " ".join(
            f"{k}={_shown(v)}" if v is not None else f"{k}=(withheld)"
            for k, v in shown.items()
            if v is not None or e.body.named_fields().get(k) is not None
        )
        author = e.body.author or "hub"
        click.echo(
            f"{e.index:>6}  {iso_time(e.body.time)}  {e.body.kind_name:<9} {author:<12} {fields}"
        )


def _shown(value: object) -> str:
    """A field on one line: bytes (keys, evidence) as hex, cut like feeds are elsewhere."""
    if isinstance(value, bytes):
        return value.hex() if len(value) <= 8 else value[:8].hex() + "…"
    return repr(value)


@log_group.command("export")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--feed", default=None, help="Feed key (hex); default: this hub's own.")
@data_option
@handle_errors
def export_cmd(out: Path, feed: str | None, data: Path | None) -> None:
    """Write <feed>.entries, <feed>.checkpoint and <feed>.vkey into OUT.

    With --feed, a replica of another hub's feed, up to the newest checkpoint of that hub
    the replica matches; it verifies with `canopy log verify` like the hub's own export."""
    dd = get_datadir(data)
    ident = load_identity(dd)
    view = LogView(dd)
    if feed and feed.lower() != ident.feed.hex():
        feed = feed.lower()
        found = Checkpoints(dd).matching(feed, view.reader(feed).leaves)
        if found is None:
            raise InputError(
                f"no checkpoint from the hub of {feed[:16]}… matches the replica yet; "
                "it comes with the hub's next sync summary"
            )
        cp, note = found
        verifier = Verifier(cp.origin, PublicKey(bytes.fromhex(feed)))
        note, cosigned = cosigned_note(dd, feed, note), None
    else:
        note = own_checkpoint(dd, False, public=True)  # held-back texts stay out
        cosigned = WitnessFiles(dd).own_note()
        verifier = ident.verifier
    paths = export_feed(view, verifier, note, out)
    size = Checkpoint.parse(parse_note(note).text).size
    if cosigned is not None:  # the newest checkpoint peers cosigned, for --witness
        atomic_write(out / f"{verifier.public.hex()}.cosigned", cosigned.encode())
    click.echo(f"exported {size} entries to {paths[0]}")
    held = len(view.reader(feed)) - size
    if held > 0:
        click.echo(f"{held} newer entries held back until their texts are public (privacy.delay)")


@log_group.command("verify")
@click.argument("bundle", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--vkey", default=None, help="Expected verifier key (name+id+key); pins the hub.")
@click.option(
    "--jobs",
    type=click.IntRange(1, 256),
    default=None,
    help="Processes checking signatures [default: one per core].",
)
@click.option(
    "--witness", "witnesses", multiple=True, help="A witness key (name+id+key, type 0x04)."
)
@click.option(
    "--min",
    "minimum",
    type=click.IntRange(min=0),
    default=None,
    help="Valid cosignatures required from the --witness keys [default: all given].",
)
@click.option(
    "--checkpoint",
    "saved",
    default=None,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A saved checkpoint (a poster's): it must be in the log's history.",
)
@handle_errors
def verify_cmd(
    bundle: Path,
    vkey: str | None,
    witnesses: tuple[str, ...],
    minimum: int | None,
    saved: Path | None,
    jobs: int | None,
) -> None:
    """Check every signature, the chain and the checkpoint of an exported log; with
    --witness, its cosignatures; with --checkpoint, a saved checkpoint against it."""
    try:
        pinned = Verifier.parse(vkey) if vkey else None
    except CryptoError as e:
        raise InputError(f"--vkey: {e}") from e
    try:
        cosigners = [Cosigner.parse(w) for w in witnesses]
    except CryptoError as e:
        raise InputError(f"--witness: {e}") from e
    need = len(cosigners) if minimum is None else minimum
    if need > len(cosigners):
        raise InputError(f"--min {need} needs at least {need} --witness keys")
    show = sys.stderr.isatty()
    jobs = jobs or default_jobs()
    for line in verify_bundle(bundle, pinned, show_progress=show, jobs=jobs):
        click.echo(line)
    if cosigners or saved is not None:
        try:
            text = saved.read_text(encoding="utf-8") if saved is not None else None
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"--checkpoint: cannot read {saved}: {e}") from e
        for line in verify_witnessed(bundle, cosigners, need, text):
            click.echo(line)


def _b64(items: list[bytes]) -> list[str]:
    return [base64.b64encode(x).decode() for x in items]


@log_group.command("proof")
@click.option("--index", "index", type=int, required=True, help="Leaf index (from 0).")
@click.option("--size", type=int, default=None, help="Tree size [default: current].")
@click.option("--feed", default=None)
@click.option("--json", "as_json", is_flag=True)
@data_option
@handle_errors
def proof_cmd(
    index: int, size: int | None, feed: str | None, as_json: bool, data: Path | None
) -> None:
    """Print an RFC 9162 inclusion proof."""
    view = LogView(get_datadir(data))
    n = size if size is not None else len(view.reader(feed))
    path = view.inclusion(index, n, feed)
    proof = _b64(path)
    if as_json:
        echo_json({"leaf_index": index, "tree_size": n, "inclusion_path": proof})
    else:
        root = base64.b64encode(view.root(feed, n)).decode()
        click.echo(f"leaf {index} in tree of {n}, root {root}")
        for p in proof:
            click.echo(f"  {p}")


@log_group.command("consistency")
@click.option("--from", "first", type=int, required=True, help="Older tree size.")
@click.option("--to", "second", type=int, default=None, help="Newer tree size [default: current].")
@click.option("--feed", default=None)
@click.option("--json", "as_json", is_flag=True)
@data_option
@handle_errors
def consistency_cmd(
    first: int, second: int | None, feed: str | None, as_json: bool, data: Path | None
) -> None:
    """Print an RFC 9162 consistency proof between two tree sizes."""
    view = LogView(get_datadir(data))
    n = second if second is not None else len(view.reader(feed))
    path = view.consistency(first, n, feed)
    proof = _b64(path)
    if as_json:
        echo_json({"first": first, "second": n, "consistency_path": proof})
    else:
        click.echo(f"consistency {first} -> {n}")
        for p in proof:
            click.echo(f"  {p}")


__all__ = ["VerifyError", "id_cmd", "init_cmd", "log_group"]
