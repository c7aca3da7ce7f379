"""Generate docs/cli.md from the click commands themselves, so the reference never drifts.

    python -m hub.cli.docs > docs/cli.md

``tests/test_docs.py`` fails when the checked-in file differs from this output.
"""

from __future__ import annotations

import click

from hub.cli.main import main

INTRO = """# Command reference

Generated from the code by `python -m hub.cli.docs > docs/cli.md`; a test keeps the two
in step. Every command that touches a hub takes `--data DIR` (default `$CANOPY_DATA`,
else `~/.local/share/canopy`). Errors are one line on stderr and a non-zero exit: 1 for
bad input or a refusal, 75 when the hub is busy (another writer holds the data directory,
or the daemon could not take the request in time: try again), and `canopy log verify`
exits 2 when a log does not verify.
"""


def _walk(cmd: click.Command, path: list[str], ctx: click.Context) -> list[str]:
    out: list[str] = []
    sub_ctx = click.Context(cmd, info_name=path[-1], parent=ctx)
    if isinstance(cmd, click.Group):
        if len(path) > 1:
            out.append(f"## `{' '.join(path)}`\n\n{cmd.help or ''}\n")
        for name in cmd.list_commands(sub_ctx):
            sub = cmd.get_command(sub_ctx, name)
            if sub is not None and not sub.hidden:
                out.extend(_walk(sub, [*path, name], sub_ctx))
        return out
    level = "##" if len(path) == 2 else "###"
    usage = " ".join(cmd.collect_usage_pieces(sub_ctx))
    out.append(f"{level} `{' '.join(path)}`\n")
    out.append(f"```\n{' '.join(path)} {usage}\n```\n")
    out.append((cmd.help or "").strip() + "\n")
    rows = []
    for param in cmd.get_params(sub_ctx):
        record = param.get_help_record(sub_ctx) if isinstance(param, click.Option) else None
        if record and "--help" not in record[0]:
            meaning = record[1].replace("|", "\\|")
            rows.append(f"| `{record[0]}` | {meaning} |")
    if rows:
        out.append("| option | meaning |\n|---|---|\n" + "\n".join(rows) + "\n")
    return out


def render() -> str:
    ctx = click.Context(main, info_name="canopy")
    return INTRO + "\n" + "\n".join(_walk(main, ["canopy"], ctx))


if __name__ == "__main__":
    click.echo(render(), nl=False)
