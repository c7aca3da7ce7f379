"""The neighbourhood's privacy policy and what each public surface may show of an entry.

The policy is the ``[privacy]`` rows of the settings table plus the review public key.
``canopy review set-key`` records them in ``DATA/privacy.json`` (atomic replace), so the
daemon, the portal, MQTT, the CLI and retention all read the one same policy.

Per kind of free text (``note``, ``checkin``, ``checkout``, ``incident``) the policy says:

- ``public``: shown at once;
- ``delay``: withheld from every public surface until ``delay`` seconds after the entry's
  time (the fields and the raw signed entry that holds them), then shown;
- ``sealed``: sealed to the review key at write time (notes, legacy incidents).

Whatever the policy, the sealed parts of ``report`` and ``sealed-note`` entries are only
ever shown as "sealed", enrolments never show the radio's node number or key, and an entry
kind this hub has no policy for shows no fields at all.
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.errors import InputError
from hub.local import DataDir, atomic_write
from hub.log import Body, FieldValue, LoggedEntry
from hub.settings import select

POLICY_KINDS = ("note", "checkin", "checkout", "incident")
"""Kinds whose free text a policy governs; each has a ``privacy.<kind>`` setting."""

SEALED_FIELDS = {
    "report": ("sid", "box"),
    "sealed-note": ("sid", "box"),
    "enrol-sealed": ("pin",),
    "pin-share": ("box",),
}
RADIO_FIELDS = {"enrol": ("node", "pkey")}
POLICY_FILE = "privacy.json"


class PrivacyError(InputError):
    """The privacy policy, the review key or a sealed detail is wrong; the message says how."""


def read_private_text(path: Path, missing: str, unreadable: str) -> str:
    """A file only its owner may read (a pin secret, a key share), as ASCII text. MISSING
    and UNREADABLE are the messages when it is absent or can't be read ({path}, {e})."""
    try:
        mode = os.stat(path).st_mode
        text = path.read_text(encoding="ascii")
    except FileNotFoundError as e:
        raise PrivacyError(missing.format(path=path)) from e
    except (OSError, UnicodeDecodeError) as e:
        raise PrivacyError(unreadable.format(path=path, e=e)) from e
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PrivacyError(f"{path} is readable by others: chmod 600 it first")
    return text


def _defaults() -> dict[str, object]:
    return {s.name: s.default for s in select("privacy")}


@dataclass(frozen=True)
class Policy:
    categories: tuple[str, ...]
    delay: int
    retention_days: int
    kinds: Mapping[str, str] = field(default_factory=dict)
    review_public: bytes | None = None

    def mode(self, kind: str) -> str | None:
        """``public``, ``delay`` or ``sealed`` for a governed kind; None for any other."""
        return self.kinds.get(kind)

    def to_json(self) -> dict[str, Any]:
        return {
            "categories": list(self.categories),
            "delay": self.delay,
            "retention_days": self.retention_days,
            **{k: self.kinds[k] for k in POLICY_KINDS},
            "review_public": self.review_public.hex() if self.review_public else None,
        }


def policy_from(values: Mapping[str, object], review_public: bytes | None = None) -> Policy:
    """A policy from setting values by name (``categories``, ``delay``, ``note``, …), each
    checked by its settings-table row; a value for a kind with no policy is refused."""
    rows = {s.name: s for s in select("privacy")}
    unknown = sorted(set(values) - set(rows) - {"review_public"})
    if unknown:
        raise PrivacyError(
            f"no privacy policy for {unknown[0]!r}: the kinds with one are "
            + ", ".join(POLICY_KINDS)
        )
    merged = {**_defaults(), **{k: v for k, v in values.items() if k in rows}}
    checked: dict[str, Any] = {}
    for name, row in rows.items():
        value = merged[name]
        try:
            if row.multiple and not isinstance(value, list | tuple):
                value = [value]
            checked[name] = row.check(list(value) if isinstance(value, tuple) else value)
        except ValueError as e:
            raise PrivacyError(f"privacy.{name}: {e}") from e
    if not checked["categories"]:
        raise PrivacyError("privacy.categories: at least one category")
    return Policy(
        categories=tuple(str(c) for c in checked["categories"]),
        delay=int(checked["delay"]),
        retention_days=int(checked["retention_days"]),
        kinds={k: str(checked[k]) for k in POLICY_KINDS},
        review_public=review_public,
    )


DEFAULT_POLICY = policy_from({})

_cache: dict[str, tuple[int, Policy]] = {}


def load_policy(datadir: DataDir) -> Policy:
    """The recorded policy of ``datadir`` (the defaults if none was recorded yet)."""
    path = datadir.root / POLICY_FILE
    try:
        stamp = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return DEFAULT_POLICY
    hit = _cache.get(str(path))
    if hit is not None and hit[0] == stamp:
        return hit[1]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        pub = data.pop("review_public", None)
        review = bytes.fromhex(pub) if isinstance(pub, str) else None
        if review is not None and len(review) != 32:
            raise ValueError("review_public is not 32 bytes")
        policy = policy_from(data, review)
    except (OSError, ValueError, AttributeError, TypeError, PrivacyError) as e:
        raise PrivacyError(f"{path} is not a privacy policy: {e}") from e
    _cache[str(path)] = (stamp, policy)
    return policy


def save_policy(datadir: DataDir, policy: Policy) -> None:
    text = json.dumps(policy.to_json(), indent=1, sort_keys=True) + "\n"
    atomic_write(datadir.root / POLICY_FILE, text.encode("utf-8"))


def withheld(body: Body, now: float, policy: Policy) -> tuple[str, ...]:
    """Names of the fields a public surface must not show of ``body`` at ``now``."""
    name = body.kind_name
    if name in SEALED_FIELDS or name in RADIO_FIELDS:
        named = body.named_fields()
        hide = SEALED_FIELDS.get(name) or RADIO_FIELDS[name]
        return tuple(f for f in hide if named.get(f) is not None)
    if name.startswith("kind-"):  # a newer hub's kind: no policy here, so nothing shown
        return tuple(f"extra_{i}" for i in range(len(body.fields)))
    mode = policy.mode(name)
    if mode == "sealed" or (mode == "delay" and now < body.time + policy.delay):
        return ("text",)
    return ()


def raw_is_public(body: Body, now: float, policy: Policy) -> bool:
    """Whether the signed entry's bytes may be published: not while they hold plain text
    that is withheld (sealed boxes are ciphertext and may go out)."""
    return all(f in SEALED_FIELDS.get(body.kind_name, ()) for f in withheld(body, now, policy))


def public_fields(body: Body, now: float, policy: Policy) -> dict[str, FieldValue]:
    """The named fields a public surface may show; a withheld field reads ``None``."""
    hide = withheld(body, now, policy)
    return {k: (None if k in hide else v) for k, v in body.named_fields().items()}


def public_json(e: LoggedEntry, now: float, policy: Policy) -> dict[str, Any]:
    """The entry's JSON for public surfaces: withheld fields dropped and listed under
    ``withheld`` (``sealed`` for sealed parts, ``later`` with the time they are shown)."""
    data = e.to_json()
    hide = withheld(e.body, now, policy)
    for name in hide:
        data.pop(name, None)
    if hide:
        sealed = e.body.kind_name in SEALED_FIELDS or policy.mode(e.body.kind_name) == "sealed"
        data["withheld"] = {"fields": list(hide), "why": "sealed" if sealed else "private"}
        if not sealed and policy.mode(e.body.kind_name) == "delay":
            data["withheld"] = {
                "fields": list(hide),
                "why": "later",
                "until": e.body.time + policy.delay,
            }
    return data


def public_redactor(datadir: DataDir) -> Callable[[Body], tuple[tuple[str, ...], bool]]:
    """``redact(body)`` for a publisher: the fields to withhold now, and whether the signed
    bytes may go out (the policy re-read when its file changes)."""

    def redact(body: Body) -> tuple[tuple[str, ...], bool]:
        now, policy = time.time(), load_policy(datadir)
        return withheld(body, now, policy), raw_is_public(body, now, policy)

    return redact


def held_back(body: Body, now: float, policy: Policy) -> bool:
    """True while ``body`` holds plain text the policy delays: no public copy of its
    signed bytes yet (portal API, MQTT, export)."""
    return (
        policy.mode(body.kind_name) == "delay"
        and now < body.time + policy.delay
        and body.named_fields().get("text") is not None
    )


def public_prefix(datadir: DataDir, now: float) -> int:
    """How many entries of the own feed an export may hold now: all up to the first one
    still held back. Claimed times never go backwards in a feed, so only the entries of the
    last ``delay`` seconds are read."""
    from hub.log import LogView

    policy = load_policy(datadir)
    view = LogView(datadir)
    size = len(view.reader())
    cut = size
    for i in range(size - 1, -1, -1):
        body = view.entry(i).body
        if body.time + policy.delay <= now:
            break
        if held_back(body, now, policy):
            cut = i
    return cut
