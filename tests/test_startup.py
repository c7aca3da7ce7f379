"""What a one-shot command loads: `canopy note` with no daemon writes under the lock, and on a
Pi every module it imports is start-up time. These check the modules, not the clock
(bench/bench_board.py times it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support import run_canopy

from hub.daemon.ops import MODULES, WHERE, all_ops, run_op

ROOT = Path(__file__).resolve().parents[1]

# needed by other commands or by the daemon, never by a note written under the lock
NOT_FOR_A_NOTE = (
    "hub.daemon.ops.stewards",
    "hub.daemon.ops.audits",
    "hub.daemon.ops.peers",
    "hub.daemon.deliveries",
    "hub.daemon.serve",
    "hub.state",
    "hub.log.parallel",
    "tinydb",
    "tempfile",
    "logging",
    "socketserver",
    "multiprocessing",
    "concurrent.futures",
    "meshtastic",
    "flask",
)


def _modules_after(args: list[str]) -> tuple[list[str], str]:
    code = (
        "import json, sys\n"
        "from hub.cli.main import main\n"
        "try:\n"
        f"    main({args!r}, standalone_mode=False)\n"
        "finally:\n"
        "    print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    p = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert p.returncode == 0, p.stderr
    return json.loads(p.stderr.splitlines()[-1]), p.stdout


def test_a_note_without_the_daemon_loads_only_the_write_path(hub_dir: Path) -> None:
    loaded, out = _modules_after(["note", "light start", "--data", str(hub_dir)])
    assert out.startswith("note recorded at index 0")
    assert [m for m in NOT_FOR_A_NOTE if m in loaded] == []
    # and the note is really there, signed, with the state folding it as the daemon would
    shown = run_canopy("log", "show", "--json", data=hub_dir)
    assert json.loads(shown.out.splitlines()[-1])["text"] == "light start"


def test_the_op_table_names_every_op_where_it_lives() -> None:
    ops = all_ops()
    assert set(WHERE) == set(ops)
    for name, module in WHERE.items():
        assert module in MODULES
        assert ops[name].__module__ == f"hub.daemon.ops.{module}", name


def test_an_unknown_or_hostile_op_name_is_refused_by_name(hub_dir: Path) -> None:
    from hub.daemon import HubCore
    from hub.errors import InputError
    from hub.local import DataDir

    core = HubCore(DataDir(hub_dir))
    core.open()
    try:
        for name in ("nope", "__init__", "base", "OPS", "../log", "", 7):
            try:
                run_op(core, name, {})  # type: ignore[arg-type]
            except InputError as e:
                assert "unknown operation" in str(e)
            else:
                raise AssertionError(f"{name!r} ran")
    finally:
        core.close()


def _program(args: list[str], cwd: Path = ROOT) -> tuple[int, str, str, list[str]]:
    """Run the `canopy` program's entry point (as the installed script does) on ``args``;
    return its exit code, output, errors and the modules it loaded."""
    code = (
        "import json, sys\n"
        f"sys.argv = ['canopy', *{args!r}]\n"
        "from hub.cli.entry import entry\n"
        "try:\n"
        "    entry()\n"
        "finally:\n"
        "    print('MODULES', json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    p = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=60
    )
    err, _, modules = p.stderr.rpartition("MODULES ")
    return p.returncode, p.stdout, err, json.loads(modules)


def test_a_plain_note_loads_no_click(hub_dir: Path) -> None:
    for args in (
        ["note", "first", "--data", str(hub_dir)],
        ["note", "--data", str(hub_dir), "second"],
        ["note", "third", f"--data={hub_dir}"],
    ):
        code, out, err, loaded = _program(args)
        assert (code, err) == (0, ""), err
        assert out.startswith("note recorded at index"), out
        assert [m for m in (*NOT_FOR_A_NOTE, "click", "uuid", "socket") if m in loaded] == []
    shown = run_canopy("log", "show", "--json", data=hub_dir)
    texts = [json.loads(line)["text"] for line in shown.out.splitlines()]
    assert texts == ["first", "second", "third"]


def _click_note(args: list[str]) -> tuple[int, str, str]:
    p = subprocess.run(
        [sys.executable, "-c", "from hub.cli.main import main; main(prog_name='canopy')", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    return p.returncode, p.stdout, p.stderr


def test_any_other_note_line_is_clicks_and_writes_nothing(hub_dir: Path) -> None:
    a_file = hub_dir / "identity.json"
    d = str(hub_dir)
    for args in (
        ["note"],
        ["note", "-x", "--data", d],
        ["note", "a", "b", "--data", d],
        ["note", "a", "--data", str(a_file)],
        ["note", "a", "--dat", d],
    ):
        code, out, err, loaded = _program(args)
        assert "click" in loaded, args
        assert (code, out, err) == _click_note(args), args
        assert code != 0 and "Error: " in err, (args, err)
    code, out, _, loaded = _program(["note", "--help"])
    assert code == 0 and "Append a signed note" in out and "click" in loaded
    assert run_canopy("log", "show", "--json", data=hub_dir).out.strip() == ""


def test_a_refused_note_says_the_same_with_or_without_click(hub_dir: Path, tmp_path: Path) -> None:
    cases = (
        ["note", "bell \x07 in the text", "--data", str(hub_dir)],
        ["note", "x" * 1001, "--data", str(hub_dir)],
        ["note", "no hub here", "--data", str(tmp_path / "nothing")],
    )
    for args in cases:
        code, out, err, loaded = _program(args)
        assert "click" not in loaded
        assert (code, out, err) == _click_note(args), args
        assert code == 1 and err.startswith("Error: ") and out == "", (args, err)
    assert run_canopy("log", "show", "--json", data=hub_dir).out.strip() == ""


def test_the_busy_exit_is_the_same_in_both_paths() -> None:
    from hub.cli.common import EXIT_BUSY
    from hub.cli.entry import EXIT_BUSY as FAST_BUSY

    assert FAST_BUSY == EXIT_BUSY
