"""The witness's command line on real data directories: the witness key, a saved
(poster) checkpoint held against an export, cosignatures required by `log verify`, and
every broken input refused with a clear reason."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
from support import run_canopy
from witness_helpers import checkpoint_at

from crypto.cosignature import Cosigner, cosign, signature_line
from crypto.keys import SigningKey
from crypto.note import Checkpoint, parse_note


@pytest.fixture
def hub(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    data = tmp_path / "corner"
    assert run_canopy("init", "--name", "Corner", data=data).code == 0
    ident = json.loads(run_canopy("id", "--json", data=data).out)
    shutil.copytree(data, tmp_path / "twin")  # the same key, before any entry
    for text in ("one", "two", "three"):
        assert run_canopy("note", text, data=data).code == 0
    assert run_canopy("log", "export", "--out", str(tmp_path / "bundle"), data=data).code == 0
    return data, ident


def test_the_witness_key_is_a_cosignature_key_distinct_from_the_log_key(
    hub: tuple[Path, dict[str, str]],
) -> None:
    data, ident = hub
    w = Cosigner.parse(ident["witness_vkey"])
    assert base64.b64decode(ident["witness_vkey"].split("+", 2)[2])[0] == 0x04
    assert w.public.hex() != ident["feed"] and w.name == ident["origin"] + "/witness"
    again = json.loads(run_canopy("id", "--json", data=data).out)
    assert again["witness_vkey"] == ident["witness_vkey"]  # created once, then kept
    assert oct((data / "witness.key").stat().st_mode)[-3:] == "600"


def test_a_saved_checkpoint_is_held_against_an_export(
    hub: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    data, _ = hub
    bundle = tmp_path / "bundle"
    saved = tmp_path / "poster.note"
    saved.write_text(checkpoint_at(data, 2))
    r = run_canopy("log", "verify", str(bundle), "--checkpoint", str(saved))
    assert r.code == 0 and "OK the saved checkpoint (size 2)" in r.out, r.out + r.err
    # the same key told someone else another story
    twin = tmp_path / "twin"
    assert run_canopy("note", "another story", data=twin).code == 0
    saved.write_text(checkpoint_at(twin, 1))
    r = run_canopy("log", "verify", str(bundle), "--checkpoint", str(saved))
    assert r.code != 0 and "SPLIT VIEW" in r.err, r.out + r.err
    # the hub showed a longer log than the export holds: it was cut back
    assert run_canopy("note", "four", data=data).code == 0
    saved.write_text(checkpoint_at(data, 4))
    r = run_canopy("log", "verify", str(bundle), "--checkpoint", str(saved))
    assert r.code != 0 and "ROLLBACK" in r.err, r.out + r.err


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        ("not a note", "checkpoint"),
        ("corner\n3\nAAAA\n\n— corner AAAAAAAA\n", "checkpoint"),
    ],
)
def test_a_broken_saved_checkpoint_is_refused(
    hub: tuple[Path, dict[str, str]], tmp_path: Path, content: str, expect: str
) -> None:
    saved = tmp_path / "bad.note"
    saved.write_text(content)
    r = run_canopy("log", "verify", str(tmp_path / "bundle"), "--checkpoint", str(saved))
    assert r.code != 0 and expect in r.err, r.out + r.err


def test_log_verify_requires_cosignatures_from_the_given_witnesses(
    hub: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    _, ident = hub
    bundle = tmp_path / "bundle"
    note_path = bundle / f"{ident['feed']}.checkpoint"
    note = note_path.read_text()
    body = parse_note(note).text
    keys = [SigningKey(bytes([i]) * 32) for i in (1, 2)]
    ws = [Cosigner(f"witness.example/{i}", k.public) for i, k in enumerate(keys)]
    line = signature_line(
        ws[0].name, ws[0].key_id, 1_767_225_600, cosign(body, ws[0].name, keys[0], 1_767_225_600)
    )
    note_path.write_text(note + line)
    vk = [w.to_string() for w in ws]
    r = run_canopy("log", "verify", str(bundle), "--witness", vk[0])
    assert r.code == 0 and "OK 1 witness(es)" in r.out, r.out + r.err
    r = run_canopy("log", "verify", str(bundle), "--witness", vk[0], "--witness", vk[1])
    assert r.code != 0 and "1 valid cosignature(s)" in r.err and "2 required" in r.err
    r = run_canopy(
        "log", "verify", str(bundle), "--witness", vk[0], "--witness", vk[1], "--min", "1"
    )
    assert r.code == 0, r.out + r.err
    assert Checkpoint.parse(body).size == 3
    # a cosignature line that does not verify for its witness is an error, not ignored
    bad = signature_line(
        ws[0].name, ws[0].key_id, 1_767_225_601, cosign(body, ws[0].name, keys[0], 1_767_225_600)
    )
    note_path.write_text(note + bad)
    r = run_canopy("log", "verify", str(bundle), "--witness", vk[0])
    assert r.code != 0 and "does not verify" in r.err, r.out + r.err


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--witness", "nonsense"], "--witness"),
        (
            ["--witness", "w+00000000+" + base64.b64encode(b"\x01" + bytes(32)).decode()],
            "--witness",
        ),
        (["--min", "1"], "--min 1 needs at least 1 --witness"),
        (["--min", "-1"], "-1"),
    ],
)
def test_bad_witness_arguments_are_refused(
    hub: tuple[Path, dict[str, str]], tmp_path: Path, args: list[str], expect: str
) -> None:
    r = run_canopy("log", "verify", str(tmp_path / "bundle"), *args)
    assert r.code != 0 and expect in r.err, r.out + r.err


def test_checkpoint_prints_cosignature_lines_and_refuses_an_unknown_feed(
    hub: tuple[Path, dict[str, str]],
) -> None:
    data, _ = hub
    r = run_canopy("checkpoint", data=data)
    assert r.code == 0 and r.out.startswith("canopy/corner/") and "\n3\n" in r.out
    r = run_canopy("checkpoint", "--cosigned", data=data)
    assert r.code != 0 and "no peer has cosigned" in r.err
    r = run_canopy("checkpoint", "--feed", "ab" * 32, data=data)
    assert r.code != 0 and "holds no feed" in r.err
