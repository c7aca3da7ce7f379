"""The kit for visitors from other neighbourhoods: how the network works, and the download.

The kit is the file `canopy kit export` last wrote into the data directory, verified before
it is shown or served; the portal never signs anything itself.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask.typing import ResponseReturnValue
from flask_babel import get_locale

from hub.errors import HubError
from hub.kit import Kit, read_kit
from portal.data import get_hub, render_markdown

bp = Blueprint("kit", __name__, url_prefix="/kit")
KIT_FILE = "kit.json"  # as hub.cli.kit writes it


def _kit() -> tuple[Kit | None, bytes]:
    path = get_hub().datadir.root / KIT_FILE
    try:
        data = path.read_bytes()
        return read_kit(data), data
    except (OSError, HubError):
        return None, b""


@bp.route("")
def page() -> ResponseReturnValue:
    kit, _ = _kit()
    c = kit.contents if kit else {}
    # the kit's own texts in the visitor's language when the kit carries it
    mine = c.get("translations", {}).get(str(get_locale()), {})
    roles = [
        {**r, "does": mine.get("roles", {}).get(r.get("role"), r.get("does"))}
        for r in c.get("roles", [])
        if isinstance(r, dict)
    ]
    protocols = [
        (slug, render_markdown(text)) for slug, text in sorted(c.get("protocols", {}).items())
    ]
    return render_template(
        "kit.html",
        kit=kit,
        charter=render_markdown(c.get("charter", "")),
        protocols=protocols,
        card=render_markdown(mine.get("steward_card", c.get("steward_card", ""))),
        roles=roles,
        settings=sorted(c.get("settings", {}).items()),
    )


@bp.route("/canopy-kit.json")
def download() -> ResponseReturnValue:
    kit, data = _kit()
    if kit is None:
        return Response("no kit has been published on this hub\n", 404, content_type="text/plain")
    return Response(
        data,
        content_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="canopy-kit.json"'},
    )
