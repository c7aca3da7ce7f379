"""Captive-portal detection: the operating systems' probes, and the Enter button.

Every name resolves to the hub, so a phone's connectivity probe lands here whatever Host
it asked for. Until the person taps Enter (a form posting to ``/accept``), a probe gets a
302 to the portal's home, which makes the phone pop the portal up. From then on, for that
client (IP, and MAC where the hub sees one) the probes get the exact answers the real
servers give, so the phone stays on the Wi-Fi without nagging.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect
from werkzeug.wrappers import Response

from portal.web import client_ip, client_mac, get_clients, guard_post, url

bp = Blueprint("captive", __name__)

APPLE = "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>"
FIREFOX_CANONICAL = (
    '<meta http-equiv="refresh" content="0;url=https://support.mozilla.org/kb/captive-portal"/>'
)

# path -> (status, content type, body) answered once the client is online
PROBES: dict[str, tuple[int, str, str]] = {
    "/generate_204": (204, "text/plain", ""),  # Android, ChromeOS
    "/gen_204": (204, "text/plain", ""),  # older Android
    "/hotspot-detect.html": (200, "text/html", APPLE),  # Apple
    "/library/test/success.html": (200, "text/html", APPLE),  # older Apple
    "/connecttest.txt": (200, "text/plain", "Microsoft Connect Test"),  # Windows 10+
    "/ncsi.txt": (200, "text/plain", "Microsoft NCSI"),  # older Windows
    "/canonical.html": (200, "text/html", FIREFOX_CANONICAL),  # Firefox
    "/success.txt": (200, "text/plain", "success\n"),  # Firefox
    "/check_network_status.txt": (200, "text/plain", "NetworkManager is online\n"),  # GNOME
}


def portal_home() -> str:
    return str(current_app.config.get("PORTAL_URL") or url("public.home"))


def is_online() -> bool:
    return get_clients().is_accepted(client_ip(), client_mac())


def _probe(path: str) -> Response:
    if not is_online():
        resp = redirect(portal_home(), code=302)
    else:
        status, ctype, body = PROBES[path]
        resp = Response(body, status=status, content_type=f"{ctype}; charset=utf-8")
        if status == 204:
            resp.headers.pop("Content-Type", None)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _register(path: str) -> None:
    def view() -> Response:
        return _probe(path)

    bp.add_url_rule(path, f"probe{path.replace('/', '_').replace('.', '_')}", view)


for _path in PROBES:
    _register(_path)


@bp.route("/redirect")
def windows_redirect() -> Response:
    """Windows opens this in a browser when it sees a portal: show the portal."""
    resp = redirect(portal_home(), code=302)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/accept", methods=["POST"])
def accept() -> Response:
    guard_post()
    get_clients().accept(client_ip(), client_mac())
    return redirect(url("public.home", welcome=1), code=303)
