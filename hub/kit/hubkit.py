"""A hub's kit: what goes into it (from the signed log) and what importing one writes.

The contents come only from public, signed texts (charter, protocols, vows made templates)
and the role and settings defaults; never from the roster or the patrol log. Importing
writes the kit's texts as this hub's own signed entries, after a ``note`` that names the
kit's origin and digest, so the log says where they came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.kit.bundle import Kit
from hub.kit.texts import LANGUAGES, ROLES
from hub.kit.texts import STICKER as STICKERS
from hub.log import FieldValue, LogView
from hub.settings import OVERDUE_GRACE
from hub.state import COORDINATOR, DEFAULT_TERMS, STEWARD, HubState

DAY = 86_400
ROLE_TEXT = ROLES[LANGUAGES[0]]
STICKER = STICKERS[LANGUAGES[0]]
KIT_SLUGS = ("compact", "vow-template")


def _text(view: LogView, index: int) -> str:
    value = view.entry(index).body.named_fields().get("text")
    return value if isinstance(value, str) else ""


def collect(
    view: LogView,
    state: HubState,
    card: str,
    settings: dict[str, int],
    translated: dict[str, Any],
) -> dict[str, Any]:
    """The kit's contents from the hub's own feed (the steward ``card`` and its
    ``translated`` versions come from radio; ``settings``, by their names in the kit
    (:data:`hub.kit.bundle.CARRIED`), from the settings table)."""
    mine = state.mine
    protocols = {
        slug: _text(view, i)
        for slug, i in sorted(mine.protocols.items())
        if slug != "compact" and not slug.startswith("vow-template")
    }
    templates = [
        _text(view, i) for slug, i in sorted(mine.protocols.items()) if slug.startswith("vow-tem")
    ]
    for name, i in sorted(mine.vows.items()):
        templates.append(_text(view, i).replace(name, "{shop}"))
    contents: dict[str, Any] = {
        "protocols": protocols,
        "vow_templates": templates,
        "roles": [
            {"role": r, "term_days": DEFAULT_TERMS[r] // DAY, "does": ROLE_TEXT[str(r)]}
            for r in (STEWARD, COORDINATOR)
        ],
        "settings": {**settings, "overdue_grace_minutes": OVERDUE_GRACE // 60},
        "steward_card": card,
        "sticker": STICKER,
        "translations": translated,
    }
    if mine.charter is not None:
        contents["charter"] = _text(view, mine.charter)
    if "compact" in mine.protocols:
        contents["compact"] = _text(view, mine.protocols["compact"])
    return contents


@dataclass(frozen=True, slots=True)
class Step:
    kind: str
    fields: dict[str, FieldValue]
    says: str  # what the step sets, for the confirmation


def plan(kit: Kit) -> list[Step]:
    """The entries importing ``kit`` writes, in order (the origin note first)."""
    c = kit.contents
    parts = ["charter"] if c.get("charter") else []
    parts += [f"{len(c.get('protocols', {}))} protocols"]
    settings = ", ".join(f"{k} {v}" for k, v in sorted(c.get("settings", {}).items()))
    origin = (
        f"Started from the kit of {kit.origin} ({kit.vkey}), sha256 {kit.digest}: "
        f"{', '.join(parts)}; settings: {settings or 'none'}."
    )
    steps = [Step("note", {"text": origin[:1000]}, f"a note naming the origin: {kit.origin}")]
    if c.get("charter"):
        steps.append(Step("charter", {"text": c["charter"]}, "the charter"))
    for slug, text in sorted(c.get("protocols", {}).items()):
        steps.append(Step("protocol", {"slug": slug, "text": text}, f"protocol {slug!r}"))
    if c.get("compact"):
        steps.append(Step("protocol", {"slug": "compact", "text": c["compact"]}, "compact text"))
    for i, text in enumerate(c.get("vow_templates", []), 1):
        slug = "vow-template" if i == 1 else f"vow-template-{i}"
        steps.append(Step("protocol", {"slug": slug, "text": text}, f"vow template {i}"))
    return steps
