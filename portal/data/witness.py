"""Witnessing on the portal: who cosigned a hub's checkpoints, split-view warnings, and the
cosigned checkpoint as text. Read from the data directory (docs/witness.md); the split
views come from the folded log, like everything else the portal shows."""

from __future__ import annotations

from typing import Any

from flask import Flask

from hub.errors import HubError
from hub.witness import WitnessFiles, witnessed
from portal.data.hubdata import get_hub


def witnessing(feed: str) -> dict[str, Any]:
    """``n`` of ``m`` hubs that could witness ``feed`` (the federation here, this hub
    included, the hub itself not) and, per witness, its name, size and when."""
    hub = get_hub()
    st = hub.folded().hub
    candidates = {st.own, *st.federated()} - {feed}
    rows = [
        {**r, "name": st.hub_name(r["witness"])}
        for r in witnessed(hub.datadir, feed)
        if r["witness"] in candidates
    ]
    return {"n": len(rows), "m": len(candidates), "rows": rows}


def witness_stamp() -> int:
    """Changes when this hub's cosignatures do: cached pages that show them key on it."""
    hub = get_hub()
    try:
        path = WitnessFiles(hub.datadir).dir / "sigs" / f"{hub.identity.feed.hex()}.json"
        return path.stat().st_mtime_ns
    except (OSError, HubError):  # no hub here: the page says so, not this
        return 0


def split_views() -> list[dict[str, Any]]:
    """Hubs with evidence of a split view, a fork, a rollback or a key change, for the
    warning on every page; this hub too when it found its own log rolled back (it keeps
    that in a file, not in its log: an entry would fork its history)."""
    try:
        hub = get_hub()
        st = hub.folded().hub
    except HubError:  # no hub (the error page): nothing to warn of
        return []
    out = [
        {"feed": sv.feed, "name": st.hub_name(sv.feed), "time": sv.time, "what": sv.what}
        for sv in st.split_views.values()
    ]
    rolled = WitnessFiles(hub.datadir).rollback()
    if rolled is not None and st.own not in st.split_views:
        since = rolled.get("since")
        out.append({"feed": st.own, "name": st.hub_name(st.own), "time": since, "what": "rollback"})
    return out


def cosigned_text() -> str:
    """This hub's newest cosigned checkpoint note; else the current one from the daemon."""
    hub = get_hub()
    saved = WitnessFiles(hub.datadir).own_note()
    if saved is not None:
        return saved
    note, _ = hub.checkpoint()
    return note


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(witnessing=witnessing, split_views=split_views)
