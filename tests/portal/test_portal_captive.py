"""Captive-portal detection: probes redirect until Enter, then get the exact online answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from portal_helpers import csrf_from

from portal.web import ClientStore, arp_mac

ONLINE = {
    "/generate_204": (204, b""),
    "/hotspot-detect.html": (
        200,
        b"<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>",
    ),
    "/connecttest.txt": (200, b"Microsoft Connect Test"),
    "/canonical.html": (
        200,
        b'<meta http-equiv="refresh" content="0;url=https://support.mozilla.org/kb/captive-portal"/>',
    ),
    "/success.txt": (200, b"success\n"),
    "/check_network_status.txt": (200, b"NetworkManager is online\n"),
}
HOSTS = {
    "/generate_204": "connectivitycheck.gstatic.com",
    "/hotspot-detect.html": "captive.apple.com",
    "/connecttest.txt": "www.msftconnecttest.com",
    "/canonical.html": "detectportal.firefox.com",
    "/success.txt": "detectportal.firefox.com",
    "/check_network_status.txt": "nmcheck.gnome.org",
}


def phone(ip: str) -> dict[str, str]:
    return {"REMOTE_ADDR": ip}


def enter(client: FlaskClient, ip: str) -> None:
    html = client.get("/", environ_base=phone(ip)).get_data(as_text=True)
    assert 'action="/accept"' in html
    r = client.post("/accept", data={"csrf": csrf_from(html)}, environ_base=phone(ip))
    assert r.status_code == 303 and r.headers["Location"] == "/?welcome=1"


def test_probes_redirect_to_the_portal_until_enter(client: FlaskClient) -> None:
    for path, host in [*HOSTS.items(), ("/redirect", "www.msftconnecttest.com")]:
        r = client.get(path, headers={"Host": host}, environ_base=phone("10.0.0.7"))
        assert r.status_code == 302, path
        assert r.headers["Location"] == "/", path
        assert r.headers["Cache-Control"] == "no-store"


def test_after_enter_probes_answer_exactly_online(client: FlaskClient) -> None:
    enter(client, "10.0.0.7")
    for path, (status, body) in ONLINE.items():
        r = client.get(path, headers={"Host": HOSTS[path]}, environ_base=phone("10.0.0.7"))
        assert (r.status_code, r.data) == (status, body), path
    assert "Content-Type" not in client.get("/generate_204", environ_base=phone("10.0.0.7")).headers
    # another phone is still captive
    assert client.get("/generate_204", environ_base=phone("10.0.0.8")).status_code == 302
    # and the home page no longer offers Enter to the first one
    html = client.get("/?welcome=1", environ_base=phone("10.0.0.7")).get_data(as_text=True)
    assert 'action="/accept"' not in html and "You are connected" in html


def test_probe_redirect_goes_to_the_configured_portal_url(data: Path, arp: Path) -> None:
    from portal.app import create_app

    app = create_app({"DATA": str(data), "ARP_PATH": str(arp), "PORTAL_URL": "http://198.18.0.1/"})
    c = app.test_client()
    r = c.get("/generate_204", headers={"Host": "clients3.google.com"})
    assert r.headers["Location"] == "http://198.18.0.1/"
    # any unknown page on any host leads to the portal too
    r = c.get("/some/page.html", headers={"Host": "neverssl.com"})
    assert r.status_code == 302 and r.headers["Location"] == "http://198.18.0.1/"


def test_a_new_device_on_a_reused_address_sees_the_portal(client: FlaskClient, arp: Path) -> None:
    header = arp.read_text()
    arp.write_text(header + "10.0.0.9 0x1 0x2 aa:bb:cc:dd:ee:01 * wlan0\n")
    enter(client, "10.0.0.9")
    assert client.get("/generate_204", environ_base=phone("10.0.0.9")).status_code == 204
    arp.write_text(header + "10.0.0.9 0x1 0x2 aa:bb:cc:dd:ee:02 * wlan0\n")
    assert client.get("/generate_204", environ_base=phone("10.0.0.9")).status_code == 302
    # the first device, now on another address, is still recognised by its MAC
    arp.write_text(header + "10.0.0.10 0x1 0x2 aa:bb:cc:dd:ee:01 * wlan0\n")
    assert client.get("/generate_204", environ_base=phone("10.0.0.10")).status_code == 204


def test_acceptance_expires(tmp_path: Path) -> None:
    store = ClientStore(tmp_path / "c.sqlite", ttl=3600)
    store.accept("10.0.0.7", None, now=1000.0)
    assert store.is_accepted("10.0.0.7", None, now=1000.0 + 3599)
    assert not store.is_accepted("10.0.0.7", None, now=1000.0 + 3601)


def test_state_is_shared_between_processes(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "c.sqlite"
    code = (
        "import sys; from pathlib import Path; from portal.web.clients import ClientStore;"
        "ClientStore(Path(sys.argv[1])).accept('10.1.1.1', None)"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=True)
    assert ClientStore(path).is_accepted("10.1.1.1", None)


@pytest.mark.parametrize(
    "table",
    [
        "",
        "garbage\n\x00\xff",
        "IP address HW type Flags HW address Mask Device\n"
        "10.0.0.7 0x1 0x0 00:00:00:00:00:00 * wlan0\n",
        "IP address HW type Flags HW address Mask Device\n10.0.0.7 0x1 0x2 not-a-mac * wlan0\n",
    ],
)
def test_unusable_arp_tables_mean_no_mac(tmp_path: Path, table: str) -> None:
    p = tmp_path / "arp"
    p.write_text(table, encoding="latin-1")
    assert arp_mac("10.0.0.7", p) is None
    assert arp_mac("10.0.0.7", tmp_path / "missing") is None
