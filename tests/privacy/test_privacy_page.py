"""`/privacy` in every portal language, from the recorded policy; the log pages show a
report's public part and "sealed", never the details or a delayed text before its time."""

from __future__ import annotations

from pathlib import Path

import pytest
from privacy_helpers import ReviewedHub

from hub.log import KINDS, LoggedEntry, make_body
from hub.privacy import DEFAULT_POLICY, public_json, withheld
from portal.app import create_app
from portal.web.i18n import languages

WORDS = {
    "en": ("Privacy", "What is sealed", "90 days"),
    "es": ("Privacidad", "Qué está sellado", "90 días"),
}


@pytest.fixture
def client(reviewed: ReviewedHub, tmp_path: Path):  # type: ignore[no-untyped-def]
    core = reviewed.core()
    try:
        core.log.append("checkin", {"minutes": 30, "text": "north loop"}, author="ana")
        details = {"category": "medical", "place": "Elm St", "details": "asleep in a doorway"}
        core.log.append("report", details, author="ana")
    finally:
        core.close()
    arp = tmp_path / "arp"
    arp.write_text("IP address HW type Flags HW address Mask Device\n")
    app = create_app({"DATA": str(reviewed.data), "TESTING": True, "ARP_PATH": str(arp)})
    return app.test_client()


def test_privacy_page_in_every_language(client) -> None:  # type: ignore[no-untyped-def]
    assert set(languages()) >= {"en", "es"}
    for lang in languages():
        r = client.get(f"/privacy?lang={lang}")
        assert r.status_code == 200
        html = r.get_data(as_text=True)
        for word in WORDS.get(lang, WORDS["en"]):
            assert word in html, (lang, word)
        assert "<script" not in html


def test_log_pages_show_the_public_part_only(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/log", "/log/1", "/log/0", "/"):
        html = client.get(path).get_data(as_text=True)
        assert "asleep" not in html and "north loop" not in html, path
    report = client.get("/log/1").get_data(as_text=True)
    assert "medical" in report and "Elm St" in report and "sealed" in report
    api = client.get("/api/v1/entries/0").get_json()
    assert api["withheld"]["why"] == "later" and "text" not in api and "entry" not in api


def test_an_entry_kind_with_no_policy_shows_no_fields() -> None:
    body = make_body("note", {"text": "x"}, time=1)
    unknown = 63  # a kind a newer hub may write, not in this hub's table
    assert unknown not in {k.code for k in KINDS}
    newer = type(body)(unknown, 1, body.time_source, "ana", ("a newer hub's text", b"\x01"))
    assert withheld(newer, 10**12, DEFAULT_POLICY) == ("extra_0", "extra_1")
    shown = public_json(LoggedEntry("00" * 32, 0, b"", newer), 10**12, DEFAULT_POLICY)
    assert shown["kind"] == "kind-63" and "extra_0" not in shown and "extra_1" not in shown
