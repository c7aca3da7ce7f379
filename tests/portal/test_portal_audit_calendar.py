"""When the next public audit is due, on the portal and as a calendar event (RFC 5545), in
every portal language, following the audit cycle setting the portal was started with."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from support import run_canopy

from hub.local import DataDir
from hub.log import LogView
from portal.app import create_app


def _due(data: Path, days: int) -> str:
    first = LogView(DataDir(data)).entry(0).body.time
    return dt.datetime.fromtimestamp(first + days * 86_400, dt.UTC).strftime("%Y%m%d")


def test_next_audit_in_the_calendar(hub_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = create_app({"DATA": str(hub_dir), "TESTING": True}).test_client()
    empty = client.get("/audits/next.ics")
    assert empty.status_code == 404 and b"no public audit is due" in empty.data
    assert "next.ics" not in client.get("/audits").get_data(as_text=True)

    assert run_canopy("note", "First patrol tonight", data=hub_dir).code == 0
    client = create_app({"DATA": str(hub_dir), "TESTING": True}).test_client()
    page = client.get("/audits").get_data(as_text=True)
    assert "/audits/next.ics" in page and "Add it to your calendar" in page
    r = client.get("/audits/next.ics")
    assert r.status_code == 200 and r.content_type.startswith("text/calendar")
    ics = r.get_data(as_text=True)
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and ics.endswith("END:VCALENDAR\r\n")
    assert f"DTSTART;VALUE=DATE:{_due(hub_dir, 28)}\r\n" in ics  # the default cycle
    assert "SUMMARY:Public audit of the neighbourhood safety network\r\n" in ics
    es = client.get("/audits/next.ics?lang=es").get_data(as_text=True)
    assert "SUMMARY:Auditoría pública de la red vecinal de seguridad" in es
    assert "Añádela a tu calendario" in client.get("/audits?lang=es").get_data(as_text=True)

    # `canopy portal --audit-cycle 14` hands the setting to its workers this way
    monkeypatch.setenv("CANOPY_AUDIT_CYCLE", "14")
    client = create_app({"DATA": str(hub_dir), "TESTING": True}).test_client()
    assert f"DTSTART;VALUE=DATE:{_due(hub_dir, 14)}" in client.get("/audits/next.ics").text
    monkeypatch.setenv("CANOPY_AUDIT_CYCLE", "3")  # out of range: the default, never a 500
    client = create_app({"DATA": str(hub_dir), "TESTING": True}).test_client()
    assert f"DTSTART;VALUE=DATE:{_due(hub_dir, 28)}" in client.get("/audits/next.ics").text
