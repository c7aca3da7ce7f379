"""Generate docs/settings.md from the settings table, so the reference never drifts.

    python -m hub.settings.docs > docs/settings.md

``tests/test_settings_docs.py`` fails when the checked-in file differs from this output.
"""

from __future__ import annotations

from hub.settings.defaults import CONFIG_PATH
from hub.settings.model import SECTIONS, Setting
from hub.settings.table import SETTINGS

TITLES = {
    "hub": "the hub daemon (`canopy run`; `data` also for `canopy portal`)",
    "desk": "the steward desk: answering and paging radios (`canopy run` with a radio)",
    "assembly": "the assembly's votes on mandates and the charter (`canopy run`, "
    "`canopy mandate propose`; see [governance.md](governance.md))",
    "sync": "hub-to-hub sync over the mesh (`canopy run`; see [sync.md](sync.md))",
    "mqtt": "MQTT (`canopy run`; see [mqtt.md](mqtt.md))",
    "portal": "the captive portal (`canopy portal`; see [portal.md](portal.md))",
    "privacy": "public summaries, sealed details, retention (`canopy review set-key` "
    "records them; see [privacy.md](privacy.md))",
    "deploy": "system files (`canopy deploy render`; see [deploy.md](deploy.md))",
}

INTRO = f"""# Settings

Generated from the settings table (`hub/settings/table.py`) by
`python -m hub.settings.docs > docs/settings.md`; a test keeps the two in step. The same
table makes the command-line options and their `--help`.

A setting's value comes from, strongest first:

1. the command-line option (`canopy run --alert-ack-timeout 90`);
2. the environment variable (`CANOPY_DESK_ACK_TIMEOUT=90`);
3. the config file given with `--config FILE` (or `$CANOPY_CONFIG`), a TOML file with one
   section per table below;
4. the default.

```toml
[hub]
data = "/var/lib/canopy"
radio = "serial:///dev/ttyUSB0"

[desk]
ack_timeout = 90

[mqtt]
url = "mqtt://127.0.0.1:1883"
channel_key = ["Ops=BASE64KEY"]

[portal]
bind = "0.0.0.0:8080"
```

`canopy run --config FILE` reads `[hub]`, `[desk]` and `[mqtt]`; `canopy portal --config
FILE` reads `data` from `[hub]` and `[portal]`; both accept the whole file, so one file
serves both: `canopy deploy render` writes it to `{CONFIG_PATH}` and points
the systemd units at it. An unknown section or key, a key outside a section, a value of the wrong
type or out of range, or a file that is not TOML stops the command with one line naming
the file, the key and what was expected, and a non-zero exit: a typo never falls back to
a default silently. The deploy settings are options of `canopy deploy render` only; they
have no config key or environment variable.
"""


TABLE_HEAD = (
    "| key | option | environment | type | default | meaning |\n|---|---|---|---|---|---|\n"
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _row(s: Setting) -> str:
    key = f"`{s.name}`" if s.in_file else "—"
    kind = s.type_name + (f" ({s.bounds_text})" if s.bounds_text else "")
    default = s.default_text
    shown = "unset" if default is None else f"`{default}`" if s.shown_default is None else default
    env = f"`{s.env_var}`" if s.env_var else "—"
    return f"| {key} | `{s.option}` | {env} | {kind} | {_cell(shown)} | {_cell(s.help)} |"


def render() -> str:
    out = [INTRO]
    for section in SECTIONS:
        rows = [_row(s) for s in SETTINGS if s.section == section]
        head = f"## `[{section}]`: {TITLES[section]}\n"
        out.append(head + "\n" + TABLE_HEAD + "\n".join(rows) + "\n")
    return "\n".join(out)


if __name__ == "__main__":
    print(render(), end="")
