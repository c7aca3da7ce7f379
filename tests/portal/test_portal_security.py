"""Security: headers, CSRF, rate limits, hostile requests, and writes that pause cleanly."""

from __future__ import annotations

import time
import urllib.parse
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from portal_helpers import csrf_from

from portal.app import create_app
from portal.web import CSP, check_token, make_token

IP = {"REMOTE_ADDR": "10.0.0.7"}


def token(client: FlaskClient, path: str = "/compact", env: dict[str, str] = IP) -> str:
    return csrf_from(client.get(path, environ_base=env).get_data(as_text=True))


def test_security_headers_on_pages_probes_errors_and_static(client: FlaskClient) -> None:
    for path in ["/", "/log/0", "/generate_204", "/nope", "/log?kind=zzz", "/static/canopy.css",
                 "/api/v1/entries", "/healthz"]:  # fmt: skip
        r = client.get(path)
        r.close()
        assert r.headers["Content-Security-Policy"] == CSP, path
        assert "script-src 'none'" in CSP and "frame-ancestors 'none'" in CSP
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert "Set-Cookie" not in r.headers
    with client.get("/static/canopy.css") as r:
        assert "max-age" in r.headers["Cache-Control"]
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_forms_need_a_valid_token_bound_to_the_client(client: FlaskClient) -> None:
    good = token(client)
    assert client.post("/compact", data={"name": "A"}, environ_base=IP).status_code == 400
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert client.post("/compact", data={"csrf": bad}, environ_base=IP).status_code == 400
    other = {"REMOTE_ADDR": "10.0.0.99"}
    r = client.post("/compact", data={"csrf": good}, environ_base=other)
    assert r.status_code == 400 and "This form has expired" in r.get_data(as_text=True)
    assert client.post("/accept", data={"csrf": good}, environ_base=other).status_code == 400
    # the right client with its token gets past the guard (to the paused daemon)
    assert client.post("/compact", data={"csrf": good}, environ_base=IP).status_code == 503


def test_tokens_expire_and_resist_tampering() -> None:
    secret = b"k" * 32
    now = time.time()
    t = make_token(secret, "10.0.0.7", now)
    assert check_token(secret, "10.0.0.7", t, now + 60)
    assert not check_token(secret, "10.0.0.7", t, now + 3 * 3600)
    assert not check_token(secret, "10.0.0.8", t, now)
    assert not check_token(b"x" * 32, "10.0.0.7", t, now)
    future = make_token(secret, "10.0.0.7", now + 3600)
    assert not check_token(secret, "10.0.0.7", future, now)
    for junk in ["", ".", "zz.zz", "1.2.3", "ffffffffffffffffffff.00", "é" * 10, "a" * 5000]:
        assert not check_token(secret, "10.0.0.7", junk, now)


def test_posts_are_rate_limited_per_client(data: Path, arp: Path) -> None:
    app = create_app({"DATA": str(data), "ARP_PATH": str(arp), "RATE_LIMIT": 3})
    c = app.test_client()
    t = token(c, "/")
    codes = [c.post("/accept", data={"csrf": t}, environ_base=IP).status_code for _ in range(5)]
    assert codes == [303, 303, 303, 429, 429]
    other = {"REMOTE_ADDR": "10.0.0.8"}
    assert (
        c.post("/accept", data={"csrf": token(c, "/", other)}, environ_base=other).status_code
        == 303
    )


def test_writes_paused_without_the_daemon(client: FlaskClient, data: Path) -> None:
    html = client.get("/compact", environ_base=IP).get_data(as_text=True)
    assert "Writing is paused" in html and "disabled" in html
    size = len(next(iter((data / "feeds").glob("*.log"))).read_bytes())
    r = client.post("/compact", data={"csrf": token(client), "name": "Mo"}, environ_base=IP)
    assert r.status_code == 503
    body = r.get_data(as_text=True)
    assert "Writing is paused" in body and 'value="Mo"' in body  # nothing silently dropped
    assert len(next(iter((data / "feeds").glob("*.log"))).read_bytes()) == size
    html = client.get("/steward/checkin").get_data(as_text=True)
    assert "Writing is paused" in html
    r = client.post(
        "/steward/checkin",
        data={"csrf": token(client, "/steward/checkin"), "handle": "ana", "step": "1"},
        environ_base=IP,
    )
    assert r.status_code == 503 and "Writing is paused" in r.get_data(as_text=True)
    html = client.get("/verify").get_data(as_text=True)
    assert "cannot sign a fresh checkpoint" in html


def test_steward_form_rejects_bad_handles_and_codes(client: FlaskClient) -> None:
    t = token(client, "/steward/checkin")
    r = client.post(
        "/steward/checkin", data={"csrf": t, "handle": "<b>x</b>", "step": "1"}, environ_base=IP
    )
    assert r.status_code == 400 and "A handle is 1 to 32" in r.get_data(as_text=True)
    assert "<b>x</b>" not in r.get_data(as_text=True)
    r = client.post(
        "/steward/checkin",
        data={"csrf": t, "handle": "ana", "code": "12", "step": "2"},
        environ_base=IP,
    )
    assert r.status_code == 400 and "The code is 4 to 12" in r.get_data(as_text=True)


def test_compact_name_is_validated_before_the_daemon(client: FlaskClient) -> None:
    for name in ["x" * 41, "<script>", "a\u202eb"]:
        r = client.post("/compact", data={"csrf": token(client), "name": name}, environ_base=IP)
        assert r.status_code == 400
        assert "<script>" not in r.get_data(as_text=True).split("<main")[1].split("</form>")[0]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "codes"),
    [
        ("post", "/compact", {"data": "a=" + "x" * 40000}, {413}),
        (
            "post",
            "/accept",
            {
                "data": b"\xff\xfe\x00bad",
                "content_type": "application/x-www-form-urlencoded; charset=utf-8",
            },
            {400},
        ),
        ("post", "/compact", {"data": "csrf=%ff%fe&name=%c0%af"}, {400}),
        ("get", "/log?kind=%ff%fe", {}, {400}),
        ("get", "/log?day=2026-13-45", {}, {400}),
        ("get", "/log?page=-1", {}, {400}),
        ("get", "/log?n=abc&page=1e3", {}, {400}),
        ("get", "/log?page=99999999999999999999", {}, {400}),
        ("get", "/log/99999999999999999999999", {}, {404}),
        ("get", "/log/-1", {}, {404}),
        ("get", "/static/../portal/secret", {}, {404}),
        ("get", "/static/%2e%2e/%2e%2e/hub.key", {}, {404}),
        ("get", "/verify/../../hub.key", {}, {404}),
        ("get", "/verify/" + "0" * 64 + ".entries", {}, {404}),
        ("get", "/verify/x.entries?size=abc", {}, {404}),
        ("get", "/api/v1/entries?limit=" + "9" * 5000, {}, {400}),
        ("get", "/log/1?index=abc&_scheme=javascript&_external=1", {}, {200}),
        ("get", "/nope?_scheme=x&index=x", {}, {404}),
        ("delete", "/", {}, {405}),
        ("put", "/compact", {}, {405}),
        ("post", "/log", {}, {405}),
    ],
)
def test_hostile_requests_get_a_4xx(
    client: FlaskClient, method: str, path: str, kwargs: dict[str, object], codes: set[int]
) -> None:
    r = getattr(client, method)(path, environ_base=IP, **kwargs)
    assert r.status_code in codes, (path, r.status_code)


@pytest.mark.parametrize(
    "host", ["evil.example", "captive.apple.com:80", "[::1]", "a" * 300, "x y", "<script>", ""]
)
def test_any_host_name_is_answered(client: FlaskClient, host: str) -> None:
    r = client.get("/", headers={"Host": host})
    assert r.status_code in (200, 400)
    assert "<script>" not in r.get_data(as_text=True)
    assert client.get("/generate_204", headers={"Host": host}).status_code in (302, 400)


def test_a_missing_hub_is_a_clear_503_not_a_500(tmp_path: Path, arp: Path) -> None:
    app: Flask = create_app({"DATA": str(tmp_path / "nothing"), "ARP_PATH": str(arp)})
    c = app.test_client()
    for path in ["/", "/log", "/compact"]:
        r = c.get(path)
        assert r.status_code == 503 and "cannot be read" in r.get_data(as_text=True)
    assert c.get("/healthz").status_code == 503


def test_random_hostile_queries_and_forms_never_get_a_500(data: Path, arp: Path) -> None:
    import random

    app = create_app({"DATA": str(data), "ARP_PATH": str(arp), "RATE_LIMIT": 10**9})
    c = app.test_client()
    feed = c.get("/healthz").get_json()["feed"]
    paths = ["/", "/log", "/log/0", "/log/5", "/alerts", "/charter", "/protocols", "/partners",
             "/compact", "/verify", "/steward/checkin", "/healthz", "/api/v1/entries",
             "/api/v1/entries/1", "/generate_204", "/accept", "/redirect",
             f"/verify/{feed}.entries", f"/verify/{feed}.vkey", "/static/canopy.css"]  # fmt: skip
    keys = ["lang", "kind", "day", "page", "n", "after", "limit", "size", "signed", "welcome",
            "_scheme", "_external", "index", "csrf", "name", "handle", "code", "step"]  # fmt: skip
    values = ["", "es", "xx", "-1", "0", "1", "9" * 25, "%ff", "%00", "<script>", "note",
              "2026-11-25", "1e3", "a" * 300, "%c0%af", "2", "\uff11", "²", "--5",
              "-0"]  # fmt: skip
    languages = ["es", "en", "*", "zz;q=x", "", "es-MX,es;q=0.9", "\xff"]
    rnd = random.Random(7)
    for _ in range(600):
        path = rnd.choice(paths)
        query = "&".join(
            f"{rnd.choice(keys)}={rnd.choice(values)}" for _ in range(rnd.randint(0, 4))
        )
        method = rnd.choice(["get", "get", "post", "head"])
        form = {rnd.choice(keys): rnd.choice(values) for _ in range(3)}
        r = getattr(c, method)(
            f"{path}?{query}",
            environ_base=IP,
            headers={"Accept-Language": rnd.choice(languages)},
            **({"data": form} if method == "post" else {}),
        )
        r.close()
        assert r.status_code < 500, (method, path, query, form, r.status_code)


@pytest.mark.parametrize("raw", ["²", "--5", "١٢", "1e3", "0x10", " 7"])
def test_numbers_must_be_ascii_decimal(client: FlaskClient, raw: str) -> None:
    feed = client.get("/healthz").get_json()["feed"]
    q = urllib.parse.quote(raw)
    for url in (f"/api/v1/entries?after={q}", f"/api/v1/entries?limit={q}", f"/log?page={q}",
                f"/verify/{feed}.entries?size={q}"):  # fmt: skip
        assert client.get(url).status_code == 400, url
    assert client.get(f"/compact?signed={q}").status_code == 200  # just no "thank you"


@pytest.mark.parametrize("name", ["Ana\u200b", "\ufeffAna", "Ana\u202e", "A\U000e0041na"])
def test_compact_name_with_invisible_characters_is_refused(client: FlaskClient, name: str) -> None:
    r = client.post("/compact", data={"csrf": token(client), "name": name}, environ_base=IP)
    assert r.status_code == 400  # refused here, before the daemon (which is down) is asked


def test_unknown_query_strings_neither_bypass_nor_grow_the_page_cache(app: Flask) -> None:
    client = app.test_client()
    cache = app.extensions["canopy_pages"]
    first = client.get("/log", environ_base=IP).get_data()
    size = len(cache._pages)
    for i in range(300):
        r = client.get(f"/log?n={i}&utm_source=x{i}", environ_base=IP)
        assert r.status_code == 200 and r.get_data() == first
    assert len(cache._pages) == size  # served from the one cached page
    # the arguments a page reads still make their own pages
    assert client.get("/log?kind=note", environ_base=IP).get_data() != first
    assert client.get("/log?n=1&kind=note", environ_base=IP).status_code == 200
    assert len(cache._pages) == size + 1
