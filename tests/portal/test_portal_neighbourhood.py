"""The portal shows the neighbourhood: a second hub's feed, federated and stored as a
replica (real signatures, through the daemon's own ops and replica store), appears on the
first hub's pages: on duty, alerts, the log with which hub recorded what, a page per hub,
its downloads and the JSON API. Hostile inputs get a 4xx; a removed hub stops counting."""

from __future__ import annotations

import base64
import gzip
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from portal_helpers import XSS, get, run_portal

from crypto.entrysig import sign_entry
from crypto.keys import PublicKey
from crypto.merkle import leaf_hash, verify_inclusion
from crypto.note import Verifier
from hub.daemon import HubCore
from hub.daemon.ops import run_op
from hub.local import DataDir, create_identity, load_signing_key
from hub.log import BY_NAME, Body, TimeSource, encode_body, split_sequence, verify_entries
from portal.app import create_app

NOW = time.time() + 3600  # after anything the seeded corner shop writes, however long the suite
YEAR = int(NOW) + 365 * 86400


class Bakery:
    """A second hub ("Bakery") with its own identity and signed feed."""

    def __init__(self, root: Path) -> None:
        self.dd = DataDir(root)
        create_identity(self.dd, "Bakery")

    def core(self, at: float = NOW) -> HubCore:
        core = HubCore(self.dd, clock=lambda: at)
        core.open()
        return core

    def write(self, entries: list[tuple[str, dict[str, object], str]], at: float = NOW) -> None:
        core = self.core(at)
        try:
            for kind, fields, author in entries:
                core.log.append(kind, fields, author=author)  # type: ignore[arg-type]
        finally:
            core.close()

    @property
    def feed(self) -> str:
        core = self.core()
        try:
            return core.log.feed_hex
        finally:
            core.close()

    def vkey(self) -> str:
        core = self.core()
        try:
            assert core.log.identity is not None
            return core.log.identity.verifier.to_string()
        finally:
            core.close()

    def raws(self) -> list[bytes]:
        core = self.core()
        try:
            assert core.log.own is not None
            return core.log.own.read_range(0, len(core.log.own))
        finally:
            core.close()

    def root(self) -> bytes:
        core = self.core()
        try:
            assert core.log.own is not None
            return core.log.own.compact.root()
        finally:
            core.close()


def at_corner(data: Path, act: Callable[[HubCore], object], at: float = NOW) -> None:
    """Run ``act`` on the Corner Shop hub's core (the daemon's ops and replica store)."""
    core = HubCore(DataDir(data), clock=lambda: at)
    core.open()
    try:
        act(core)
    finally:
        core.close()


def sync_from(data: Path, bakery: Bakery) -> None:
    """Store whatever the bakery's feed has that the corner shop's replica lacks."""

    def store(core: HubCore) -> None:
        feed = bakery.feed
        held = core.log.replicas.size(feed)
        core.log.store_replica(feed, held, bakery.raws()[held:])

    at_corner(data, store)


@pytest.fixture
def bakery(tmp_path: Path, data: Path) -> Bakery:
    """The bakery enrols dee, who checks in there; it raises an alert; the corner shop
    federates with it and holds its entries."""
    b = Bakery(tmp_path / "bakery")
    b.write(
        [
            ("enrol", {"handle": "dee", "role": "steward", "until": YEAR}, ""),
            ("note", {"text": XSS}, "dee"),
            ("checkin", {"minutes": 30, "text": "bakery loop"}, "dee"),
            ("alert", {"text": "gas smell on Oak Street"}, "dee"),
            ("alert", {"text": "blocked drain"}, "dee"),
            ("cancel", {"alert": 4, "text": "cleared"}, "dee"),
        ]
    )
    at_corner(data, lambda core: run_op(core, "peer_add", {"vkey": b.vkey(), "name": "Bakery"}))
    sync_from(data, b)
    return b


def page(client: FlaskClient, path: str, status: int = 200) -> str:
    r = client.get(path)
    assert r.status_code == status, (path, r.status_code, r.get_data(as_text=True)[:300])
    return r.get_data(as_text=True)


def section(html: str, anchor: str) -> str:
    return html.split(f'id="{anchor}"')[1].split("</section>")[0]


def test_home_shows_duty_and_alerts_from_every_federated_hub(
    client: FlaskClient, bakery: Bakery
) -> None:
    html = page(client, "/")
    duty = section(html, "duty-h")
    assert "ana" in duty and "dee" in duty
    dee = next(li for li in duty.split("<li>") if "dee" in li)
    assert '<span class="hub">Bakery</span>' in dee
    ana = next(li for li in duty.split("<li>") if "ana" in li)
    assert '<span class="hub">Corner Shop</span>' in ana
    alerts = section(html, "alerts-h")
    assert "gas smell on Oak Street" in alerts and "water main burst on 5th" in alerts
    assert "blocked drain" not in alerts  # cancelled at the bakery
    gas = next(li for li in alerts.split("<li") if "gas smell" in li)
    assert "Bakery" in gas and f'href="/log/{bakery.feed[:16]}/3"' in gas


def test_alerts_page_says_which_hub_raised_each(client: FlaskClient, bakery: Bakery) -> None:
    html = page(client, "/alerts")
    active, past = html.split("<h2>Past</h2>")
    assert "gas smell on Oak Street" in active and '<span class="hub">Bakery</span>' in active
    assert "blocked drain" in past and "Cancelled" in past and "cleared" in past
    assert f'/log/{bakery.feed[:16]}/4"' in past


def test_log_lists_every_hub_and_filters_by_hub(
    client: FlaskClient, bakery: Bakery, idx: dict[str, int]
) -> None:
    own = len(idx) + 2  # the seeded entries, the peer entry and its pin-share
    html = page(client, "/log")
    assert f"{own + 6} entries in the log" in html
    assert f'<option value="{bakery.feed[:16]}">Bakery</option>' in html
    assert "&lt;script&gt;" in html and XSS not in html  # the bakery's note, escaped
    only = page(client, f"/log?hub={bakery.feed[:16]}&kind=alert")
    assert "2 matching entries" in only and "gas smell" in only and "water main" not in only
    assert f"/log/{bakery.feed[:16]}/3" in only
    # the full 64 hex digits name the same hub
    assert "2 matching entries" in page(client, f"/log?hub={bakery.feed}&kind=alert")
    corner = page(client, f"/log?hub={page_feed(client)[:16]}&kind=alert")
    assert "water main" in corner and "gas smell" not in corner


def page_feed(client: FlaskClient) -> str:
    feed: str = client.get("/healthz").get_json()["feed"]
    return feed


def test_a_replica_entry_page_checks_its_signature_and_proof(
    client: FlaskClient, bakery: Bakery
) -> None:
    html = page(client, f"/log/{bakery.feed[:16]}/3")
    assert "gas smell on Oak Street" in html and "Bakery" in html
    assert "The signature is valid: Bakery signed exactly this entry" in html
    assert f"<code>{bakery.feed}</code>" in html
    data = client.get(f"/api/v1/entries/3?feed={bakery.feed}").get_json()
    assert data["signature"] == {"valid": True, "reason": None} and data["feed"] == bakery.feed
    root = base64.b64encode(bakery.root()).decode()
    assert f"<code>{root}</code>" in html  # the bakery's own tree
    cell = html.split("<dt>Path</dt><dd>")[1].split("</dd>")[0]
    path = [base64.b64decode(p) for p in re.findall(r"<code>([^<]+)</code>", cell)]
    verify_inclusion(leaf_hash(bakery.raws()[3]), 3, 6, path, bakery.root())
    # the own feed's entry pages keep their short address
    own = page_feed(client)[:16]
    recorded = f'<dt>Recorded by</dt><dd><a href="/hubs/{own}">Corner Shop</a></dd>'
    assert recorded in page(client, "/log/0")


def test_hub_pages_and_verify_downloads(client: FlaskClient, bakery: Bakery) -> None:
    hubs = page(client, "/hubs")
    assert "Corner Shop" in hubs and "Bakery" in hubs and "6 entries held here." in hubs
    html = page(client, f"/hubs/{bakery.feed[:16]}")
    assert "None yet" in html and "no checkpoint signed by Bakery" in html
    data = client.get(f"/hubs/{bakery.feed[:16]}/entries")
    assert data.status_code == 200
    assert f'filename="{bakery.feed}.entries"' in data.headers["Content-Disposition"]
    raws = split_sequence(data.get_data())
    assert raws == bakery.raws()
    verified = verify_entries(PublicKey.from_hex(bakery.feed), raws)
    assert verified.size == 6 and verified.root == bakery.root()
    cut = client.get(f"/hubs/{bakery.feed[:16]}/entries?size=2").get_data()
    assert split_sequence(cut) == bakery.raws()[:2]
    vkey = client.get(f"/hubs/{bakery.feed[:16]}/vkey").get_data(as_text=True).strip()
    assert Verifier.parse(vkey).public == PublicKey.from_hex(bakery.feed)
    assert vkey == bakery.vkey()  # named "Bakery" in the peer entry, as it names itself
    assert vkey in html
    own = page(client, f"/hubs/{page_feed(client)[:16]}")
    assert "This hub." in own and "/verify" in own


def test_api_serves_any_held_feed(client: FlaskClient, bakery: Bakery) -> None:
    r = client.get(f"/api/v1/entries?feed={bakery.feed}&limit=4")
    body = r.get_json()
    assert r.status_code == 200 and body["size"] == 6 and body["next_after"] == 3
    assert [e["index"] for e in body["entries"]] == [0, 1, 2, 3]
    assert {e["feed"] for e in body["entries"]} == {bakery.feed}
    assert base64.b64decode(body["entries"][3]["entry"]) == bakery.raws()[3]
    alerts = client.get(f"/api/v1/entries?feed={bakery.feed}&kind=alert").get_json()
    assert [e["index"] for e in alerts["entries"]] == [3, 4]
    own = client.get("/api/v1/entries?kind=alert").get_json()
    assert all(e["feed"] == page_feed(client) for e in own["entries"])


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/entries?feed=xyz", 400),
        ("/api/v1/entries?feed=" + "G" * 64, 400),
        ("/api/v1/entries?feed=" + "ab" * 32, 404),
        ("/api/v1/entries/0?feed=" + "ab" * 32, 404),
        ("/api/v1/entries/0?feed=%00", 400),
        ("/log?hub=nothex", 400),
        ("/log?hub=" + "ab" * 8, 404),
        ("/log/" + "ab" * 8 + "/0", 404),
        ("/log/zz/0", 404),
        ("/hubs/" + "ab" * 8, 404),
        ("/hubs/" + "ab" * 8 + "/entries", 404),
        ("/hubs/..%2F..%2Fetc/vkey", 404),
    ],
)
def test_hostile_feed_names(client: FlaskClient, bakery: Bakery, path: str, status: int) -> None:
    r = client.get(path)
    assert r.status_code == status, (path, r.status_code)
    if path.startswith("/api/"):
        assert r.get_json()["ok"] is False and r.get_json()["error"]


def test_hostile_indexes_and_sizes(client: FlaskClient, bakery: Bakery) -> None:
    short = bakery.feed[:16]
    for path in (
        f"/log/{short}/6",
        f"/log/{short}/99999999999",
        f"/api/v1/entries/6?feed={bakery.feed}",
        f"/log?hub={short}&page=2",
    ):
        assert client.get(path).status_code == 404, path
    for path in (
        f"/hubs/{short}/entries?size=7",
        f"/hubs/{short}/entries?size=-1",
        f"/api/v1/entries?feed={bakery.feed}&after=x",
    ):
        assert client.get(path).status_code == 400, path


def test_a_removed_hub_stops_counting(
    tmp_path: Path, data: Path, bakery: Bakery, arp: Path
) -> None:
    app = create_app({"DATA": str(data), "TESTING": True, "ARP_PATH": str(arp)})
    client = app.test_client()
    # later, the bakery raises an alert and checks dee out; it reaches the corner shop…
    bakery.write([("alert", {"text": "late alert"}, "dee"), ("checkout", {}, "dee")], at=NOW + 100)
    sync_from(data, bakery)
    assert "late alert" in section(page(client, "/"), "alerts-h")  # counted incrementally
    assert "dee" not in section(page(client, "/"), "duty-h")
    # … but the corner shop had stopped federating before (claimed time): removal counts
    at_corner(data, lambda core: run_op(core, "peer_remove", {"vkey": bakery.vkey()}), NOW + 50)
    for c in (client, fresh(data, arp)):  # the running worker folds again, like a fresh one
        home = page(c, "/")
        assert "late alert" not in section(home, "alerts-h")
        assert "gas smell" not in section(home, "alerts-h")  # not federated now
        assert "dee" in section(home, "duty-h")  # the checkout came after the removal
        log = page(c, "/log")
        assert "late alert" not in log
        held = page(c, f"/log?hub={bakery.feed[:16]}")
        assert "late alert" in held and "Not counted here" in held
        entry = page(c, f"/log/{bakery.feed[:16]}/6")
        assert "does not count here" in entry and "The signature is valid" in entry
        hub = page(c, f"/hubs/{bakery.feed[:16]}")
        assert "8 (6 count here)" in hub and "do not count here" in hub
        assert c.get(f"/api/v1/entries?feed={bakery.feed}").get_json()["size"] == 8


def fresh(data: Path, arp: Path) -> FlaskClient:
    return create_app({"DATA": str(data), "TESTING": True, "ARP_PATH": str(arp)}).test_client()


def test_new_replica_entries_reach_cached_pages(
    app: Flask, client: FlaskClient, data: Path, bakery: Bakery
) -> None:
    assert app.config.get("PAGE_CACHE") is not False
    before = page(client, "/alerts")
    assert "smoke at the bakery" not in before
    version = app.extensions["canopy_hub"].state().version()
    bakery.write([("alert", {"text": "smoke at the bakery"}, "dee")])
    sync_from(data, bakery)
    assert app.extensions["canopy_hub"].state().version() != version
    assert "smoke at the bakery" in page(client, "/alerts")
    assert "smoke at the bakery" in page(client, "/log")


def test_a_replica_claiming_an_absurd_time_is_shown_not_crashed(
    client: FlaskClient, data: Path, bakery: Bakery
) -> None:
    """A federated hub's key may sign any 64-bit time; the pages must still render."""
    core = bakery.core()
    try:
        assert core.log.identity is not None and core.log.own is not None
        key = load_signing_key(bakery.dd, core.log.identity)
        body = Body(BY_NAME["note"].code, 2**63 + 5, TimeSource.UNSYNCED, "dee", ("far future",))
        raw = sign_entry(key, 6, core.log.own.last_leaf, encode_body(body))
    finally:
        core.close()
    at_corner(data, lambda c: c.log.store_replica(bakery.feed, 6, [raw]))
    for path in ("/", "/log", f"/log/{bakery.feed[:16]}/6", f"/hubs/{bakery.feed[:16]}"):
        assert "far future" in page(client, path), path
    r = client.get(f"/api/v1/entries/6?feed={bakery.feed}")
    assert r.status_code == 200 and r.get_json()["timestamp"] == 2**63 + 5


def test_pages_stay_within_the_weight_budget(client: FlaskClient, bakery: Bakery) -> None:
    short = bakery.feed[:16]
    for path in ("/", "/log", "/alerts", "/hubs", f"/hubs/{short}", f"/log/{short}/3"):
        size = len(gzip.compress(page(client, path).encode(), 9))
        assert size <= 15 * 1024, (path, size)


def test_through_gunicorn(tmp_path: Path, data: Path, bakery: Bakery) -> None:
    with run_portal(data, tmp_path / "portal.log") as base:
        status, headers, body = get(base, f"/log?hub={bakery.feed[:16]}")
        assert status == 200 and b"gas smell on Oak Street" in body
        status, _, body = get(base, "/hubs")
        assert status == 200 and b"Bakery" in body
        status, headers, body = get(base, f"/api/v1/entries?feed={bakery.feed}")
        assert status == 200 and headers["content-type"].startswith("application/json")
        status, _, _ = get(base, "/api/v1/entries?feed=nothex")
        assert status == 400


def test_a_federated_hub_with_an_empty_replica_does_not_break_the_pages(
    tmp_path: Path, data: Path, client: FlaskClient
) -> None:
    """Federated, its replica file made (the witness looks at every peer's), no entry yet:
    every page still answers, and its alerts are simply none."""
    quiet = Bakery(tmp_path / "laundry")
    at_corner(data, lambda core: run_op(core, "peer_add", {"vkey": quiet.vkey(), "name": "L"}))
    at_corner(data, lambda core: core.log.replicas.file(quiet.feed))
    assert DataDir(data).feed_path(quiet.feed).exists()
    for path in ("/", "/alerts", "/log", "/hubs"):
        page(client, path)
