"""Guarding form posts: the client's identity, CSRF tokens and per-client rate limits."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, abort, current_app, request

from portal.web.clients import ClientStore, arp_mac
from portal.web.security import check_token, load_secret, make_token


def client_ip() -> str:
    """The client's address (see :func:`peer_address`)."""
    return peer_address(request.environ)


def peer_address(environ: Mapping[str, Any]) -> str:
    """The connection's peer address, or, only on a connection over gunicorn's private unix
    socket (no peer address: only the local nginx front can reach it), the address nginx
    saw (``X-Real-IP``). Forwarded headers on a TCP connection are never trusted."""
    peer = environ.get("REMOTE_ADDR")
    if peer:
        return str(peer)
    try:
        return str(ipaddress.ip_address(environ.get("HTTP_X_REAL_IP", "")))
    except ValueError:
        return "unknown"


def client_mac() -> str | None:
    return arp_mac(client_ip(), current_app.config["ARP_PATH"])


def get_clients() -> ClientStore:
    store: ClientStore = current_app.extensions["canopy_clients"]
    return store


def csrf_token() -> str:
    return make_token(current_app.extensions["canopy_secret"], client_ip())


def guard_post() -> None:
    """Abort with 429 when the client posts too often, 400 when the form token is bad."""
    cfg = current_app.config
    if not get_clients().hit(f"post:{client_ip()}", cfg["RATE_LIMIT"], cfg["RATE_WINDOW"]):
        abort(429)
    token = request.form.get("csrf", "")
    if not check_token(current_app.extensions["canopy_secret"], client_ip(), token):
        abort(400, description="csrf")


def init_app(app: Flask) -> None:
    portal_dir = Path(app.config["DATA"]) / "portal"
    app.extensions["canopy_secret"] = load_secret(portal_dir)
    app.extensions["canopy_clients"] = ClientStore(
        portal_dir / "clients.sqlite", float(app.config["CLIENT_TTL"])
    )
