"""One settings table: every setting documented, checked the same from any source, and the
constants it shares with the code defined once."""

from __future__ import annotations

import math
from pathlib import Path

import click
import pytest
from support import ROOT

import hub.mesh
import radio.events
import radio.fragment
import radio.sim.topology
from hub.cli import LAZY_COMMANDS
from hub.cli.main import main
from hub.mqtt import commands as mqtt_commands
from hub.settings import OVERDUE_GRACE as DEFAULT_GRACE
from hub.settings import SETTINGS, SettingsError, by_key, dumps, parse_file, render, resolve, select
from hub.state import AlertPolicy
from radio.desk import MAX_PART, DeskPolicy
from radio.service import desk_policy

# ---------------------------------------------------------------- the table and its docs


def test_settings_reference_is_current() -> None:
    current = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert current == render(), (
        "docs/settings.md is stale: run `python -m hub.settings.docs > docs/settings.md`"
    )


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for s in SETTINGS:
        assert s.help.strip(), f"{s.key} has no help"
        assert f"| `{s.option}` |" in doc, f"docs/settings.md misses {s.key}"
        if s.in_file:
            assert f"| `{s.name}` | `{s.option}` |" in doc, f"no config key for {s.key}"
        if s.env_var:
            assert f"`{s.env_var}`" in doc, f"no environment variable for {s.key}"


def test_names_are_unique_and_defaults_pass_their_own_checks() -> None:
    keys = [s.key for s in SETTINGS]
    assert len(set(keys)) == len(keys)
    for group in (("hub", "desk", "mqtt"), ("hub.data", "portal")):
        chosen = select(*group)
        assert len({s.option for s in chosen}) == len(chosen)
        assert len({s.env_var for s in chosen}) == len(chosen)
    for s in SETTINGS:
        if s.default is not None and s.default != ():
            value = list(s.default) if s.multiple else s.default  # type: ignore[call-overload]
            assert s.check(value) == s.default, s.key


def _command(name: str) -> click.Command:
    ctx = click.Context(main)
    cmd = main.get_command(ctx, name)
    assert cmd is not None
    return cmd


@pytest.mark.parametrize(
    ("command", "names"),
    [("run", ("hub", "desk", "assembly", "sync", "mqtt")), ("portal", ("hub.data", "portal"))],
)
def test_command_options_are_the_table(command: str, names: tuple[str, ...]) -> None:
    """Every visible option of `canopy run`/`canopy portal` is a row of the table (or
    --config / --verbose), with the table's help text."""
    assert command in LAZY_COMMANDS
    options = {
        p.opts[0]: p
        for p in _command(command).params
        if isinstance(p, click.Option) and not p.hidden
    }
    table = {s.option: s for s in select(*names)}
    assert set(options) - set(table) <= {"--config", "-v"}
    for flag, s in table.items():
        assert flag in options, f"canopy {command} lacks {flag}"
        assert (options[flag].help or "").startswith(s.help)


# ---------------------------------------------------------------- the config file


def test_a_good_file_round_trips_through_the_writer() -> None:
    values: dict[str, object] = {
        "hub.data": "/var/lib/canopy",
        "hub.radio": "tcp://127.0.0.1:4403",
        "desk.ack_timeout": 45.5,
        "desk.max_pages": 0,
        "mqtt.url": 'mqtt://host"quoted\\',
        "mqtt.channel_key": ("Ops=AQ==", "Café=AQ=="),
        "portal.bind": "0.0.0.0:8080",
    }
    text = dumps(select("hub", "desk", "mqtt", "portal"), values)
    read = parse_file(text)
    assert read == {**values, "hub.data": Path("/var/lib/canopy")}


BAD_FILES = [
    ("not toml at all: [[[", None, "not valid TOML"),
    ("ack_timeout = 5\n", "ack_timeout", "inside a section"),
    ("[radio]\nurl = 'x'\n", "[radio]", "unknown section"),
    ("[deploy]\nssid = 'x'\n", "[deploy]", "unknown section"),
    ("[desk]\nack_timout = 5\n", "desk.ack_timout", "did you mean 'ack_timeout'"),
    ("[desk]\nack_timeout = '120'\n", "desk.ack_timeout", "expected a number, got string"),
    ("[desk]\nack_timeout = true\n", "desk.ack_timeout", "expected a number, got boolean"),
    ("[desk]\nack_timeout = -5\n", "desk.ack_timeout", "out of range (1 to 3600)"),
    ("[desk]\nack_timeout = nan\n", "desk.ack_timeout", "not a finite number"),
    ("[desk]\nack_timeout = inf\n", "desk.ack_timeout", "not a finite number"),
    ("[desk]\nmax_pages = 2.5\n", "desk.max_pages", "expected an integer, got number"),
    ("[desk]\nmax_pages = 99999999999999999999\n", "desk.max_pages", "out of range"),
    ("[desk]\nmax_pages = 11\n", "desk.max_pages", "out of range (0 to 10)"),
    ("[desk.ack_timeout]\nx = 1\n", "desk.ack_timeout", "expected a number, got table"),
    ("[mqtt]\nchannel_key = 'AQ=='\n", "mqtt.channel_key", "expected a list of strings"),
    ("[mqtt]\nchannel_key = [1]\n", "mqtt.channel_key", "expected a string, got integer"),
    ("[mqtt]\nurl = ['a']\n", "mqtt.url", "expected a string, got list"),
    ('[hub]\nradio = "tcp://x\\nUser=root"\n', "hub.radio", "control characters"),
    ("[hub]\ndata = ''\n", "hub.data", "an empty path"),
    ("[portal]\nbind = '8080'\n", "portal.bind", "HOST:PORT"),
    ("[portal]\nurl = 'javascript:alert(1)'\n", "portal.url", "http://"),
    ("[portal]\nworkers = 0\n", "portal.workers", "out of range (1 to 16)"),
]


@pytest.mark.parametrize(("text", "key", "reason"), BAD_FILES)
def test_hostile_files_are_refused_naming_file_and_key(
    text: str, key: str | None, reason: str
) -> None:
    with pytest.raises(SettingsError) as e:
        parse_file(text, "/etc/canopy/canopy.toml")
    message = str(e.value)
    assert message.startswith("config file /etc/canopy/canopy.toml: "), message
    assert reason in message, message
    if key is not None:
        assert key in message, message
    assert "\n" not in message


def test_precedence_given_over_file_over_default() -> None:
    chosen = select("desk")
    values = resolve(
        chosen,
        {"desk.ack_timeout": 30.0, "desk.max_pages": None, "desk.tick": None},
        {"desk.ack_timeout": 60.0, "desk.max_pages": 5},
    )
    assert values["desk.ack_timeout"] == 30.0  # option or environment
    assert values["desk.max_pages"] == 5  # file
    assert values["desk.overdue_grace"] == by_key("desk.overdue_grace").default  # default


def test_text_from_options_and_environment_meets_the_same_checks() -> None:
    s = by_key("desk.ack_timeout")
    assert s.parse_text(" 90 ") == 90.0
    for bad in ("-1", "0", "nan", "inf", "ninety", ""):
        with pytest.raises(ValueError):
            s.parse_text(bad)
    assert math.isclose(float(s.parse_text("3600")), 3600.0)  # type: ignore[arg-type]


# ---------------------------------------------------------------- one definition each


def test_shared_constants_have_one_definition() -> None:
    assert by_key("desk.ack_timeout").default == AlertPolicy().ack_timeout
    assert by_key("desk.max_pages").default == AlertPolicy().max_pages
    assert by_key("desk.overdue_grace").default == DeskPolicy().overdue_grace == DEFAULT_GRACE
    assert desk_policy() == DeskPolicy()
    assert radio.events.BROADCAST is hub.mesh.BROADCAST
    assert radio.sim.topology.BROADCAST_NUM is hub.mesh.BROADCAST
    assert mqtt_commands.BROADCAST is hub.mesh.BROADCAST
    assert radio.fragment.MAX_TEXT_BYTES is hub.mesh.MAX_TEXT_BYTES
    assert MAX_PART is hub.mesh.MAX_TEXT_BYTES


def test_literals_live_only_in_their_one_module() -> None:
    """The broadcast address and the text limit appear as code in one place only."""
    for path in [*ROOT.glob("hub/**/*.py"), *ROOT.glob("radio/**/*.py")]:
        if path.name == "mesh.py" and path.parent.name == "hub":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            assert "= 0xFFFFFFFF" not in code, f"{path}:{n}"
            assert "_BYTES = 200" not in code and "MAX_PART = 200" not in code, f"{path}:{n}"
