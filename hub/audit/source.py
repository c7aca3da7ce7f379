"""Where an audit's entries come from: the feeds of a data directory, or an exported bundle.

The I/O edge of :mod:`hub.audit`: it reads files and hands the pure fold decoded entries.
A bundle is verified (every signature, the chain and the checkpoint) before it is folded.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from crypto.entrysig import split_entry
from hub.audit.fold import audit
from hub.audit.report import digest, parse_covers
from hub.errors import VerifyError
from hub.log.entry import LoggedEntry, decode_body
from hub.log.export import verify_bundle
from hub.log.verify import split_sequence
from hub.log.view import LogView


def datadir_feeds(
    view: LogView, sizes: dict[str, int] | None = None
) -> dict[str, Iterable[LoggedEntry]]:
    """Every feed the hub holds (``LogView.feeds()``), each cut at ``sizes`` if given."""
    feeds = view.feeds() if sizes is None else sorted(sizes)
    return {f: view.entries(f, 0, None if sizes is None else sizes[f]) for f in feeds}


def bundle_feeds(bundle: Path) -> tuple[dict[str, list[LoggedEntry]], list[str]]:
    """The verified feeds of an exported bundle and the verifier's summary lines.

    Raises :class:`VerifyError` if any feed does not verify.
    """
    lines = list(verify_bundle(bundle))
    feeds: dict[str, list[LoggedEntry]] = {}
    for path in sorted(bundle.glob("*.entries")):
        feed = path.stem.lower()
        raws = split_sequence(path.read_bytes())
        feeds[feed] = [
            LoggedEntry(feed, i, raw, decode_body(split_entry(raw)[0]))
            for i, raw in enumerate(raws)
        ]
    return feeds, lines


def audit_entries(feeds: dict[str, list[LoggedEntry]]) -> list[LoggedEntry]:
    return [e for entries in feeds.values() for e in entries if e.body.kind_name == "audit"]


def verify_audit(feeds: dict[str, list[LoggedEntry]], entry: LoggedEntry) -> dict[str, Any]:
    """Recompute the audit an ``audit`` entry publishes and compare; raises VerifyError."""
    f = entry.body.named_fields()
    start, end, covers, want = f.get("start"), f.get("end"), f.get("covers"), f.get("digest")
    where = f"audit #{entry.index}"
    if not (isinstance(start, int) and isinstance(end, int) and isinstance(covers, str)):
        raise VerifyError(f"{where}: the entry lacks its period or what it covers")
    sizes = parse_covers(covers)
    cut: dict[str, list[LoggedEntry]] = {}
    for feed, (size, _root) in sizes.items():
        if feed not in feeds:
            raise VerifyError(f"{where} covers feed {feed[:16]}…, which the bundle lacks")
        if len(feeds[feed]) < size:
            raise VerifyError(
                f"{where} covers {size} entries of {feed[:16]}…; the bundle has "
                f"{len(feeds[feed])} (export the log again, after the audit)"
            )
        cut[feed] = feeds[feed][:size]
    report = audit(cut, start, end)
    for got in report["feeds"]:
        if got["root"] != sizes[got["feed"]][1]:
            raise VerifyError(f"{where}: feed {got['feed'][:16]}… is not the tree it covered")
    if digest(report) != want:
        raise VerifyError(f"{where}: the recomputed report does not match the signed digest")
    return report
