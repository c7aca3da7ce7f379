"""An audit page in headless Chromium: the charts render without JavaScript, have names for
screen readers, the page fits one A4 sheet when printed; and a retracted entry is struck
through on the log."""

from __future__ import annotations

import re
from pathlib import Path

from audit_helpers import neighbourhood
from playwright.sync_api import Browser
from portal_helpers import run_portal
from support import run_canopy
from test_portal_browser import browser  # noqa: F401  (the module's Chromium fixture)


def test_audit_page_in_chromium(browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    data = neighbourhood(tmp_path / "hood", hubs=2, days=21, per_day=40)
    r = run_canopy("audit", "--from", "2025-03-03", "--to", "2025-03-24", "--publish", data=data)
    assert r.code == 0, r.err
    index = int(r.out.rsplit(" ", 1)[1])
    shots = Path(__file__).resolve().parents[2] / ".pytest_cache" / "screens"
    shots.mkdir(parents=True, exist_ok=True)
    with run_portal(data, tmp_path / "portal.log") as base:
        context = browser.new_context(
            java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="en-GB"
        )
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda req: requested.append(req.url))
        page.goto(f"{base}/audits")
        assert page.get_by_text("The next public audit is due on").is_visible()
        page.get_by_role("link", name=re.compile("Audit of 2025-03-03")).click()
        assert page.url == f"{base}/audits/{index}"
        assert page.get_by_text("the figures match the digest signed").is_visible()
        for name in ("Patrol shifts per week", "Incidents by hour of day (UTC)"):
            chart = page.get_by_role("img", name=name)
            assert chart.is_visible()
            box = chart.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 100
        assert page.get_by_role(
            "heading", name="What the network got wrong, and changed"
        ).is_visible()
        page.locator("#chart-incidents summary").click()
        assert page.locator("#chart-incidents table tbody tr").count() == 24
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(shots / "audit-phone.png"), full_page=True)

        wide = context.new_page()
        wide.set_viewport_size({"width": 1000, "height": 1400})
        wide.goto(f"{base}/audits/{index}")
        wide.screenshot(path=str(shots / "audit-desktop.png"), full_page=True)
        wide.emulate_media(media="print")
        wide.screenshot(path=str(shots / "audit-print.png"), full_page=True)
        pdf = wide.pdf(format="A4", print_background=True)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert pages == 1, f"the poster takes {pages} A4 pages"
        context.close()
    assert requested and all(u.startswith(base) for u in requested), requested


def test_retracted_entry_is_struck_through(tmp_path: Path) -> None:
    from portal.app import create_app

    data = tmp_path / "hub"
    run_canopy("init", "--name", "Corner Shop", data=data)
    run_canopy("note", "Suspicious van on Elm St", data=data)
    run_canopy("note", "All quiet", data=data)
    run_canopy("correct", "1", "It was Oak St", data=data)
    assert run_canopy("correct", "0", "the van was a delivery", "--retract", data=data).code == 0
    client = create_app({"DATA": str(data), "TESTING": True}).test_client()
    html = client.get("/log").get_data(as_text=True)
    lines = {
        int(m.group(1)): m.group(0)
        for m in re.finditer(
            r'<li class="entry k-note">\s*<a class="idx" href="/log/(\d+)">.*?</li>\n?</ul>',
            html,
            re.S,
        )
    }
    retracted, corrected = lines[0], lines[1]
    assert "<del>" in retracted and "Suspicious van on Elm St" in retracted
    assert "Retracted by" in retracted and "the van was a delivery" in retracted
    assert ">retracted</strong>" in retracted
    assert ">corrected</strong>" in corrected and "<del>" not in corrected
    entry = client.get("/log/0").get_data(as_text=True)
    assert "Retracted by entry #3: the van was a delivery" in entry
    assert "The signature is valid" in entry  # the original stays and still verifies
