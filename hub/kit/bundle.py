"""The kit file: one signed JSON document another neighbourhood can start from.

Format (``canopy-kit/1``), UTF-8 JSON, at most :data:`MAX_BYTES`::

    {"format": "canopy-kit/1", "origin": {"name": …, "vkey": …}, "created": <unix>,
     "contents": {"charter": …, "protocols": {slug: text}, "compact": …,
                  "vow_templates": [text], "roles": [{"role", "term_days", "does"}],
                  "settings": {name: int} (CARRIED), "steward_card": …, "sticker": …,
                  "translations": {lang: {"steward_card", "sticker", "roles": {role: text}}}},
     "signature": <base64 Ed25519>}

The signature is by the origin hub's key (the one public key in the kit, in ``vkey``) over
``b"canopy-kit/1\\n"`` followed by the document without ``signature`` as canonical JSON
(keys sorted, no spaces, UTF-8). No people: no handles, member keys, node numbers or log
entries; :func:`personal_data` names anything that looks like them, and both export and
import refuse a kit where it finds some.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from crypto.errors import CryptoError
from crypto.keys import SigningKey
from crypto.note import Verifier
from hub.errors import InputError, VerifyError
from hub.settings import by_key

FORMAT = "canopy-kit/1"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
DOMAIN = b"canopy-kit/1\n"
MAX_BYTES = 1_000_000
CONTENT_KEYS = {
    "charter": str,
    "protocols": dict,
    "compact": str,
    "vow_templates": list,
    "roles": list,
    "settings": dict,
    "steward_card": str,
    "sticker": str,
    "translations": dict,  # language code -> the kit's own texts in it (hub/kit/texts.py)
}
LANG_RE = re.compile(r"^[a-z]{2,3}$")
TRANSLATED: dict[str, type] = {"steward_card": str, "sticker": str, "roles": dict}
# Settings a kit carries, by their name in the kit, with their key in the settings table
# (their bounds are checked there); ``overdue_grace_minutes`` is a fixed rule, not a setting.
CARRIED = {
    "audit_cycle_days": "portal.audit_cycle",
    "quorum_percent": "assembly.quorum",
    "majority_percent": "assembly.majority",
    "vote_days": "assembly.vote_days",
    "term_limit": "assembly.term_limit",
    "charter_changes_per_quarter": "assembly.charter_changes",
}
SETTINGS = {*CARRIED, "overdue_grace_minutes"}
PERSONAL = (
    (re.compile(r"![0-9a-fA-F]{8}\b"), "a radio node number"),
    (re.compile(r"\b[0-9a-fA-F]{64}\b"), "a key or feed (64 hex digits)"),
    (re.compile(r"[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=(?![A-Za-z0-9+/=])"), "a base64 key"),
    (re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b"), "an e-mail address"),
)


@dataclass(frozen=True, slots=True)
class Kit:
    origin: str
    vkey: str
    created: int
    contents: dict[str, Any]
    digest: str  # SHA-256 of the file, hex: how the import names its origin


def _canonical(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def personal_data(contents: dict[str, Any], handles: set[str] | None = None) -> list[str]:
    """What in ``contents`` looks like people's data (empty if nothing does)."""
    found: list[str] = []

    def texts(value: Any, where: str) -> None:
        if isinstance(value, str):
            for rx, what in PERSONAL:
                if rx.search(value):
                    found.append(f"{where} contains {what}")
            for h in handles or ():
                if re.search(rf"(?<!\w)@{re.escape(h)}(?!\w)", value):
                    found.append(f"{where} names the steward @{h}")
        elif isinstance(value, dict):
            for k, v in value.items():
                texts(k, where)
                texts(v, f"{where}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                texts(v, f"{where}[{i}]")

    for key in contents:
        if key not in CONTENT_KEYS:
            found.append(f"the kit has a field {key!r}, which no kit carries")
    texts(contents, "kit")
    return found


def check_contents(contents: object) -> dict[str, Any]:
    """The contents, checked for shape and people; raises :class:`InputError` saying why."""
    if not isinstance(contents, dict):
        raise InputError("the kit has no contents")
    for key, typ in CONTENT_KEYS.items():
        if key in contents and not isinstance(contents[key], typ):
            raise InputError(f"kit field {key!r} must be {typ.__name__}")
    for slug, text in contents.get("protocols", {}).items():
        if not isinstance(slug, str) or not isinstance(text, str) or not SLUG_RE.match(slug):
            raise InputError("kit protocols must map slugs (a-z, 0-9, -) to texts")
    if not all(isinstance(t, str) for t in contents.get("vow_templates", [])):
        raise InputError("kit vow templates must be texts")
    for lang, texts in contents.get("translations", {}).items():
        if not isinstance(lang, str) or not LANG_RE.match(lang) or not isinstance(texts, dict):
            raise InputError("kit translations must map language codes (en, es…) to texts")
        for key, value in texts.items():
            want = TRANSLATED.get(key)
            if want is None or not isinstance(value, want):
                raise InputError(f"kit translation {lang}.{key} is not a text a kit carries")
        if not all(isinstance(v, str) for v in texts.get("roles", {}).values()):
            raise InputError(f"kit translation {lang}.roles must map roles to texts")
    for name, value in contents.get("settings", {}).items():
        if name not in SETTINGS or isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"kit setting {name!r} is not a setting a kit can carry")
        if name in CARRIED:
            try:
                by_key(CARRIED[name]).check(value)
            except ValueError as e:
                raise InputError(f"kit setting {name!r}: {e}") from e
    found = personal_data(contents)
    if found:
        raise InputError("the kit carries personal data: " + "; ".join(found[:5]))
    return contents


def build_kit(contents: dict[str, Any], name: str, vkey: str, key: SigningKey, now: int) -> bytes:
    """The signed kit file; raises :class:`InputError` if the contents carry people."""
    check_contents(contents)
    doc: dict[str, Any] = {
        "format": FORMAT,
        "origin": {"name": name, "vkey": vkey},
        "created": now,
        "contents": contents,
    }
    doc["signature"] = base64.b64encode(key.sign(DOMAIN + _canonical(doc))).decode()
    data = json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True).encode() + b"\n"
    if len(data) > MAX_BYTES:
        raise InputError(f"the kit would be {len(data)} bytes; the limit is {MAX_BYTES}")
    return data


def read_kit(data: bytes) -> Kit:
    """Verify a kit file; raises :class:`VerifyError` (tampered, truncated, not a kit) or
    :class:`InputError` (well signed, but carrying what no kit may)."""
    if len(data) > MAX_BYTES:
        raise VerifyError(f"the kit is over {MAX_BYTES} bytes")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise VerifyError(f"not a complete kit file (truncated or damaged): {e}") from e
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise VerifyError(f"not a {FORMAT} file")
    origin, sig, created = doc.get("origin"), doc.get("signature"), doc.get("created")
    if not isinstance(origin, dict) or not isinstance(sig, str) or not isinstance(created, int):
        raise VerifyError("the kit lacks its origin, time or signature")
    try:
        verifier = Verifier.parse(str(origin.get("vkey", "")))
        signature = base64.b64decode(sig, validate=True)
        unsigned = {k: v for k, v in doc.items() if k != "signature"}
        verifier.public.verify(DOMAIN + _canonical(unsigned), signature)
    except (CryptoError, binascii.Error, ValueError) as e:
        raise VerifyError(f"the kit's signature does not verify: {e}") from e
    if origin.get("name") != verifier.name and not isinstance(origin.get("name"), str):
        raise VerifyError("the kit's origin has no name")
    contents = check_contents(doc.get("contents"))
    return Kit(
        str(origin.get("name")),
        verifier.to_string(),
        created,
        contents,
        hashlib.sha256(data).hexdigest(),
    )
