"""Verify: download the log as an export bundle and check it with ``canopy log verify``.

The bundle is what ``canopy log export`` writes: ``<feed>.entries`` (the entries' exact
bytes as a CBOR sequence, from index 0), ``<feed>.checkpoint`` (the hub's signed note)
and ``<feed>.vkey``. The portal cannot sign, so the checkpoint comes from the daemon;
the entries download is cut at the checkpoint's size so the files always agree.
"""

from __future__ import annotations

import io
import tarfile
import time
from collections.abc import Iterator

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue

from portal.data import PortalHub, PortalWriteError, WritesPaused, get_hub
from portal.web import parse_int

bp = Blueprint("verify", __name__, url_prefix="/verify")


def download(body: bytes | Iterator[bytes], name: str, ctype: str) -> Response:
    resp = Response(body, content_type=ctype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


def stream_entries(hub: PortalHub, size: int, feed: str | None = None) -> Iterator[bytes]:
    """A feed's entries ``[0, size)`` as stored, in chunks (default: the own feed)."""
    for start in range(0, size, 1024):
        yield b"".join(hub.read_range(start, min(size, start + 1024), feed))


@bp.route("")
def page() -> ResponseReturnValue:
    hub = get_hub()
    feed = hub.identity.feed.hex()
    try:
        note, size = hub.checkpoint()
        problem = None
    except WritesPaused:
        note, size, problem = "", 0, "paused"
    except PortalWriteError as e:
        note, size, problem = "", 0, str(e)
    return render_template(
        "verify.html",
        feed=feed,
        note=note,
        size=size,
        problem=problem,
        vkey=hub.identity.verifier.to_string(),
        entries_now=hub.state().size,
    )


@bp.route("/<feed>.entries")
def entries(feed: str) -> ResponseReturnValue:
    hub = get_hub()
    if feed != hub.identity.feed.hex():
        abort(404)
    available = hub.state().size
    raw = request.args.get("size", "")
    if raw:
        parsed = parse_int(raw, 0, available)
        if parsed is None:
            abort(400, description="size")
        size = parsed
    else:
        size = available
    return download(stream_entries(hub, size), f"{feed}.entries", "application/cbor-seq")


@bp.route("/<feed>.vkey")
def vkey(feed: str) -> ResponseReturnValue:
    hub = get_hub()
    if feed != hub.identity.feed.hex():
        abort(404)
    text = hub.identity.verifier.to_string() + "\n"
    return download(text.encode(), f"{feed}.vkey", "text/plain; charset=utf-8")


@bp.route("/<feed>.checkpoint")
def checkpoint(feed: str) -> ResponseReturnValue:
    hub = get_hub()
    if feed != hub.identity.feed.hex():
        abort(404)
    try:
        note, _ = hub.checkpoint()
    except PortalWriteError:
        abort(503)
    return download(note.encode(), f"{feed}.checkpoint", "text/plain; charset=utf-8")


@bp.route("/bundle.tar")
def bundle() -> ResponseReturnValue:
    """All three files in one tar, consistent with each other."""
    hub = get_hub()
    feed = hub.identity.feed.hex()
    try:
        note, size = hub.checkpoint()
    except PortalWriteError:
        abort(503)
    files = {
        f"canopy-log/{feed}.entries": b"".join(stream_entries(hub, size)),
        f"canopy-log/{feed}.checkpoint": note.encode(),
        f"canopy-log/{feed}.vkey": (hub.identity.verifier.to_string() + "\n").encode(),
    }
    buf = io.BytesIO()
    now = int(time.time())
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), now, 0o644
            tar.addfile(info, io.BytesIO(data))
    return download(buf.getvalue(), "canopy-log.tar", "application/x-tar")
