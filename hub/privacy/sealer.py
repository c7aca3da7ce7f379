"""Sealing on the write path: the hook the hub's log calls before it builds an entry.

A writer (radio desk, CLI, portal) asks for a ``report`` with ``category``, ``place`` and
``details`` (plain text), or a ``note`` whose policy is ``sealed``. :meth:`Sealer.prepare`
checks the public part against the policy, seals the details to the review key under a
fresh per-entry key (:mod:`crypto.seal`), stores that key (sealed) outside the log
(:class:`hub.privacy.keystore.KeyStore`) and hands back the fields the entry carries:
``sid`` and ``box``, never the plain text. The hub keeps no plaintext.
"""

from __future__ import annotations

from crypto.seal import new_sid, seal
from hub.errors import EntryError
from hub.local import DataDir
from hub.log import FieldValue, text_problem
from hub.privacy.keystore import KeyStore
from hub.privacy.pins import PinKeyring
from hub.privacy.policy import Policy, load_policy

MAX_DETAILS_BYTES = 1000
MAX_PLACE_BYTES = 48
MAX_PLACE_WORDS = 4


def public_part_problem(place: str) -> str | None:
    """Why a place looks like details put in the public part, or None: long, many words,
    or a number that could be a house (a street or a named area is coarse enough)."""
    if len(place.encode("utf-8")) > MAX_PLACE_BYTES:
        return f"the place is public: at most {MAX_PLACE_BYTES} bytes"
    if len(place.split()) > MAX_PLACE_WORDS:
        return f"the place is public: at most {MAX_PLACE_WORDS} words"
    if any(ch.isdigit() for ch in place):
        return "the place is public: a street or area, no house numbers"
    return None


def check_report(policy: Policy, category: str, place: str | None) -> None:
    """Refuse a public part the policy does not allow (:class:`EntryError` says why)."""
    if category not in policy.categories:
        raise EntryError(
            f"unknown category {category[:24]!r}; one of: " + ", ".join(policy.categories)
        )
    if place:
        why = public_part_problem(place)
        if why is not None:
            raise EntryError(why + "; put details after ':'")


class Sealer:
    """The log's ``prepare`` hook for one data directory."""

    def __init__(self, datadir: DataDir) -> None:
        self.datadir = datadir
        self.keys = KeyStore(datadir)
        self.pins = PinKeyring(datadir)

    def prepare(
        self, kind: str, fields: dict[str, FieldValue], now: int
    ) -> tuple[str, dict[str, FieldValue]]:
        policy = load_policy(self.datadir)
        if kind == "enrol":
            return self.pins.seal_enrol(fields)
        if kind == "note" and policy.mode("note") == "sealed":
            kind, fields = "sealed-note", {"details": fields.get("text")}
        elif kind == "incident" and policy.mode("incident") == "sealed":
            kind, fields = "report", {"category": "other", "details": fields.get("text")}
        if kind == "report":
            category, place = fields.get("category"), fields.get("place")
            if not isinstance(category, str) or not (place is None or isinstance(place, str)):
                raise EntryError("report needs a category (text) and optionally a place (text)")
            check_report(policy, category, place)
        if kind not in ("report", "sealed-note") or "details" not in fields:
            return kind, fields
        out = {k: v for k, v in fields.items() if k != "details"}
        details = fields["details"]
        if details is None and kind == "report":
            return kind, out
        if not isinstance(details, str) or not details.strip():
            raise EntryError("details must be text")
        problem = text_problem(details, multiline=True)
        if problem is not None:
            raise EntryError(f"details contain {problem}")
        data = details.encode("utf-8")
        if len(data) > MAX_DETAILS_BYTES:
            raise EntryError(f"details are longer than {MAX_DETAILS_BYTES} bytes")
        if policy.review_public is None:
            raise EntryError(
                "this hub has no review key (canopy review set-key): details cannot be "
                "sealed, so nothing was recorded"
            )
        sid = new_sid()
        box, sealed_key = seal(policy.review_public, sid, data)
        self.keys.put(sid, now, sealed_key)  # durable before the entry that needs it
        out["sid"], out["box"] = sid, box
        return kind, out
