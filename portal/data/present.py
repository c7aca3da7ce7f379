"""How log entries read on a page: kind labels, times, authors and one-line summaries."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from flask import Flask
from flask_babel import get_locale, lazy_gettext

from hub.errors import HubError
from hub.log import LoggedEntry, TimeSource

KIND_LABELS: dict[str, Any] = {
    "note": lazy_gettext("Note"),
    "checkin": lazy_gettext("Check-in"),
    "checkout": lazy_gettext("Check-out"),
    "incident": lazy_gettext("Incident"),
    "alert": lazy_gettext("Alert"),
    "ack": lazy_gettext("Acknowledgement"),
    "cancel": lazy_gettext("Alert cancelled"),
    "enrol": lazy_gettext("Steward enrolled"),
    "enrol-sealed": lazy_gettext("Steward enrolled"),
    "revoke": lazy_gettext("Steward revoked"),
    "charter": lazy_gettext("Charter"),
    "protocol": lazy_gettext("Protocol"),
    "vow": lazy_gettext("Partner vow"),
    "compact": lazy_gettext("Compact signature"),
    "correction": lazy_gettext("Correction"),
    "mandate": lazy_gettext("Mandate"),
    "overdue": lazy_gettext("Overdue"),
    "audit": lazy_gettext("Public audit"),
    "report": lazy_gettext("Incident"),
    "sealed-note": lazy_gettext("Sealed note"),
    "retention": lazy_gettext("Retention"),
}
# fields that point at another entry of the same feed
LINK_FIELDS = {"alert", "target"}
# long texts shown on their own pages, not in log lines
LONG_KINDS = {"charter", "protocol", "vow"}


def kind_label(name: str) -> str:
    return str(KIND_LABELS.get(name, name))


def _strftime(ts: int, fmt: str) -> str:
    try:
        return dt.datetime.fromtimestamp(ts, dt.UTC).strftime(fmt)
    except (OverflowError, OSError, ValueError):  # another hub may claim any 64-bit time
        return str(ts)


def when(ts: int) -> str:
    return _strftime(ts, "%Y-%m-%d %H:%M UTC")


def day_of(ts: int) -> str:
    return _strftime(ts, "%Y-%m-%d")


def author(e: LoggedEntry) -> str:
    return e.body.author or str(lazy_gettext("the hub"))


def synced(e: LoggedEntry) -> bool:
    return e.body.time_source != TimeSource.UNSYNCED


def fields(e: LoggedEntry) -> list[tuple[str, Any, bool]]:
    """``(name, value, is_link)`` for each field worth showing in a log line."""
    from hub.privacy import load_policy, withheld
    from portal.data.hubdata import get_hub

    out: list[tuple[str, Any, bool]] = []
    hide = withheld(e.body, time.time(), load_policy(get_hub().datadir))
    sealed = e.body.kind_name in ("report", "sealed-note")
    if sealed and hide:
        out.append(("details", lazy_gettext("sealed"), False))
    for name, value in e.body.named_fields().items():
        if value is None or name in hide:
            continue
        if e.body.kind_name in LONG_KINDS and name == "text":
            text = str(value)
            value = text if len(text) <= 140 else text[:140] + "…"
        if isinstance(value, bytes):
            value = value.hex()
        elif name == "until" and isinstance(value, int) and 0 <= value < 2**40:
            value = when(value)
        out.append((name, value, name in LINK_FIELDS and isinstance(value, int)))
    return out


def lang() -> str:
    return str(get_locale() or "en")


def hub_name() -> str:
    """The shop's hub name, or a neutral one when the data directory cannot be read."""
    from portal.data.hubdata import get_hub

    try:
        return get_hub().identity.name
    except HubError:
        return "Canopy"


def own_feed() -> str:
    """This hub's feed (hex): its entries' pages are ``/log/<index>``, others' carry a feed."""
    from portal.data.hubdata import get_hub

    return get_hub().identity.feed.hex()


def recorded_by(e: LoggedEntry) -> str:
    """Which hub recorded an entry; empty while this hub federates with nobody."""
    from portal.data.hubdata import get_hub

    st = get_hub().folded()
    return st.hub.hub_name(e.feed) if st.hub.peers else ""


def span(seconds: int | None) -> str:
    """A duration as people say it; ``None`` is "never"."""
    if seconds is None:
        return str(lazy_gettext("never"))
    if seconds < 120:
        return str(lazy_gettext("%(n)s s", n=seconds))
    if seconds < 7200:
        return str(lazy_gettext("%(n)s min", n=seconds // 60))
    return str(lazy_gettext("%(n)s h", n=f"{seconds / 3600:.1f}"))


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(when=when, kind_label=kind_label, day=day_of, span=span)
    app.jinja_env.globals.update(
        author=author,
        synced=synced,
        fields=fields,
        lang=lang,
        hub_name=hub_name,
        own_feed=own_feed,
        recorded_by=recorded_by,
    )
