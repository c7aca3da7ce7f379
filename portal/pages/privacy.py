"""``/privacy``: what is public, what is sealed, who can read sealed details, how long they
are kept; read from the hub's recorded privacy policy (hub.privacy), in every language."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from hub.privacy import load_policy
from portal.data import get_hub
from portal.web import cached_page

bp = Blueprint("privacy", __name__)


@bp.route("/privacy")
@cached_page()
def page() -> ResponseReturnValue:
    policy = load_policy(get_hub().datadir)
    return render_template(
        "privacy.html",
        policy=policy,
        delay_minutes=policy.delay // 60,
        review_set=policy.review_public is not None,
    )
