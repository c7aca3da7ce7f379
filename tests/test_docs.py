"""The docs say what the code does: the command reference is generated from the commands,
and every document the README links to exists."""

from __future__ import annotations

import re

from support import ROOT

from hub.cli import render


def test_cli_reference_is_current() -> None:
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == render(), "docs/cli.md is stale: run `python -m hub.cli.docs > docs/cli.md`"


def test_readme_links_resolve() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#]+)\)", readme)
    assert links
    for link in links:
        assert (ROOT / link).exists(), f"README links to missing {link}"


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_help_lists_every_command_with_its_own_summary_without_importing_it() -> None:
    import subprocess
    import sys

    import click

    from hub.cli.main import LAZY_COMMANDS, SUMMARIES, main

    assert set(SUMMARIES) == set(LAZY_COMMANDS)
    ctx = click.Context(main)
    for name in LAZY_COMMANDS:
        cmd = main.get_command(ctx, name)
        assert cmd is not None
        assert SUMMARIES[name] == cmd.get_short_help_str(limit=200), name
    code = (
        "import sys\n"
        "from hub.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print([m for m in sys.modules if m.startswith(('hub.cli.', 'radio', 'portal'))"
        " and m != 'hub.cli.main'])"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "peer" in r.stdout and "Federate with other hubs" in r.stdout
    assert r.stdout.strip().splitlines()[-1] == "[]"
