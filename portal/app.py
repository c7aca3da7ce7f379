"""The application factory: config defaults, blueprints, headers and error pages."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadHost, HTTPException

from hub.errors import HubError
from hub.local import default_data_dir
from portal.web import ClientStoreFull

DEFAULTS: dict[str, Any] = {
    "MAX_CONTENT_LENGTH": 16 * 1024,  # the biggest form is a name and a token
    "MAX_FORM_MEMORY_SIZE": 8 * 1024,
    "MAX_FORM_PARTS": 16,
    "CLIENT_TTL": 24 * 3600,  # seconds a tap on Enter keeps a phone "online"
    "RATE_LIMIT": 10,  # form posts per client …
    "RATE_WINDOW": 60,  # … per this many seconds
    "ARP_PATH": "/proc/net/arp",
    "PORTAL_URL": None,  # where probes redirect; default: this server's home page
    "SEND_FILE_MAX_AGE_DEFAULT": 3600,
}


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the portal for the data directory in ``DATA`` (default ``$CANOPY_DATA``)."""
    from portal.data import hubdata, present, witness
    from portal.pages import (
        api,
        audits,
        calendar,
        captive,
        hubs,
        kit,
        privacy,
        public,
        steward,
        verify,
    )
    from portal.pages import log as logpages
    from portal.web import FastPath, PageCache, add_headers, form_token, forms, i18n

    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config["DATA"] = str(default_data_dir())
    if os.environ.get("CANOPY_PORTAL_URL"):
        app.config["PORTAL_URL"] = os.environ["CANOPY_PORTAL_URL"]
    if test_config is not None:
        app.config.update(test_config)
    portal_dir = Path(app.config["DATA"]) / "portal"

    forms.init_app(app)
    i18n.init_app(app, Path(app.config.get("I18N_CACHE") or portal_dir / "i18n"))
    hubdata.init_app(app)
    present.init_app(app)
    witness.init_app(app)
    for bp in (
        public.bp,
        logpages.bp,
        hubs.bp,
        captive.bp,
        api.bp,
        verify.bp,
        steward.bp,
        audits.bp,
        kit.bp,
        calendar.bp,
        privacy.bp,
    ):
        app.register_blueprint(bp)
    app.extensions["canopy_pages"] = PageCache()
    app.jinja_env.globals["csrf_token"] = form_token
    app.after_request(add_headers)
    if app.config.get("PAGE_CACHE") is not False:
        app.wsgi_app = FastPath(app, app.wsgi_app)  # type: ignore[method-assign]

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> ResponseReturnValue:
        code = e.code or 500
        if request.path.startswith(("/api/", "/healthz")):
            return jsonify(ok=False, error=e.description or e.name), code
        if code == 404 and request.url_rule is None and app.config.get("PORTAL_URL"):
            return captive.windows_redirect()
        if not (request.url_rule is None and isinstance(e, BadHost)):
            try:
                return render_template("error.html", code=code, detail=e.description), code
            except Exception:  # an error page must never become a 500
                app.logger.exception("error page for %s failed", code)
        # e.g. no URL adapter could be bound to an unparseable Host: no links can be built
        return Response(f"{code} {e.name}\n", code, content_type="text/plain")

    @app.errorhandler(ClientStoreFull)
    def storage_full(e: ClientStoreFull) -> ResponseReturnValue:
        app.logger.warning("the portal cannot write: %s", e)
        return render_template("error.html", code=503, detail="full"), 503

    @app.errorhandler(HubError)
    def hub_error(e: HubError) -> ResponseReturnValue:
        app.logger.warning("the log cannot be read: %s", e)
        return render_template("error.html", code=503, detail="log", hub_down=True), 503

    return app


def warm_master(app: Flask) -> None:
    """In the gunicorn master, before it forks the workers: compile every template once
    (Jinja otherwise compiles each in every worker on its first page) and freeze what is
    loaded, so that the collector never writes to those objects and the workers keep
    sharing their pages instead of copying them (docs/board.md)."""
    import gc

    with app.app_context():
        for name in app.jinja_env.list_templates(extensions=["html"]):
            app.jinja_env.get_template(name)
    gc.collect()
    gc.freeze()
