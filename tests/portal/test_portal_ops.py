"""The daemon op `compact_sign` and the CLI content commands, with hostile input."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import charter_group, partner_group, protocol_group
from hub.daemon import HubCore
from hub.daemon.ops import run_op
from hub.errors import InputError
from hub.local import DataDir
from hub.log import LogView
from hub.state import clean_compact_name


def test_compact_sign_appends_signed_entries(data: Path) -> None:
    core = HubCore(DataDir(data))
    core.open()
    try:
        first = run_op(core, "compact_sign", {"name": "  Ana   María "})
        second = run_op(core, "compact_sign", {})
        assert first["ok"] and second["index"] == first["index"] + 1
    finally:
        core.close()
    view = LogView(DataDir(data))
    assert view.entry(first["index"]).body.named_fields() == {"name": "Ana María"}
    assert view.entry(second["index"]).body.fields == ()


@pytest.mark.parametrize(
    "name", ["x" * 41, "<b>", "a\x00b", "semi;colon", 7, ["list"], "zero\u200bwidth"]
)
def test_compact_sign_refuses_bad_names(data: Path, name: object) -> None:
    with pytest.raises(InputError):
        clean_compact_name(name)
    core = HubCore(DataDir(data))
    core.open()
    try:
        size = len(core.log.own or [])
        with pytest.raises(InputError):
            run_op(core, "compact_sign", {"name": name})
        assert len(core.log.own or []) == size
    finally:
        core.close()


def test_content_commands_append_signed_entries(data: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    md = tmp_path / "c.md"
    md.write_bytes("\ufeff# Charter\r\n\r\nBe kind.\r\n".encode())
    r = runner.invoke(charter_group, ["set", str(md), "--data", str(data)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(protocol_group, ["set", "de-escalation", str(md), "--data", str(data)])
    assert r.exit_code == 0, r.output
    vow = tmp_path / "vow.md"
    vow.write_text("We *listen*.", encoding="utf-8")
    r = runner.invoke(
        partner_group, ["add", "--name", " Bakery ", "--vow", f"@{vow}", "--data", str(data)]
    )
    assert r.exit_code == 0, r.output
    entries = list(LogView(DataDir(data)).entries())[-3:]
    assert [e.body.kind_name for e in entries] == ["charter", "protocol", "vow"]
    assert entries[0].body.named_fields()["text"] == "# Charter\n\nBe kind.\n"
    assert entries[2].body.named_fields() == {"name": "Bakery", "text": "We *listen*."}


def test_content_commands_refuse_bad_input(data: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    size = len(LogView(DataDir(data)).reader())
    latin = tmp_path / "latin1.md"
    latin.write_bytes("caf\xe9".encode("latin-1"))
    big = tmp_path / "big.md"
    big.write_bytes(b"x" * 60001)
    empty = tmp_path / "empty.md"
    empty.write_text("  \n")
    ctrl = tmp_path / "ctrl.md"
    ctrl.write_text("bell \x07")
    cases = [
        (charter_group, ["set", str(latin)], "not UTF-8"),
        (charter_group, ["set", str(big)], "limit"),
        (charter_group, ["set", str(empty)], "empty"),
        (charter_group, ["set", str(ctrl)], "control character"),
        (charter_group, ["set", str(tmp_path / "missing.md")], "cannot read"),
        (protocol_group, ["set", "../etc", str(empty)], "SLUG"),
        (protocol_group, ["set", "Bad Slug", str(empty)], "SLUG"),
        (partner_group, ["add", "--name", "  ", "--vow", "x"], "--name"),
        (partner_group, ["add", "--name", "A", "--vow", " "], "--vow"),
    ]
    for group, args, message in cases:
        r = runner.invoke(group, [*args, "--data", str(data)])
        assert r.exit_code != 0, args
        assert message in r.output, (args, r.output)
    assert len(LogView(DataDir(data)).reader()) == size
