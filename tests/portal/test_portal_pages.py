"""The public pages, read through the Flask test client from a seeded log."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from flask.testing import FlaskClient
from portal_helpers import XSS

from crypto.merkle import leaf_hash, verify_inclusion
from hub.daemon import HubCore
from hub.local import DataDir

PAGES = ["/", "/log", "/alerts", "/charter", "/protocols", "/partners", "/compact", "/verify"]


def text(client: FlaskClient, path: str, **kw: object) -> str:
    r = client.get(path, **kw)  # type: ignore[arg-type]
    assert r.status_code == 200, (path, r.status_code)
    return r.get_data(as_text=True)


def test_every_public_page_renders_without_javascript(client: FlaskClient) -> None:
    for path in [*PAGES, "/steward/checkin"]:
        html = text(client, path)
        assert '<html lang="en">' in html
        assert "<script" not in html.lower()
        assert 'rel="stylesheet" href="/static/canopy.css"' in html
        # every input has a label
        for input_id in re.findall(r'<input id="([^"]+)"', html):
            assert f'<label for="{input_id}">' in html, (path, input_id)


def test_home_shows_duty_alerts_latest_and_vow(client: FlaskClient, idx: dict[str, int]) -> None:
    html = text(client, "/")
    duty = html.split('id="duty-h"')[1].split("</section>")[0]
    assert "ana" in duty and "bo" not in duty  # bo checked out
    alerts = html.split('id="alerts-h"')[1].split("</section>")[0]
    assert "water main burst" in alerts and "lost child" not in alerts  # cancelled
    assert f'href="/log/{idx["compact"]}"' in html  # latest entries
    vow = html.split('id="vow-h"')[1].split("</section>")[0]
    assert "We keep the door open." in vow and "Warm bread" not in vow  # not the bakery's
    assert "1 person has signed" in vow


def test_alerts_page_counts_acknowledgements_once_per_author(client: FlaskClient) -> None:
    html = text(client, "/alerts")
    past = html.split("<h2>Past</h2>")[1]
    assert "lost child near the park" in past
    assert "2 acknowledgements" in past  # ana twice + bo
    assert "found" in past
    active = html.split("<h2>Past</h2>")[0]
    assert "water main burst" in active and "0 acknowledgements" in active


def test_charter_latest_wins_and_markdown_is_sanitised(client: FlaskClient) -> None:
    html = text(client, "/charter")
    assert "<h1>Our charter</h1>" in html and "<strong>help</strong>" in html
    assert "Old charter" not in html
    assert "<script" not in html and "onerror" not in html and "<img" not in html


def test_protocols_and_partners(client: FlaskClient) -> None:
    html = text(client, "/protocols")
    assert "<em>first</em>" in html and 'id="p-outside-help"' in html
    html = text(client, "/partners").split('<main id="main">')[1]
    assert html.index("Bakery") < html.index("Corner Shop")
    assert "(this shop)" in html


def test_xss_in_an_entry_shows_as_text(client: FlaskClient, idx: dict[str, int]) -> None:
    for path in ["/log", f"/log/{idx['xss']}"]:
        html = text(client, path)
        assert "&lt;script&gt;alert(" in html
        assert XSS not in html
        assert "<img" not in html
    r = client.get(f"/api/v1/entries/{idx['xss']}")
    assert r.mimetype == "application/json" and r.headers["X-Content-Type-Options"] == "nosniff"


def test_log_filters_by_kind_and_day_and_pages(client: FlaskClient, idx: dict[str, int]) -> None:
    html = text(client, "/log?kind=alert")
    assert "2 matching entries" in html
    assert html.count('class="entry k-alert"') == 2
    html = text(client, "/log?kind=checkin&day=1999-01-01")
    assert "0 matching entries" in html
    from hub.log import LogView

    day = LogView(DataDir(client.application.config["DATA"])).entry(0).to_json()["time"][:10]
    html = text(client, f"/log?day={day}")
    assert f"{len(idx)} matching entries" in html
    page1 = text(client, "/log")
    assert 'rel="next" href="/log?page=2"' not in page1  # 20 entries < 25 per page
    assert client.get("/log?page=2").status_code == 404


def test_log_pages_over_many_entries(data: Path, client: FlaskClient) -> None:
    core = HubCore(DataDir(data))
    core.open()
    try:
        for i in range(40):
            core.log.append("note", {"text": f"round {i}"}, author="ana")
    finally:
        core.close()
    first = text(client, "/log")
    assert "round 39" in first and 'href="/log?page=2"' in first
    second = text(client, "/log?page=2")
    assert "round 14" in second and "round 39" not in second
    third = text(client, "/log?page=2&kind=note")
    assert 'rel="prev"' in third


def test_correction_is_shown_beside_what_it_corrects(
    client: FlaskClient, idx: dict[str, int]
) -> None:
    html = text(client, "/log")
    line = html.split('class="entry k-incident"')[1].split("</li>\n")[0]
    assert "Corrected by" in line and "it was 9pm" in line
    html = text(client, f"/log/{idx['incident']}")
    assert "This entry has been corrected" in html and "it was 9pm" in html
    html = text(client, f"/log/{idx['correction']}")
    assert "This entry corrects" in html and "bike stolen" in html


def test_entry_page_signature_and_inclusion_proof_verify(
    client: FlaskClient, idx: dict[str, int]
) -> None:
    i = idx["checkin_ana"]
    html = text(client, f"/log/{i}")
    assert "The signature is valid" in html
    data = client.get(f"/api/v1/entries/{i}").get_json()
    assert data["signature"]["valid"] is True
    proof_html = html.split("Inclusion proof")[1]
    codes = re.findall(r"<code>([^<]+)</code>", proof_html)
    root, leaf, path = codes[1], codes[2], codes[3:]
    raw = base64.b64decode(data["entry"])
    assert base64.b64decode(leaf) == leaf_hash(raw)
    verify_inclusion(
        leaf_hash(raw), i, len(idx), [base64.b64decode(p) for p in path], base64.b64decode(root)
    )


def test_tampered_entry_shows_a_bad_signature(data: Path, client: FlaskClient) -> None:
    feed = next((data / "feeds").glob("*.log"))
    raw = bytearray(feed.read_bytes())
    pos = raw.find(b"quiet evening")
    raw[pos] = ord("Q")  # same length, checksum fixed below so the store accepts it
    import struct
    import zlib

    length = struct.unpack_from(">I", raw, 0)[0]
    struct.pack_into(">I", raw, 4, zlib.crc32(bytes(raw[8 : 8 + length])))
    feed.write_bytes(bytes(raw))
    html = text(client, "/log/0")
    assert "does NOT verify" in html
    assert client.get("/api/v1/entries/0").get_json()["signature"]["valid"] is False


def test_spanish_by_accept_language_and_by_link(client: FlaskClient) -> None:
    html = text(client, "/", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"})
    assert '<html lang="es">' in html and "Zona de Seguridad Comunitaria" in html
    assert 'href="/?lang=en"' in html  # visible switch back
    html = text(client, "/log?lang=es")
    assert "Registro de patrullas" in html
    assert 'href="/alerts?lang=es"' in html  # the choice sticks without a cookie
    assert 'name="lang" value="es"' in html  # and in the filter form
    html = text(client, "/compact", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in html
    assert 'href="/compact?lang=es"' in html


def test_json_api(client: FlaskClient, idx: dict[str, int]) -> None:
    body = client.get("/api/v1/entries?limit=5").get_json()
    assert [e["index"] for e in body["entries"]] == [0, 1, 2, 3, 4]
    assert body["next_after"] == 4 and body["size"] == len(idx)
    body = client.get("/api/v1/entries?after=4&limit=200").get_json()
    assert body["entries"][0]["index"] == 5 and body["next_after"] is None
    body = client.get("/api/v1/entries?kind=alert").get_json()
    assert [e["text"] for e in body["entries"]] == [
        "lost child near the park",
        "water main burst on 5th",
    ]
    one = client.get(f"/api/v1/entries/{idx['xss']}").get_json()
    assert one["text"] == XSS and one["author"] == "ana"
    for bad in ["?limit=0", "?limit=201", "?after=x", "?kind=nope", "?limit=1e3"]:
        r = client.get("/api/v1/entries" + bad)
        assert r.status_code == 400 and r.get_json()["ok"] is False
    assert client.get("/api/v1/entries/99999").status_code == 404
    health = client.get("/healthz").get_json()
    assert health == {
        "ok": True,
        "entries": len(idx),
        "daemon": False,
        "feed": health["feed"],
    }
    assert re.fullmatch("[0-9a-f]{64}", health["feed"])


def test_pages_follow_the_log_as_it_grows(data: Path, client: FlaskClient) -> None:
    before = text(client, "/")
    assert "first patrol of spring" not in before
    core = HubCore(DataDir(data))
    core.open()
    try:
        core.log.append("alert", {"text": "first patrol of spring"}, author="cy")
    finally:
        core.close()
    assert "first patrol of spring" in text(client, "/")
    assert "first patrol of spring" in text(client, "/alerts")


def test_every_route_and_probe_is_documented(client: FlaskClient) -> None:
    from portal.pages import PROBES

    doc = (Path(__file__).resolve().parents[2] / "docs" / "portal.md").read_text()
    for rule in client.application.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:int:)?(\w+)>", r"<\1>", rule.rule)
        assert re.search(r"[` ]" + re.escape(path.split("<")[0]), doc), path
    for path, (_status, _ctype, body) in PROBES.items():
        assert f"`{path}`" in doc, path
        if body:
            assert body.strip() in doc, path


def test_an_empty_log_renders_every_page(tmp_path: Path, arp: Path) -> None:
    from hub.local import create_identity
    from portal.app import create_app

    create_identity(DataDir(tmp_path / "empty"), "New Shop")
    c = create_app({"DATA": str(tmp_path / "empty"), "ARP_PATH": str(arp)}).test_client()
    for path in [*PAGES, "/steward/checkin", "/api/v1/entries", "/healthz"]:
        assert c.get(path).status_code == 200, path
    assert "The log is empty." in text(c, "/")
    assert c.get("/log/0").status_code == 404


def test_readers_on_many_threads_see_each_entry_once(data: Path, idx: dict[str, int]) -> None:
    import threading

    from portal.data import PortalHub

    hub = PortalHub(data)
    core = HubCore(DataDir(data))
    core.open()
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                st = hub.state()
                hub.entries(list(range(max(0, st.size - 5), st.size)))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=read) for _ in range(6)]
    for t in threads:
        t.start()
    try:
        for i in range(150):
            core.log.append("checkin" if i % 2 else "checkout", {}, author=f"s{i % 7}")
    finally:
        stop.set()
        for t in threads:
            t.join()
        core.close()
    assert not errors
    st = hub.state()
    assert st.size == len(idx) + 150 == len(hub.view.reader())
    assert len(st.times) == st.size and sum(len(a) for a in st.by_kind.values()) == st.size
