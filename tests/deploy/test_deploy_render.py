"""`canopy deploy render`: every file, from validated options, pointing nowhere outside the hub."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from deploy_helpers import REPO, render_tree

from hub.deploy import OUTPUTS, SETTINGS, deploy_group
from hub.local import DataDir, create_identity


def test_every_output_is_rendered_with_its_mode(rendered: Path) -> None:
    files = sorted(str(p.relative_to(rendered)) for p in rendered.rglob("*") if p.is_file())
    assert files == sorted(o.path for o in OUTPUTS)
    for o in OUTPUTS:
        assert (rendered / o.path).stat().st_mode & 0o777 == o.mode, o.path
    # no Jinja left behind
    for o in OUTPUTS:
        text = (rendered / o.path).read_text()
        assert "{{" not in text and "{%" not in text, o.path


def test_options_reach_the_files(tmp_path: Path) -> None:
    out = render_tree(
        tmp_path / "o",
        "--iface", "wlan1",
        "--ssid", "Café Fleur ☕",
        "--address", "198.19.7.7",
        "--subnet", "192.168.44.1/24",
        "--portal-port", "8088",
        "--country", "fr",
        "--channel", "11",
        "--journal", "persistent",
    )  # fmt: skip
    hostapd = (out / "etc/hostapd/hostapd.conf").read_text()
    assert "interface=wlan1\n" in hostapd
    assert f"ssid2={'Café Fleur ☕'.encode().hex()}\n" in hostapd
    assert "country_code=FR\n" in hostapd and "channel=11\n" in hostapd
    assert "ap_isolate=1\n" in hostapd
    dnsmasq = (out / "etc/canopy/dnsmasq.conf").read_text()
    assert "address=/#/198.19.7.7\n" in dnsmasq and "local=/#/\n" in dnsmasq
    assert 'dhcp-option-force=114,"http://198.19.7.7/"\n' in dnsmasq
    assert "dhcp-range=192.168.44.2,192.168.44.254,255.255.255.0,1h\n" in dnsmasq
    assert "no-resolv\n" in dnsmasq
    assert not re.search(r"^server=", dnsmasq, re.M)
    nft = (out / "etc/nftables.conf").read_text()
    assert "tcp dport 80 dnat ip to 198.19.7.7:8088" in nft
    assert "reject with tcp reset" in nft and "policy drop" in nft
    socket_unit = (out / "etc/systemd/system/canopy-portal.socket").read_text()
    assert "ListenStream=198.19.7.7:8088\n" in socket_unit
    network = (out / "etc/systemd/network/10-canopy-ap.network").read_text()
    assert "Address=192.168.44.1/24\n" in network and "Address=198.19.7.7/32\n" in network
    assert "Storage=persistent" in (out / "etc/systemd/journald.conf.d/90-canopy.conf").read_text()
    assert (
        "unmanaged-devices=interface-name:wlan1"
        in (out / "etc/NetworkManager/conf.d/90-canopy-unmanaged.conf").read_text()
    )


def test_nothing_rendered_points_outside_the_hub(rendered: Path) -> None:
    allowed_nets = [
        ipaddress.IPv4Network("10.77.0.0/24"),
        ipaddress.IPv4Network("198.18.0.1/32"),
        ipaddress.IPv4Network("127.0.0.1/32"),
    ]
    # netmask, and the DHCP unspecified/broadcast addresses dnsmasq must be allowed
    netmasks = {"255.255.255.0", "0.0.0.0", "255.255.255.255"}
    for o in OUTPUTS:
        text = (rendered / o.path).read_text()
        for ip in re.findall(r"\b\d{1,3}(?:\.\d{1,3}){3}\b", text):
            assert ip in netmasks or any(ipaddress.IPv4Address(ip) in n for n in allowed_nets), (
                f"{o.path} mentions {ip}"
            )
        # comments configure nothing (canopy.toml quotes each setting's help, with URL forms)
        live = "\n".join(x for x in text.splitlines() if not x.lstrip().startswith("#"))
        for url in re.findall(r"\b(?:https?|mqtt)://[^\s\"'/]+", live):
            host = url.split("://")[1].split(":")[0]
            assert host in ("198.18.0.1", "127.0.0.1"), f"{o.path} points at {url}"
        assert not re.search(r"^\s*(pool|server)\s", text, re.M), o.path
    chrony = (rendered / "etc/chrony/chrony.conf").read_text()
    assert "allow 10.77.0.0/24" in chrony and "refclock SOCK" in chrony


def test_the_hub_name_and_id_come_from_the_data_dir(tmp_path: Path) -> None:
    ident = create_identity(DataDir(tmp_path / "hub"), "Corner Shop")
    secret = tmp_path / "secret"
    secret.write_text("pw")
    out = render_tree(
        tmp_path / "o", "--data", str(tmp_path / "hub"),
        "--bridge", "beta=10.77.0.20", "--bridge-secret", str(secret),
    )  # fmt: skip
    mosq = (out / "etc/mosquitto/mosquitto.conf").read_text()
    assert f"topic canopy/v1/{ident.feed.hex()[:16]}/# out 1\n" in mosq
    hostapd = (out / "etc/hostapd/hostapd.conf").read_text()
    assert f"ssid2={b'Canopy Corner Shop'.hex()}\n" in hostapd
    unit = (out / "etc/systemd/system/canopy-hub.service").read_text()
    config = (out / "etc/canopy/canopy.toml").read_text()
    assert f'\ndata = "{tmp_path / "hub"}"\n' in config
    assert f"ReadWritePaths={tmp_path / 'hub'}" in unit


def test_a_tcp_radio_on_the_lan_is_allowed_through_the_daemons_ip_filter(tmp_path: Path) -> None:
    out = render_tree(tmp_path / "o", "--radio", "tcp://192.168.1.50:4403")
    unit = (out / "etc/systemd/system/canopy-hub.service").read_text()
    config = (out / "etc/canopy/canopy.toml").read_text()
    assert '\nradio = "tcp://192.168.1.50:4403"\n' in config
    assert "\nIPAddressAllow=localhost 10.77.0.0/24 192.168.1.50\n" in unit


def test_bridges_render_with_the_secret_and_a_private_mode(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret-pass\n")
    out = render_tree(
        tmp_path / "o",
        "--name", "alpha",
        "--hub-id", "00112233aabbccdd",
        "--bridge", "beta=10.77.0.20",
        "--bridge", "gamma=192.168.1.5:1884",
        "--bridge-secret", str(secret),
    )  # fmt: skip
    conf = out / "etc/mosquitto/mosquitto.conf"
    text = conf.read_text()
    assert "connection canopy-alpha-to-beta\naddress 10.77.0.20:1883\n" in text
    assert "address 192.168.1.5:1884\n" in text
    assert "remote_password s3cret-pass\n" in text
    assert "topic canopy/v1/00112233aabbccdd/# out 1\n" in text
    assert "persistent_client_expiration" not in text
    assert "cleansession false\nlocal_cleansession false\n" in text
    assert conf.stat().st_mode & 0o007 == 0


BAD = [
    (["--address", "10.1.2.3"], "--address"),
    (["--address", "192.168.0.9"], "--address"),
    (["--address", "300.1.1.1"], "--address"),
    (["--address", "::1"], "--address"),
    (["--address", "127.0.0.1"], "--address"),
    (["--address", "10.77.0.9"], "--address"),
    (["--subnet", "10.77.0.0/24"], "--subnet"),
    (["--subnet", "8.8.8.1/24"], "--subnet"),
    (["--subnet", "10.77.0.1"], "--subnet"),
    (["--subnet", "10.77.0.1/8"], "--subnet"),
    (["--subnet", "nonsense"], "--subnet"),
    (["--iface", "wlan0; reboot"], "--iface"),
    (["--iface", "a" * 16], "--iface"),
    (["--iface", "lo"], "--iface"),
    (["--iface", ""], "--iface"),
    (["--iface", "wlan0\nExecStart=/bin/sh"], "--iface"),
    (["--ssid", "x" * 33], "--ssid"),
    (["--ssid", "é" * 17], "--ssid"),
    (["--ssid", "evil\ninterface=eth0"], "--ssid"),
    (["--country", "XYZ"], "--country"),
    (["--channel", "14"], "--channel"),
    (["--portal-port", "443"], "--portal-port"),
    (["--portal-port", "0"], "--portal-port"),
    (["--portal-port", "70000"], "--portal-port"),
    (["--portal-port", "1883"], "--portal-port"),
    (["--radio", "tcp://x y"], "--radio"),
    (["--radio", "serial:///dev/ttyUSB0\nUser=root"], "--radio"),
    (["--radio", "tcp://8.8.8.8:4403"], "--radio"),
    (["--radio", "tcp://radio.example.org:4403"], "--radio"),
    (["--radio", "serial:///etc/passwd"], "--radio"),
    (["--radio", "http://10.0.0.5/"], "--radio"),
    (["--user", "root"], "--user"),
    (["--canopy-bin", "canopy"], "--canopy-bin"),
    (["--data", "/var/lib/my data"], "--data"),
    (["--journal", "disk"], "--journal"),
    (["--bridge", "peer=8.8.8.8"], "--bridge"),
    (["--bridge", "peer=10.0.0.5"], "--bridge"),  # no secret
    (["--bridge", "nope"], "--bridge"),
    (["--hub-id", "XYZ"], "--hub-id"),
    (["--hub-id", "0123456789ABCDEF"], "--hub-id"),
]


@pytest.mark.parametrize(("args", "flag"), BAD)
def test_bad_options_fail_clearly_and_write_nothing(
    tmp_path: Path, args: list[str], flag: str
) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(deploy_group, ["render", "--out", str(out), *args])
    assert result.exit_code != 0
    assert flag in result.output, result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_rendering_into_an_existing_tree_replaces_files_atomically(tmp_path: Path) -> None:
    out = render_tree(tmp_path / "o", "--ssid", "First")
    keep = out / "etc" / "local-note.txt"
    keep.write_text("mine")
    render_tree(out, "--ssid", "Second")
    assert f"ssid2={b'Second'.hex()}" in (out / "etc/hostapd/hostapd.conf").read_text()
    assert keep.read_text() == "mine"
    leftovers = [p for p in tmp_path.rglob(".*") if p.name != ".."]
    assert leftovers == []
    # a failed render leaves the previous tree untouched
    before = (out / "etc/hostapd/hostapd.conf").read_bytes()
    result = CliRunner().invoke(deploy_group, ["render", "--out", str(out), "--ssid", "x" * 40])
    assert result.exit_code != 0
    assert (out / "etc/hostapd/hostapd.conf").read_bytes() == before


def test_out_must_be_a_directory(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    result = CliRunner().invoke(deploy_group, ["render", "--out", str(f)])
    assert result.exit_code != 0


def test_the_guide_documents_every_setting() -> None:
    guide = (REPO / "docs" / "deploy.md").read_text()
    for s in SETTINGS:
        assert f"`{s.flag}" in guide, f"docs/deploy.md does not document {s.flag}"
    for o in OUTPUTS:
        assert o.path in guide, f"docs/deploy.md does not mention /{o.path}"
