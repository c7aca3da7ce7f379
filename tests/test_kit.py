"""The kit: exported by one hub, imported by a fresh one that then shows the same charter
and protocols; tampered, truncated and people-carrying kits are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import run_canopy

from crypto.keys import SigningKey
from crypto.note import Verifier
from hub.errors import InputError
from hub.kit import build_kit, read_kit
from portal.app import create_app

CHARTER = "# Charter\n\nStewards patrol in pairs and de-escalate first.\n"
PROTOCOL = "Talk first. Call outside help when anyone is in danger.\n"


def _origin(hub_dir: Path, tmp_path: Path) -> Path:
    (tmp_path / "charter.md").write_text(CHARTER)
    (tmp_path / "proto.md").write_text(PROTOCOL)
    assert run_canopy("charter", "set", str(tmp_path / "charter.md"), data=hub_dir).code == 0
    r = run_canopy("protocol", "set", "de-escalation", str(tmp_path / "proto.md"), data=hub_dir)
    assert r.code == 0
    run_canopy(
        "partner",
        "add",
        "--name",
        "Corner Shop",
        "--vow",
        "Corner Shop keeps a light on.",
        data=hub_dir,
    )
    run_canopy("roster", "invite", "--handle", "mara", data=hub_dir)
    kit = tmp_path / "kit.json"
    r = run_canopy("kit", "export", "--out", str(kit), data=hub_dir)
    assert r.code == 0, r.err
    return kit


def test_kit_travels_to_a_fresh_hub(hub_dir: Path, tmp_path: Path) -> None:
    kit = _origin(hub_dir, tmp_path)
    doc = json.loads(kit.read_text())
    c = doc["contents"]
    assert c["charter"] == CHARTER and c["protocols"] == {"de-escalation": PROTOCOL}
    assert c["vow_templates"] == ["{shop} keeps a light on."]
    assert {r["role"] for r in c["roles"]} == {"steward", "coordinator"}
    assert c["settings"]["audit_cycle_days"] == 28 and "FIX n text" in c["steward_card"]
    text = kit.read_text()
    assert "mara" not in text and "pkey" not in text  # no people

    fresh = tmp_path / "fresh"
    assert run_canopy("init", "--name", "Bakery", data=fresh).code == 0
    r = run_canopy("kit", "import", str(kit), "--yes", data=fresh)
    assert r.code == 0, r.err
    assert "signature verified" in r.out and "protocol 'de-escalation'" in r.out
    shown = [
        json.loads(x) for x in run_canopy("log", "show", "--json", data=fresh).out.split("\n") if x
    ]
    assert shown[0]["kind"] == "note" and "Started from the kit of Corner Shop" in shown[0]["text"]
    assert shown[1]["kind"] == "charter" and shown[1]["text"] == CHARTER

    client = create_app({"DATA": str(fresh), "TESTING": True}).test_client()
    charter = client.get("/charter").get_data(as_text=True)
    assert "Stewards patrol in pairs and de-escalate first." in charter
    protocols = client.get("/protocols").get_data(as_text=True)
    assert "Talk first." in protocols and "vow-template" in protocols
    origin = create_app({"DATA": str(hub_dir), "TESTING": True}).test_client()
    page = origin.get("/kit").get_data(as_text=True)
    assert "Download the kit" in page and "Talk first." in page
    dl = origin.get("/kit/canopy-kit.json")
    assert dl.status_code == 200 and dl.data == kit.read_bytes()


def test_import_asks_first(hub_dir: Path, tmp_path: Path) -> None:
    kit = _origin(hub_dir, tmp_path)
    fresh = tmp_path / "fresh"
    run_canopy("init", "--name", "Bakery", data=fresh)
    import subprocess
    import sys

    from support import CANOPY, ROOT

    p = subprocess.run(
        [*CANOPY, "kit", "import", str(kit), "--data", str(fresh)],
        input="n\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert p.returncode == 1 and "nothing was published" in p.stderr, (p.stdout, p.stderr)
    assert run_canopy("log", "show", data=fresh).out == ""
    assert sys.executable


def test_tampered_and_truncated_kits_are_refused(hub_dir: Path, tmp_path: Path) -> None:
    kit = _origin(hub_dir, tmp_path)
    fresh = tmp_path / "fresh"
    run_canopy("init", "--name", "Bakery", data=fresh)
    tampered = tmp_path / "tampered.json"
    tampered.write_text(kit.read_text().replace("de-escalate first", "escalate first"))
    r = run_canopy("kit", "import", str(tampered), "--yes", data=fresh)
    assert r.code == 2 and "signature does not verify" in r.err
    truncated = tmp_path / "truncated.json"
    truncated.write_bytes(kit.read_bytes()[: len(kit.read_bytes()) // 2])
    r = run_canopy("kit", "import", str(truncated), "--yes", data=fresh)
    assert r.code == 2 and "not a complete kit" in r.err
    r = run_canopy("kit", "import", str(hub_dir / "identity.json"), "--yes", data=fresh)
    assert r.code == 2 and "not a canopy-kit/1 file" in r.err
    assert run_canopy("log", "show", data=fresh).out == ""  # nothing was published


def test_kits_carrying_people_are_refused(hub_dir: Path, tmp_path: Path) -> None:
    key = SigningKey(b"\x07" * 32)
    vkey = Verifier("canopy/x", key.public).to_string()
    fresh = tmp_path / "fresh"
    run_canopy("init", "--name", "Bakery", data=fresh)
    for contents, why in [
        ({"charter": "Ask !a1b2c3d4 for the key."}, "a radio node number"),
        ({"charter": "Feed " + "ab" * 32}, "64 hex digits"),
        ({"charter": "write to mara@example.org"}, "an e-mail address"),
        ({"charter": "ok", "roster": []}, "a field 'roster'"),
    ]:
        # a kit signed properly that carries people: build it around the export's check
        import hub.kit.bundle as b

        doc = {
            "format": b.FORMAT,
            "origin": {"name": "canopy/x", "vkey": vkey},
            "created": 1,
            "contents": contents,
        }
        import base64

        doc["signature"] = base64.b64encode(key.sign(b.DOMAIN + b._canonical(doc))).decode()
        path = tmp_path / "people.json"
        path.write_text(json.dumps(doc))
        r = run_canopy("kit", "import", str(path), "--yes", data=fresh)
        assert r.code == 1 and "personal data" in r.err and why in r.err, (why, r.err)
    assert run_canopy("log", "show", data=fresh).out == ""
    # and export refuses to put a node number into a kit
    (tmp_path / "c.md").write_text("Call the coordinator's radio !deadbeef first.\n")
    run_canopy("charter", "set", str(tmp_path / "c.md"), data=hub_dir)
    r = run_canopy("kit", "export", "--out", str(tmp_path / "k.json"), data=hub_dir)
    assert r.code == 1 and "a radio node number" in r.err
    assert not (tmp_path / "k.json").exists()
    # a well-formed kit round-trips in memory
    kit = read_kit(build_kit({"charter": "fine"}, "canopy/x", vkey, key, 5))
    assert kit.contents == {"charter": "fine"} and kit.created == 5


def test_import_before_init_is_published_by_init(hub_dir: Path, tmp_path: Path) -> None:
    kit = _origin(hub_dir, tmp_path)
    fresh = tmp_path / "fresh"
    r = run_canopy("kit", "import", str(kit), "--yes", data=fresh)
    assert r.code == 0, r.err
    assert "signature verified" in r.out and "published by `canopy init" in r.out
    assert (fresh / "kit-pending.json").read_bytes() == kit.read_bytes()
    assert not (fresh / "identity.json").exists()  # nothing signed: there is no key yet
    r = run_canopy("init", "--name", "Bakery", data=fresh)
    assert r.code == 0, r.err
    assert "published" in r.out and "of the kit of Corner Shop" in r.out
    assert not (fresh / "kit-pending.json").exists()
    shown = [
        json.loads(x) for x in run_canopy("log", "show", "--json", data=fresh).out.split("\n") if x
    ]
    assert shown[0]["kind"] == "note" and "Started from the kit of Corner Shop" in shown[0]["text"]
    assert shown[1]["kind"] == "charter" and shown[1]["text"] == CHARTER

    # a kept kit that was changed in the meantime is not published, and init says so
    later = tmp_path / "later"
    assert run_canopy("kit", "import", str(kit), "--yes", data=later).code == 0
    pending = later / "kit-pending.json"
    pending.write_text(pending.read_text().replace("de-escalate first", "escalate first"))
    r = run_canopy("init", "--name", "Bakery", data=later)
    assert r.code == 1 and "was not published" in r.err and "signature" in r.err
    assert run_canopy("log", "show", data=later).out == ""
    # and a tampered kit is refused before init too, keeping nothing
    bad = tmp_path / "bad.json"
    bad.write_text(kit.read_text().replace("Talk first", "Shout first"))
    r = run_canopy("kit", "import", str(bad), "--yes", data=tmp_path / "third")
    assert r.code == 2 and not (tmp_path / "third" / "kit-pending.json").exists()


def test_kit_carries_the_assembly_rules(hub_dir: Path, tmp_path: Path) -> None:
    """Term limits, quorum and the audit cycle travel; the importer is told what to set."""
    kit = tmp_path / "kit.json"
    rules = ("--assembly-quorum", "60", "--assembly-term-limit", "3")
    r = run_canopy("kit", "export", "--out", str(kit), *rules, data=hub_dir)
    assert r.code == 0, r.err
    carried = json.loads(kit.read_text())["contents"]["settings"]
    assert carried["quorum_percent"] == 60 and carried["term_limit"] == 3
    assert carried["majority_percent"] == 50 and carried["audit_cycle_days"] == 28

    fresh = tmp_path / "fresh"
    assert run_canopy("init", "--name", "Bakery", data=fresh).code == 0
    r = run_canopy("kit", "import", str(kit), "--yes", data=fresh)
    assert r.code == 0, r.err
    assert "'quorum = 60' under [assembly]" in r.out and "'term_limit = 3'" in r.out
    assert "'majority = " not in r.out  # a default needs no line

    # a signed kit whose rule is out of the table's bounds is refused, nothing published
    key = SigningKey(b"\x08" * 32)
    vkey = Verifier("canopy/x", key.public).to_string()
    with pytest.raises(InputError, match="quorum_percent"):
        build_kit({"settings": {"quorum_percent": 0}}, "canopy/x", vkey, key, 5)
