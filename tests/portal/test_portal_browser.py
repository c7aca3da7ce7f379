"""A phone's captive mini-browser: headless Chromium, no JavaScript, 390x844, real servers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from portal_helpers import run_portal
from support import DaemonFactory

from hub.local import DataDir
from hub.log import LogView

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian chromium is needed for the browser tests"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def test_portal_pops_enter_works_and_the_compact_is_signed(
    browser: Browser, data: Path, tmp_path: Path, running_daemon: DaemonFactory
) -> None:
    with (
        running_daemon(data),
        run_portal(data, tmp_path / "portal.log") as base,
    ):
        context = browser.new_context(
            java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="en-GB"
        )
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))

        # the OS probe lands on the portal
        page.goto(f"{base}/generate_204")
        assert page.url == f"{base}/"
        assert page.locator("h1").inner_text() == "Community Safety Zone"

        # Enter: from now on this client's probe answers "online"
        page.get_by_role("button", name="Enter").click()
        assert page.url == f"{base}/?welcome=1"
        assert page.get_by_text("You are connected").is_visible()
        # (a browser does not navigate to a 204, so ask as the OS would, from the same client)
        probe = context.request.get(f"{base}/generate_204", max_redirects=0)
        assert probe.status == 204 and probe.body() == b""
        apple = context.request.get(f"{base}/hotspot-detect.html", max_redirects=0)
        assert apple.status == 200 and apple.text().endswith("<BODY>Success</BODY></HTML>")

        # sign the compact
        page.goto(f"{base}/compact")
        before = int(page.locator(".count strong").inner_text())
        page.get_by_label("Your name or initials (optional)").fill("Lu")
        page.get_by_role("button", name="Sign the compact").click()
        assert re.search(r"/compact\?signed=\d+$", page.url)
        assert int(page.locator(".count strong").inner_text()) == before + 1
        signed = int(page.url.rsplit("=", 1)[1])
        assert page.get_by_text(f"Your signature is entry {signed} of the log").is_visible()

        # the phone layout has no horizontal scrolling
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390

        # and the Spanish switch is a plain link
        page.get_by_role("link", name="Español").click()
        assert page.locator("html").get_attribute("lang") == "es"
        assert page.locator("h1").inner_text() == "El pacto comunitario de seguridad"
        context.close()

    entry = LogView(DataDir(data)).entry(signed)
    assert entry.body.kind_name == "compact" and entry.body.named_fields() == {"name": "Lu"}
    assert requested and all(u.startswith(base) for u in requested), requested
