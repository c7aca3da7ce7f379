"""Settings, the outbox cursor, command parsing, rate limits and the node list, without I/O."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from mqttkit import make_hub

from hub.cli import mqtt_options, service_from_options
from hub.errors import InputError
from hub.local import NodeList, open_db, read_nodes
from hub.mesh import BROADCAST
from hub.mqtt import SETTINGS, Outbox, TokenBucket, build_settings, parse_command, parse_url
from radio.mqttcodec import make_decoder

FEED = "ab" * 32


def test_broker_urls() -> None:
    assert parse_url("mqtt://hub.local") == ("hub.local", 1883, False, None)
    assert parse_url("mqtts://ops@10.0.0.1") == ("10.0.0.1", 8883, True, "ops")
    assert parse_url("mqtt://127.0.0.1:1999/") == ("127.0.0.1", 1999, False, None)
    for bad in (
        "http://x",
        "mqtt://",
        "mqtt://u:secret@x",
        "mqtt://x:99999",
        "mqtt://x/path",
        "mqtt://x?q=1",
        "mqtt://x:0",
    ):
        with pytest.raises(InputError):
            parse_url(bad)


def test_settings_validation(tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("s3cret\nignored\n")
    s = build_settings("mqtt://hub@x", password_file=str(pw), channel_keys=["Ops=AQ=="])
    assert s.username == "hub" and s.password == "s3cret" and "s3cret" not in repr(s)
    with pytest.raises(InputError, match="user name"):
        build_settings("mqtt://x", password_file=str(pw))
    with pytest.raises(InputError, match="mqtts"):
        build_settings("mqtt://x", tls_ca=str(pw))
    with pytest.raises(InputError, match="not a readable file"):
        build_settings("mqtts://x", tls_ca=str(tmp_path / "missing"))
    with pytest.raises(InputError, match="client id"):
        build_settings("mqtt://x", client_id="has space")
    with pytest.raises(InputError, match="topic filter"):
        build_settings("mqtt://x", meshtastic_root="canopy/#")
    with pytest.raises(InputError, match="channel key"):
        service_from_options(
            {"mqtt_url": "mqtt://x", "mqtt_meshtastic_root": "msh/#", "mqtt_channel_key": ("O=*",)},
            make_decoder,
        )


def test_cli_options_come_from_the_settings_table() -> None:
    seen: dict[str, object] = {}

    @click.command()
    @mqtt_options
    def cmd(**kw: object) -> None:
        seen.update(kw)

    help_text = CliRunner().invoke(cmd, ["--help"]).output
    for s in SETTINGS:
        flag = "--mqtt" if s.name == "url" else "--mqtt-" + s.name.replace("_", "-")
        assert flag in help_text
    r = CliRunner().invoke(cmd, ["--mqtt-channel-key", "A=AQ==", "--mqtt-channel-key", "AQ=="])
    assert r.exit_code == 0, r.output
    assert seen["mqtt_channel_key"] == ("A=AQ==", "AQ==") and seen["mqtt_url"] is None
    assert seen["mqtt_meshtastic_root"] == "msh/#"
    assert service_from_options(seen) is None
    svc = service_from_options({**seen, "mqtt_url": "mqtt://127.0.0.1:1"})
    assert svc is not None and svc.settings.channel_keys == ("A=AQ==", "AQ==")


def test_outbox_advances_only_over_contiguous_acks() -> None:
    ob = Outbox({FEED: 2}, window=3)
    assert ob.take(FEED, 10) == range(2, 5)  # the window caps it
    assert ob.take(FEED, 10) == range(5, 5)
    for mid, idx in ((11, 2), (12, 3), (13, 4)):
        ob.sent(mid, FEED, idx)
    ob.acked(13)  # out of order: index 4 first
    ob.acked(999)  # a message id the outbox never sent: ignored
    assert ob.published()[FEED] == 2
    ob.acked(11)
    assert ob.published()[FEED] == 3
    ob.acked(12)
    assert ob.published()[FEED] == 5 and ob.in_flight() == 0
    assert ob.snapshot() == {FEED: 5} and ob.snapshot() is None  # only when changed
    assert ob.take(FEED, 7) == range(5, 7)
    ob.rewind(FEED, 6)
    assert ob.take(FEED, 7) == range(6, 7)
    assert ob.status({FEED: 7})["backlog"] == 2


def test_outbox_cursor_survives_and_clamps(tmp_path: Path) -> None:
    db = open_db(tmp_path / "state.json")
    Outbox.save(db, {FEED: 9, "not-a-feed": 3})
    assert Outbox.load(db) == {FEED: 9}
    db.close()
    ob = Outbox(Outbox.load(open_db(tmp_path / "state.json")), window=8)
    assert ob.clamp(FEED, 4) is True  # the feed is shorter than the cursor: restored data
    assert ob.take(FEED, 6) == range(4, 6)


def test_commands_parse_or_refuse() -> None:
    c = parse_command(b'{"text": "check in at the bakery", "to": "!0000002a", "channel": 1}')
    assert (c.text, c.dest, c.channel) == ("check in at the bakery", 42, 1)
    assert parse_command(b'{"text": "hi", "to": null, "channel": 0}').dest == BROADCAST
    assert (
        parse_command('{"text": "cafe\u0301", "to": null, "channel": 0}'.encode()).text
        == "caf\u00e9"
    )
    for bad in (
        b'{"text": "hi"}',  # missing fields are refused, not defaulted
        b'{"text": "hi", "to": null}',
        b'{"text": "hi", "channel": 0}',
        b'{"to": null, "channel": 0}',
        b'{"text": "lone \\ud800 surrogate", "to": null, "channel": 0}',
        b'{"text": "zero\\u200bwidth", "to": null, "channel": 0}',
        b'{"text": "tag\\udb40\\udc41", "to": null, "channel": 0}',
        b"",
        b"null",
        b'{"text": ""}',
        b'{"text": "hi", "extra": 1}',
        b'{"text": "hi", "channel": 8}',
        b'{"text": "hi", "channel": true}',
        b'{"text": "hi", "to": 0}',
        b'{"text": "hi", "to": 4294967296}',
        b'{"text": "\\u0000"}',
        b'{"text": "' + "é".encode() * 101 + b'"}',
        b"[" * 5000,
        b"x" * 2000,
    ):
        with pytest.raises(InputError):
            parse_command(bad)


def test_token_bucket() -> None:
    b = TokenBucket(rate=1.0, burst=2)
    assert [b.take(0.0) for _ in range(3)] == [True, True, False]
    assert b.take(1.0) is True and b.take(1.0) is False


def test_node_list_batches_bounds_and_reads_back(tmp_path: Path) -> None:
    dd = make_hub(tmp_path)
    db = open_db(dd.state)
    now = [1000.0]
    nl = NodeList(db, lambda: now[0], max_nodes=3, flush_every=10)
    nl.seen(1, via="radio", long_name="Ana\x00's radio", short_name="ANA")
    nl.seen(1, via="mqtt")  # names are kept when a packet carries none
    assert nl.nodes[1].long_name == "Ana's radio" and nl.nodes[1].via == "mqtt"
    nl.tick()
    assert [n.num for n in read_nodes(dd)] == [1]
    nl.seen(7, via="radio")
    now[0] += 5
    nl.tick()
    assert [n.num for n in read_nodes(dd)] == [1]  # not yet: batched
    now[0] += 5
    nl.tick()
    assert [n.num for n in read_nodes(dd)] == [1, 7]
    for num in (2, 3, 4, 5):
        now[0] += 1
        nl.seen(num, via="mqtt")
    assert sorted(nl.nodes) == [3, 4, 5]  # the stalest fell out: a flood cannot grow it
    for bad in (0, -1, 0xFFFFFFFF, True):
        with pytest.raises(InputError):
            nl.seen(bad, via="mqtt")
    with pytest.raises(InputError):
        nl.seen(6, via="carrier pigeon")
    nl.flush()
    assert [n.num for n in read_nodes(dd)] == [5, 4, 3]
    db.close()


def test_mqtt_never_renames_a_node_heard_over_the_radio(tmp_path: Path) -> None:
    dd = make_hub(tmp_path)
    db = open_db(dd.state)
    clock = iter(range(1_800_000_000, 1_800_000_100)).__next__
    nodes = NodeList(db, clock=lambda: float(clock()), flush_every=0)
    nodes.seen(0x11, via="radio", long_name="Alice's radio", short_name="ALI")
    rec = nodes.seen(0x11, via="mqtt", long_name="Mallory", short_name="MAL")
    assert (rec.long_name, rec.short_name, rec.via) == ("Alice's radio", "ALI", "mqtt")
    # a node first named over MQTT takes its name from the radio once the radio hears it
    nodes.seen(0x22, via="mqtt", long_name="Claimed", short_name="CLM")
    assert nodes.seen(0x22, via="radio", long_name="Bob", short_name="BOB").long_name == "Bob"
    assert nodes.seen(0x22, via="mqtt", long_name="Again", short_name="AGN").long_name == "Bob"
    nodes.flush()
    db.close()
    saved = {r.num: r for r in read_nodes(dd)}
    assert saved[0x11].long_name == "Alice's radio" and saved[0x11].name_via == "radio"
    assert saved[0x22].short_name == "BOB"
