"""The kit and the audit pages in every portal language: the kit carries its own texts
(steward card, sticker, roles) translated, /kit shows them in the visitor's language, and
every text of the audit, correction and kit pages has a translation in each catalogue."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from support import ROOT, run_canopy

import hub.kit.bundle as bundle
from crypto.keys import SigningKey
from crypto.note import Verifier
from hub.kit import LANGUAGES, steward_card
from hub.kit.texts import verbs
from portal.app import create_app
from portal.web.i18n import languages
from radio.desk import HELP, HELP_COORD

TEMPLATES = ("audit.html", "audits.html", "kit.html", "entry.html", "_macros.html")


def test_the_kit_speaks_every_portal_language() -> None:
    assert list(LANGUAGES) == languages()
    radio = verbs(HELP + HELP_COORD)
    assert "FIX" in radio and "IN" in radio
    for lang in LANGUAGES:
        card = steward_card(lang, HELP, HELP_COORD)  # KeyError: a command left unexplained
        listed = [x[3:].rstrip("`").split()[0] for x in card.splitlines() if x.startswith("- `")]
        assert listed == radio, lang


def test_exported_kit_carries_translations_and_kit_page_uses_them(
    hub_dir: Path, tmp_path: Path
) -> None:
    kit = tmp_path / "kit.json"
    r = run_canopy("kit", "export", "--out", str(kit), data=hub_dir)
    assert r.code == 0, r.err
    c = json.loads(kit.read_text())["contents"]
    es = c["translations"]["es"]
    assert set(c["translations"]) == set(LANGUAGES[1:])
    assert "Tarjeta del guardián" in es["steward_card"] and "FIX n texto" in es["steward_card"]
    assert "ZONA DE SEGURIDAD" in es["sticker"] and set(es["roles"]) == {"steward", "coordinator"}
    client = create_app({"DATA": str(hub_dir), "TESTING": True}).test_client()
    page = client.get("/kit?lang=es").get_data(as_text=True)
    assert "Empieza una red en tu barrio" in page and "Tarjeta del guardián" in page
    assert "Patrulla, entra y sale de turno" in page and "Patrols, checks in" not in page
    english = client.get("/kit?lang=en").get_data(as_text=True)
    assert "Steward card" in english and "Tarjeta" not in english


@pytest.mark.parametrize(
    ("translations", "why"),
    [
        ({"es": "hola"}, "map language codes"),
        ({"Spanish!": {}}, "map language codes"),
        ({"es": {"roster": "x"}}, "es.roster is not a text a kit carries"),
        ({"es": {"sticker": 3}}, "es.sticker is not a text"),
        ({"es": {"roles": {"steward": 1}}}, "roles must map roles to texts"),
        ({"es": {"steward_card": "Llama a !deadbeef"}}, "a radio node number"),
    ],
)
def test_malformed_translations_are_refused(translations: object, why: str) -> None:
    key = SigningKey(b"\x08" * 32)
    doc = {
        "format": bundle.FORMAT,
        "origin": {"name": "canopy/x", "vkey": Verifier("canopy/x", key.public).to_string()},
        "created": 1,
        "contents": {"charter": "ok", "translations": translations},
    }
    doc["signature"] = base64.b64encode(key.sign(bundle.DOMAIN + bundle._canonical(doc))).decode()
    with pytest.raises(bundle.InputError, match=why):
        bundle.read_kit(json.dumps(doc).encode())


def test_audit_correction_and_kit_pages_are_translated() -> None:
    ids: set[str] = set()
    for name in TEMPLATES:
        path = ROOT / "portal" / "templates" / name
        for _line, msg, _comments, _ctx in extract_from_file(
            "jinja2", str(path), keywords={"_": None, "gettext": None}
        ):
            ids.add(msg if isinstance(msg, str) else msg[0])
    assert "What the network got wrong, and changed" in ids and len(ids) > 50
    for lang in languages()[1:]:
        po = ROOT / "portal" / "translations" / lang / "LC_MESSAGES" / "messages.po"
        with po.open("rb") as f:
            catalog = read_po(f)
        missing = sorted(m for m in ids if not (catalog.get(m) and catalog.get(m).string))  # type: ignore[union-attr]
        assert not missing, f"{lang}: untranslated {missing[:5]}"
