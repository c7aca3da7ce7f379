"""Where an audit's entries come from: the feeds of a data directory, or an exported bundle.

The I/O edge of :mod:`hub.audit`: it reads files and hands the pure fold decoded entries.
A bundle is verified (every signature, the chain and the checkpoint) before it is folded.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any

import cbor2

from crypto.entrysig import split_entry
from crypto.merkle import root_from_leaf_hashes
from hub.audit.fold import Row, audit, audit_rows
from hub.audit.report import digest, parse_covers
from hub.errors import InputError, VerifyError
from hub.log import (
    FORMAT_VERSION,
    Checkpoints,
    FeedReader,
    LoggedEntry,
    LogView,
    TimeSource,
    decode_body,
    split_sequence,
    verify_bundle,
)

_SOURCES = len(TimeSource)
_CHUNK = 4096
_SIG = b"\x58\x40"  # the signature's header: a 64-byte string


def _rows(reader: FeedReader, feed: str, stop: int) -> Iterator[Row]:
    """Rows ``[0, stop)`` of a feed file of this hub, for the fold, a chunk at a time
    (chained in C: no Python frame resumed per row)."""
    return chain.from_iterable(
        _chunk(reader.read_range(lo, min(lo + _CHUNK, stop)), feed, lo)
        for lo in range(0, stop, _CHUNK)
    )


def _chunk(raws: list[bytes], feed: str, lo: int) -> list[Row]:
    """The rows of entries ``lo, lo + 1, …`` of a feed file.

    The feed files of a data directory hold entries that were checked when they were
    written (signed here, or verified by sync), so they are read by position: each body
    sits between its byte-string header and the 66-byte signature, and the decoded body
    array is the row's body as it is. If any entry of the chunk has another shape, the
    chunk is read again entry by entry through :func:`split_entry` and
    :func:`decode_body`, which raise naming the bad one.
    """
    loads = cbor2.loads
    try:
        items: list[Any] = [
            loads(r[2 if r[1] < 0x58 else r[1] - 0x55 : -66])
            if len(r) > 68 and r[0] == 0x82 and 0x40 <= r[1] <= 0x59 and r[-66:-64] == _SIG
            else None
            for r in raws
        ]
    except (cbor2.CBORDecodeError, ValueError):
        items = [None] * len(raws)  # each entry again, the strict way, to name the bad one
    if all(
        type(it) is list
        and len(it) >= 5
        and it[0] == FORMAT_VERSION
        and type(it[1]) is int
        and type(it[2]) is int
        and type(it[3]) is int
        and 0 <= it[3] < _SOURCES
        and type(it[4]) is str
        for it in items
    ):
        return [(it[2], feed, i, it) for i, it in enumerate(items, lo)]
    out: list[Row] = []
    for i, raw in enumerate(raws, lo):
        b = decode_body(split_entry(raw)[0])
        body = [FORMAT_VERSION, b.kind, b.time, int(b.time_source), b.author, *b.fields]
        out.append((b.time, feed, i, body))
    return out


def audit_datadir(
    view: LogView, start: int, end: int, sizes: dict[str, int] | None = None
) -> dict[str, Any]:
    """The audit of ``[start, end)`` over every feed the hub holds (``LogView.feeds()``),
    each cut at ``sizes`` if given; raises :class:`InputError` if a feed is shorter."""
    feeds = view.feeds() if sizes is None else sorted(sizes)
    readers = {f: view.reader(f) for f in feeds}
    stops = {f: len(r) if sizes is None else sizes[f] for f, r in readers.items()}
    for f, r in readers.items():
        if len(r) < stops[f]:
            raise InputError(f"feed {f[:16]}… has fewer than {stops[f]} entries")
    roots = {f: root_from_leaf_hashes(r.leaves[: stops[f]]) for f, r in readers.items()}
    rows = {f: _rows(r, f, stops[f]) for f, r in readers.items()}
    return audit_rows(rows, start, end, roots)


def sync_lag(view: LogView, report: dict[str, Any]) -> list[dict[str, Any]]:
    """Per replica the audit covers: entries held, the largest size a signed checkpoint of
    its hub proves (0 if none is kept), how many entries this hub lacks, and the claimed
    time of the last entry held. Like :func:`incomplete`, outside the digested report."""
    kept = Checkpoints(view.datadir)
    out: list[dict[str, Any]] = []
    for f in report["feeds"]:
        feed, held = f["feed"], f["size"]
        if feed == view.own_feed:
            continue
        known = max(kept.sizes(feed), default=0)
        last = view.entry(held - 1, feed).body.time if held else None
        out.append(
            {"feed": feed, "held": held, "checkpointed": known, "lag": max(0, known - held),
             "last_entry": last}
        )  # fmt: skip
    return out


def incomplete(view: LogView, report: dict[str, Any]) -> list[dict[str, Any]]:
    """The feeds an audit covers only in part: this hub holds fewer entries of them than
    a signed checkpoint of their own hub proves exist (a replica not yet fully synced).

    Each: ``feed``, ``held`` (entries covered), ``known`` (the largest checkpointed size)
    and ``until``: the claimed time of the last entry held (None if none), after which the
    feed's figures are missing. A feed held past the period's end is complete for the
    period (claimed time never goes backwards in a feed). Kept out of the report itself,
    and so out of its digest: it is what this hub knows at the time, not something the
    covered entries say.
    """
    kept = Checkpoints(view.datadir)
    end = report["period"]["end"]
    out: list[dict[str, Any]] = []
    for f in report["feeds"]:
        feed, held = f["feed"], f["size"]
        known = max(kept.sizes(feed), default=0)
        if known <= held:
            continue
        until = view.entry(held - 1, feed).body.time if held else None
        if until is None or until < end:  # else every entry before the end is held
            out.append({"feed": feed, "held": held, "known": known, "until": until})
    return out


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
