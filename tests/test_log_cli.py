"""The log as a user drives it: init, id, note, show, export, verify, proofs, checkpoints."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from support import run_canopy

from crypto.merkle import leaf_hash, verify_consistency, verify_inclusion
from crypto.note import Checkpoint, Verifier, open_note
from hub.local import DataDir
from hub.log import LogView, split_sequence


def _notes(hub: Path, n: int) -> None:
    for i in range(n):
        r = run_canopy("note", f"patrol note {i} — ñandú 🌙", data=hub)
        assert r.code == 0, r.err
        assert r.out.startswith("note recorded at index ")


def test_init_creates_identity_and_refuses_twice(hub_dir: Path) -> None:
    key = hub_dir / "hub.key"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    before = key.read_bytes()
    r = run_canopy("init", "--name", "Other", data=hub_dir)
    assert r.code != 0
    assert "already holds a hub" in r.err
    assert key.read_bytes() == before


def test_init_rejects_bad_name(tmp_path: Path) -> None:
    r = run_canopy("init", "--name", "\x1b[31mevil", data=tmp_path / "x")
    assert r.code != 0 and "hub name" in r.err
    assert not (tmp_path / "x" / "hub.key").exists()


def test_id_json_fields(hub_dir: Path) -> None:
    r = run_canopy("id", "--json", data=hub_dir)
    ident = json.loads(r.out)
    assert ident["name"] == "Corner Shop"
    assert len(ident["feed"]) == 64 and int(ident["feed"], 16) >= 0
    v = Verifier.parse(ident["vkey"])
    assert v.public.hex() == ident["feed"]
    assert v.name == ident["origin"] == f"canopy/corner-shop/{ident['feed'][:16]}"


def test_note_show_json(hub_dir: Path) -> None:
    _notes(hub_dir, 3)
    r = run_canopy("log", "show", "--json", data=hub_dir)
    rows = [json.loads(line) for line in r.out.splitlines()]
    assert [row["index"] for row in rows] == [0, 1, 2]
    assert all(row["kind"] == "note" and row["author"] == "hub" for row in rows)
    assert rows[2]["text"] == "patrol note 2 — ñandú 🌙"
    assert rows[0]["time"].endswith("Z")
    assert len({row["feed"] for row in rows}) == 1
    plain = run_canopy("log", "show", data=hub_dir).out.splitlines()
    assert len(plain) == 3 and "patrol note 1" in plain[1]


def test_an_entry_about_another_hub_keeps_its_own_feed_in_json(
    hub_dir: Path, tmp_path: Path
) -> None:
    """A peer entry names the other hub's feed as `subject`; `feed` stays the feed the entry
    is in (it was overwritten, so MQTT subscribers filed the entry under the wrong feed)."""
    other = tmp_path / "other"
    assert run_canopy("init", "--name", "Other", data=other).code == 0
    them = json.loads(run_canopy("id", "--json", data=other).out)
    us = json.loads(run_canopy("id", "--json", data=hub_dir).out)
    assert run_canopy("peer", "add", them["vkey"], data=hub_dir).code == 0
    shown = run_canopy("log", "show", "--json", data=hub_dir).out
    rows = [json.loads(line) for line in shown.splitlines()]
    peer = next(row for row in rows if row["kind"] == "peer")
    assert peer["feed"] == us["feed"] and peer["subject"] == them["feed"]
    assert all(row["feed"] == us["feed"] for row in rows)
    plain = run_canopy("log", "show", data=hub_dir).out
    # hex, not a bytes repr (an origin's hex may itself end in "b" before its quote)
    assert f"feed={them['feed'][:16]}…" in plain and "=b'" not in plain


def test_export_and_verify_roundtrip(hub_dir: Path, tmp_path: Path) -> None:
    _notes(hub_dir, 5)
    out = tmp_path / "bundle"
    r = run_canopy("log", "export", "--out", str(out), data=hub_dir)
    assert r.code == 0, r.err
    feed = json.loads(run_canopy("id", "--json", data=hub_dir).out)["feed"]
    data = (out / f"{feed}.entries").read_bytes()
    stored = (hub_dir / "feeds" / f"{feed}.log").read_bytes()
    entries = split_sequence(data)
    assert len(entries) == 5
    assert all(e in stored for e in entries)  # exact stored bytes
    v = run_canopy("log", "verify", str(out))
    assert v.code == 0, v.err
    assert "5 entries" in v.out and v.out.startswith("OK ")
    # the checkpoint is a real C2SP note for exactly this tree
    vkey = Verifier.parse((out / f"{feed}.vkey").read_text())
    cp = Checkpoint.parse(open_note((out / f"{feed}.checkpoint").read_text(), [vkey]).text)
    assert cp.size == 5


def _bundle(hub: Path, tmp: Path, n: int = 4) -> tuple[Path, Path]:
    _notes(hub, n)
    out = tmp / "b"
    assert run_canopy("log", "export", "--out", str(out), data=hub).code == 0
    return out, next(out.glob("*.entries"))


def test_verify_names_tampered_entry(hub_dir: Path, tmp_path: Path) -> None:
    out, ef = _bundle(hub_dir, tmp_path)
    entries = split_sequence(ef.read_bytes())
    bad = bytearray(entries[2])
    bad[10] ^= 0x01
    ef.write_bytes(entries[0] + entries[1] + bytes(bad) + entries[3])
    r = run_canopy("log", "verify", str(out))
    assert r.code == 2
    assert "entry 2" in r.err


def test_verify_rejects_reordered_duplicated_truncated(hub_dir: Path, tmp_path: Path) -> None:
    out, ef = _bundle(hub_dir, tmp_path)
    e = split_sequence(ef.read_bytes())
    cases = {
        "reordered": (e[0] + e[2] + e[1] + e[3], "entry 1"),
        "duplicated": (e[0] + e[1] + e[1] + e[2] + e[3], "entry 2"),
        "truncated": (e[0] + e[1] + e[2] + e[3][:-5], "entry 3"),
        "dropped tail": (e[0] + e[1] + e[2], "checkpoint"),
    }
    for name, (data, expect) in cases.items():
        ef.write_bytes(data)
        r = run_canopy("log", "verify", str(out))
        assert r.code != 0, name
        assert expect in r.err, (name, r.err)


def test_verify_rejects_resigned_feed_and_wrong_checkpoint(hub_dir: Path, tmp_path: Path) -> None:
    out, ef = _bundle(hub_dir, tmp_path)
    other = tmp_path / "other"
    assert run_canopy("init", "--name", "Other", data=other).code == 0
    _notes(other, 4)
    out2 = tmp_path / "b2"
    assert run_canopy("log", "export", "--out", str(out2), data=other).code == 0
    ef2 = next(out2.glob("*.entries"))
    # the other hub's entries under this hub's name: re-signed by a different key
    ef.write_bytes(ef2.read_bytes())
    r = run_canopy("log", "verify", str(out))
    assert r.code == 2 and "entry 0" in r.err
    # restore entries, swap in a checkpoint of a different tree
    _, ef_ok = _bundle(hub_dir, tmp_path / "again")
    ef.write_bytes(ef_ok.read_bytes())
    r = run_canopy("log", "verify", str(out))
    assert r.code == 2 and "checkpoint" in r.err
    # pinning a different key is refused
    vkey_other = next(out2.glob("*.vkey")).read_text().strip()
    r = run_canopy("log", "verify", str(out2), "--vkey", next(out.glob("*.vkey")).read_text())
    assert r.code == 2 and "pinned" in r.err
    assert run_canopy("log", "verify", str(out2), "--vkey", vkey_other).code == 0


def test_verify_missing_and_garbage_files(tmp_path: Path, hub_dir: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run_canopy("log", "verify", str(empty))
    assert r.code == 2 and "no *.entries" in r.err
    (empty / ("ab" * 32 + ".entries")).write_bytes(os.urandom(300))
    r = run_canopy("log", "verify", str(empty))
    assert r.code == 2 and ".vkey is missing" in r.err
    ident = json.loads(run_canopy("id", "--json", data=hub_dir).out)
    (empty / ("ab" * 32 + ".entries")).unlink()
    # one well-framed entry whose signature is garbage (random bytes could frame anywhere)
    forged = b"\x82\x58\x30" + os.urandom(48) + b"\x58\x40" + os.urandom(64)
    (empty / f"{ident['feed']}.entries").write_bytes(forged)
    (empty / f"{ident['feed']}.vkey").write_text(ident["vkey"])
    r = run_canopy("log", "verify", str(empty))
    assert r.code == 2 and "entry 0" in r.err


def test_proofs_verify_against_checkpoint(hub_dir: Path) -> None:
    _notes(hub_dir, 7)
    cp_text = run_canopy("checkpoint", data=hub_dir).out
    ident = json.loads(run_canopy("id", "--json", data=hub_dir).out)
    cp = Checkpoint.parse(open_note(cp_text, [Verifier.parse(ident["vkey"])]).text)
    assert cp.size == 7
    first = LogView(DataDir(hub_dir)).entry(0).raw
    p = json.loads(run_canopy("log", "proof", "--index", "0", "--json", data=hub_dir).out)
    assert p["leaf_index"] == 0 and p["tree_size"] == 7
    path = [base64.b64decode(x) for x in p["inclusion_path"]]
    verify_inclusion(leaf_hash(first), 0, 7, path, cp.root)
    # consistency from an older checkpoint
    old = cp
    assert run_canopy("note", "one more", data=hub_dir).code == 0
    new_text = run_canopy("checkpoint", data=hub_dir).out
    new = Checkpoint.parse(open_note(new_text, [Verifier.parse(ident["vkey"])]).text)
    c = json.loads(run_canopy("log", "consistency", "--from", "7", "--json", data=hub_dir).out)
    assert c["first"] == 7 and c["second"] == 8
    cpath = [base64.b64decode(x) for x in c["consistency_path"]]
    verify_consistency(7, 8, old.root, new.root, cpath)


def test_proof_bad_arguments(hub_dir: Path) -> None:
    _notes(hub_dir, 2)
    for args in (["--index", "5"], ["--index", "-1"], ["--index", "0", "--size", "9"]):
        r = run_canopy("log", "proof", *args, "--json", data=hub_dir)
        assert r.code != 0 and "Error" in r.err, args
    r = run_canopy("log", "consistency", "--from", "0", "--json", data=hub_dir)
    assert r.code != 0


def test_uninitialised_and_unreadable_key(tmp_path: Path, hub_dir: Path) -> None:
    r = run_canopy("note", "x", data=tmp_path / "nothing")
    assert r.code != 0 and "canopy init" in r.err
    key = hub_dir / "hub.key"
    key.chmod(0o644)
    r = run_canopy("note", "x", data=hub_dir)
    assert r.code != 0 and "chmod 600" in r.err
    key.chmod(0o600)
    key.write_text("not a key\n")
    r = run_canopy("note", "x", data=hub_dir)
    assert r.code != 0 and "32-byte" in r.err
    key.unlink()
    r = run_canopy("note", "x", data=hub_dir)
    assert r.code != 0 and "missing" in r.err


def test_note_rejects_control_characters(hub_dir: Path) -> None:
    r = run_canopy("note", "bell\x07", data=hub_dir)
    assert r.code != 0 and "control character" in r.err
    assert run_canopy("log", "show", data=hub_dir).out == ""


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("zero\u200bwidth", "U+200B ZERO WIDTH SPACE"),
        ("\ufeffbom", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("line\u2028sep", "U+2028 LINE SEPARATOR"),
        ("tag\U000e0041", "U+E0041 TAG LATIN CAPITAL LETTER A"),
        ("a\ufff9b\ufffac\ufffb", "U+FFF9 INTERLINEAR ANNOTATION ANCHOR"),
    ],
)
def test_note_refuses_invisible_characters(hub_dir: Path, text: str, why: str) -> None:
    r = run_canopy("note", text, data=hub_dir)
    assert r.code == 1 and why in r.err, r.err
    assert run_canopy("log", "show", data=hub_dir).out == ""


def test_note_is_recorded_in_nfc(hub_dir: Path) -> None:
    assert run_canopy("note", "cafe\u0301", data=hub_dir).code == 0
    [entry] = [
        json.loads(line)
        for line in run_canopy("log", "show", "--json", data=hub_dir).out.splitlines()
    ]
    assert entry["text"] == "caf\u00e9", entry
