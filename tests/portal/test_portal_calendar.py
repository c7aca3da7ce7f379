"""The rotation calendar, its iCalendar feed and the charter's versions: read from a real
signed log written by the daemon's ops (proposals) and votes as the desk signs them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar

from hub.daemon import HubCore
from hub.daemon.ops import run_op
from hub.local import DataDir, create_identity
from portal.app import create_app

DAY = 86_400


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def vote(core: HubCore, n: int, *voters: str) -> None:
    for h in voters:
        core.log.append("vote", {"proposal": n, "yes": 1}, author=h)
    run_op(core, "mandate_settle", {})


def seed_rotation(root: Path) -> dict[str, int]:
    dd = DataDir(root)
    create_identity(dd, "Corner Shop")
    clock = Clock(time.time() - 200 * DAY)
    core = HubCore(dd, clock)
    core.open()
    out: dict[str, int] = {}
    try:
        for h in ("ana", "bo", "cy"):
            core.log.append(
                "enrol", {"handle": h, "role": "steward", "until": int(clock.t) + 400 * DAY}
            )
        core.log.append("charter", {"text": "# Charter\n\n1. Rotate.\n"})
        out["past"] = run_op(core, "mandate_propose", {"handle": "ana", "term": "30d"})["vote"]
        vote(core, out["past"], "ana", "bo")
        clock.t += 150 * DAY
        out["now"] = run_op(
            core, "mandate_propose", {"handle": "bo", "role": "facilitator", "term": "90d"}
        )["vote"]
        vote(core, out["now"], "ana", "cy")
        text = "# Charter\n\n1. Rotate.\n2. Revisit <b>yearly</b>.\n"
        out["charter"] = run_op(core, "mandate_propose", {"what": "charter", "text": text})["vote"]
        vote(core, out["charter"], "ana", "bo")
        clock.t += 48 * DAY
        out["open"] = run_op(
            core, "mandate_propose", {"handle": "cy", "term": "60d", "closes": "5d"}
        )["vote"]
        core.log.append("vote", {"proposal": out["open"], "yes": 1}, author="bo")
    finally:
        core.close()
    return out


@pytest.fixture
def rotation(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    root = tmp_path / "hub"
    return root, seed_rotation(root)


@pytest.fixture
def rclient(rotation: tuple[Path, dict[str, int]], arp: Path) -> FlaskClient:
    app: Flask = create_app({"DATA": str(rotation[0]), "TESTING": True, "ARP_PATH": str(arp)})
    return app.test_client()


def test_calendar_page_in_every_language(
    rclient: FlaskClient, rotation: tuple[Path, dict[str, int]]
) -> None:
    n = rotation[1]
    html = rclient.get("/calendar").get_data(as_text=True)
    assert "Rotation calendar" in html
    assert "facilitator" in html and "bo" in html and f"vote #{n['now']}" in html
    assert f"#{n['open']}" in html and "1 yes, 0 no of 3 members" in html  # the open tally
    assert "coordinator ana" in html  # a past holder
    assert '<td>coordinator</td><td colspan="4">vacant: nobody holds it now' in html
    assert "<script" not in html
    es = rclient.get("/calendar?lang=es").get_data(as_text=True)
    assert "Calendario de rotación" in es and "Votaciones abiertas" in es
    assert "Open votes" not in es and "vacante: nadie lo ocupa ahora" in es


def test_calendar_ics_parses_back(
    rclient: FlaskClient, rotation: tuple[Path, dict[str, int]]
) -> None:
    n = rotation[1]
    r = rclient.get("/calendar.ics")
    assert r.status_code == 200 and r.content_type.startswith("text/calendar")
    cal = Calendar.from_ical(r.get_data())
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {
        "ana: coordinator",
        "bo: facilitator",
        f"Vote #{n['open']}: cy as coordinator",
    }
    term = events["bo: facilitator"]
    length = term.decoded("dtend") - term.decoded("dtstart")
    assert length.days == 90
    assert all(str(e["uid"]).endswith("@canopy") for e in events.values())


def test_calendar_json_says_what_the_page_says(
    rclient: FlaskClient, rotation: tuple[Path, dict[str, int]]
) -> None:
    n = rotation[1]
    r = rclient.get("/api/v1/calendar")
    assert r.status_code == 200 and r.is_json
    cal = r.get_json()
    [held] = cal["holders"]
    assert (held["role"], held["handle"], held["vote"]) == ("facilitator", "bo", n["now"])
    assert held["until"] - held["since"] == 90 * DAY
    assert held["days_left"] == (held["until"] - cal["now"]) // DAY
    assert cal["vacant"] == ["coordinator"]
    [v] = cal["votes"]
    assert (v["vote"], v["handle"], v["role"], v["yes"], v["no"]) == (
        n["open"],
        "cy",
        "coordinator",
        1,
        0,
    )
    assert v["members"] == 3 and "voters" not in v  # a count, as on the page: not who
    assert v["hub"] is None  # this hub opened it
    assert v["term"] == 60 * DAY and v["open"] is True and v["closes"] > cal["now"]
    assert [(t["role"], t["handle"], t["vote"]) for t in cal["past"]] == [
        ("coordinator", "ana", n["past"])
    ]
    # read-only: anything but GET is refused, and stray arguments change nothing
    assert rclient.post("/api/v1/calendar").status_code == 405
    assert rclient.get("/api/v1/calendar?at=0&lang=xx").get_json()["holders"] == cal["holders"]


def test_charter_ratified_versions_and_diff(
    rclient: FlaskClient, rotation: tuple[Path, dict[str, int]]
) -> None:
    html = rclient.get("/charter").get_data(as_text=True)
    assert "Last ratified by an assembly vote" in html
    assert "over a year" not in html
    page = rclient.get("/charter/versions").get_data(as_text=True)
    assert page.count('name="a"') == 2
    first, second = sorted(int(x.split('"')[0]) for x in page.split('name="a" value="')[1:])
    diff = rclient.get(f"/charter/versions?a={first}&b={second}").get_data(as_text=True)
    assert "<ins>+2. Revisit &lt;b&gt;yearly&lt;/b&gt;.</ins>" in diff  # escaped, server-side
    same = rclient.get(f"/charter/versions?a={first}&b={first}").get_data(as_text=True)
    assert "The two versions are the same." in same
    for bad in ("a=1&b=2", "a=-1&b=3", "a=x&b=y", f"a={first}&b=99999999999999999999"):
        assert rclient.get(f"/charter/versions?{bad}").status_code == 404, bad


def test_a_charter_never_ratified_is_flagged(client: FlaskClient) -> None:
    html = client.get("/charter").get_data(as_text=True)  # the seeded hub: set, never voted
    assert "Not ratified by an assembly vote for over a year" in html
    es = client.get("/charter/versions?lang=es").get_data(as_text=True)
    assert "Nunca ratificada" in es


def test_calendar_in_a_phone_browser_without_javascript(
    rotation: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright
    from portal_helpers import run_portal

    chromium = "/usr/bin/chromium"
    assert Path(chromium).exists(), "Debian chromium is needed for the browser tests"
    root, n = rotation
    with run_portal(root, tmp_path / "portal.log") as base, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            context = browser.new_context(
                java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="es-ES"
            )
            page = context.new_page()
            page.goto(base + "/")
            page.get_by_role("link", name="Calendario").click()
            assert page.get_by_role("heading", name="Calendario de rotación").is_visible()
            row = page.locator("table.calendar tbody tr", has_text="facilitator")
            assert "bo" in row.inner_text() and f"n.º {n['now']}" in row.inner_text()
            wide = page.evaluate("document.documentElement.scrollWidth")  # runs in the page
            assert wide <= 390, "the calendar must fit a phone"
            page.get_by_role("link", name="Carta").first.click()
            page.get_by_role("link", name="Versiones anteriores y cambios").click()
            page.locator('input[name="a"]').last.check()
            page.locator('input[name="b"]').first.check()
            page.get_by_role("button", name="Mostrar los cambios").click()
            assert "Revisit <b>yearly</b>" in page.locator("pre.diff ins").inner_text()
        finally:
            browser.close()
