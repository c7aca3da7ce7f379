"""The rendered files pass the checks of the daemons that read them: dnsmasq, nft,
Mosquitto (started for real in a network namespace) and systemd-analyze. chrony and
hostapd check them inside the emulated board (test_board_arm64.py), not on this host."""

from __future__ import annotations

import http.client
import json
import re
import shlex
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploy_helpers import CANOPY, REPO, render_tree, require, run
from support import free_port, wait_for

from hub.deploy import OUTPUTS, build_config, cli_features
from hub.deploy.render import render
from hub.settings import load_file

UNITS = [o.path for o in OUTPUTS if o.path.startswith("etc/systemd/system/")]


def test_dnsmasq_accepts_the_config(rendered: Path) -> None:
    done = run(require("dnsmasq"), "--test", "-C", str(rendered / "etc/canopy/dnsmasq.conf"))
    assert "syntax check OK" in done.stdout + done.stderr


def test_nft_accepts_the_ruleset(rendered: Path) -> None:
    done = run(require("nft"), "-c", "-f", str(rendered / "etc/nftables.conf"), check=False)
    assert done.returncode == 0, done.stderr


def test_nft_check_catches_a_broken_ruleset(rendered: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.nft"
    text = (rendered / "etc/nftables.conf").read_text()
    broken.write_text(text.replace("reject with tcp reset", "reject with tcp rest"))
    assert run(require("nft"), "-c", "-f", str(broken), check=False).returncode != 0


def test_fstab_lines_parse(rendered: Path) -> None:
    # on this machine the partition and mount points are absent: only parsing is checked
    done = run(
        require("findmnt"), "--verify", "--tab-file", str(rendered / "etc/canopy/fstab.persist"),
        check=False,
    )  # fmt: skip
    assert "0 parse errors" in done.stdout + done.stderr
    assert "LABEL=CANOPYDATA" in (rendered / "etc/canopy/fstab.persist").read_text()


# ---------------------------------------------------------------- systemd units


def test_units_verify_without_warnings(rendered: Path) -> None:
    require("systemd-analyze")
    for unit in UNITS:
        done = run("systemd-analyze", "verify", str(rendered / unit), check=False)
        # verify exits 0 on unknown keys: the output is what counts
        assert done.stdout + done.stderr == "", f"{unit}: {done.stdout}{done.stderr}"


def test_verify_would_catch_a_bad_unit(rendered: Path, tmp_path: Path) -> None:
    bad = tmp_path / "canopy-hub.service"
    bad.write_text((rendered / UNITS[0]).read_text().replace("[Service]", "[Service]\nBogus=1"))
    done = run("systemd-analyze", "verify", str(bad), check=False)
    assert "Unknown key" in done.stdout + done.stderr


def exposure(unit: Path) -> float:
    done = run("systemd-analyze", "security", "--offline=true", str(unit), check=False)
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout + done.stderr)
    assert m, done.stdout + done.stderr
    return float(m.group(1))


@pytest.mark.parametrize("unit", UNITS)
def test_unit_exposure_within_budget(rendered: Path, unit: str) -> None:
    require("systemd-analyze")
    assert exposure(rendered / unit) <= 2.0


def test_hub_unit_shape(rendered: Path) -> None:
    text = (rendered / "etc/systemd/system/canopy-hub.service").read_text()
    for line in (
        "Type=notify",
        "WatchdogSec=30s",
        "Restart=on-failure",
        "DeviceAllow=char-ttyUSB rw",
        "DeviceAllow=char-ttyACM rw",
        "SupplementaryGroups=dialout",
        "StateDirectory=canopy",
        "CapabilityBoundingSet=",
    ):
        assert f"\n{line}\n" in text, line
    argv = _exec_start(rendered / "etc/systemd/system/canopy-hub.service")
    # this install takes --config: the unit names the rendered file, which holds the rest
    assert cli_features()["config"]
    assert argv == [str(CANOPY), "run", "--config", "/etc/canopy/canopy.toml"]
    settings = load_file(rendered / "etc/canopy/canopy.toml")
    assert settings["hub.data"] == Path("/var/lib/canopy")
    assert settings["hub.radio"] == "serial:///dev/ttyUSB0"
    assert settings["mqtt.url"] == "mqtt://127.0.0.1:1883"
    assert "\nPrivateDevices=" not in text
    portal = (rendered / "etc/systemd/system/canopy-portal.service").read_text()
    assert "Requires=canopy-portal.socket" in portal and "Type=notify" in portal
    assert "User=canopy" in portal and "PrivateUsers=yes" in portal
    # nginx in front (on the socket systemd passes in), its files in the runtime directory
    assert load_file(rendered / "etc/canopy/canopy.toml")["portal.front"] == "nginx"
    assert "\nRuntimeDirectory=canopy-portal\n" in portal and "\nKillMode=mixed\n" in portal


def _exec_start(unit: Path) -> list[str]:
    line = next(x for x in unit.read_text().splitlines() if x.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))


def test_units_follow_the_installed_cli_features() -> None:
    config = build_config({})
    # an install older than --config gets every option on the command line
    for run_mqtt, portal_url in ((True, True), (False, False)):
        features = {"config": False, "run_mqtt": run_mqtt, "portal_url": portal_url}
        files = render(config, features=features)
        hub = files["etc/systemd/system/canopy-hub.service"][0]
        portal = files["etc/systemd/system/canopy-portal.service"][0]
        assert "--config" not in hub + portal
        assert "run --data /var/lib/canopy" in hub
        assert ("--mqtt mqtt://127.0.0.1:1883" in hub) == run_mqtt
        assert ("--url http://198.18.0.1/" in portal) == portal_url
        # the option never swallows the next line
        assert "\nExecReload=" in portal and "\n\n# The daemon sends WATCHDOG" in hub
    files = render(config, features={"config": True})
    hub = files["etc/systemd/system/canopy-hub.service"][0]
    portal = files["etc/systemd/system/canopy-portal.service"][0]
    assert "\nExecStart=/opt/canopy/venv/bin/canopy run --config /etc/canopy/canopy.toml\n\n" in hub
    assert "\nExecStart=/opt/canopy/venv/bin/canopy portal --config /etc/canopy/canopy.toml\n" in (
        portal
    )
    assert "\nExecReload=" in portal


@pytest.mark.parametrize("unit", ["canopy-hub.service", "canopy-portal.service"])
def test_exec_start_is_accepted_by_the_real_cli(rendered: Path, unit: str) -> None:
    """Every option the unit passes exists (click rejects unknown options before --help)."""
    argv = _exec_start(rendered / "etc/systemd/system" / unit)
    assert argv[0] == str(CANOPY)
    done = run(*argv, "--help", check=False)
    assert done.returncode == 0, f"{unit}: {' '.join(argv[1:])}\n{done.stderr}"


MDWE = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
# PR_SET_MDWE / PR_MDWE_REFUSE_EXEC_GAIN: what MemoryDenyWriteExecute=yes enforces
if libc.prctl(65, 1, 0, 0, 0) != 0 or libc.prctl(66, 0, 0, 0, 0) != 1:
    sys.exit("PR_SET_MDWE unsupported")
os.execv(sys.argv[1], sys.argv[1:])
"""


def test_daemon_and_portal_run_with_memory_deny_write_execute(tmp_path: Path) -> None:
    """MemoryDenyWriteExecute=yes is safe: both programs run with W^X memory enforced."""
    data = tmp_path / "hub"
    run(str(CANOPY), "init", "--name", "Wx Shop", "--data", str(data))
    port = free_port()
    portal = subprocess.Popen(
        [sys.executable, "-c", MDWE, str(CANOPY), "portal", "--data", str(data),
         "--bind", f"127.0.0.1:{port}"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    daemon = subprocess.Popen(
        [sys.executable, "-c", MDWE, str(CANOPY), "run", "--data", str(data)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:

        def probe() -> int | None:
            assert portal.poll() is None, portal.stderr.read() if portal.stderr else ""
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", "/generate_204", headers={"Host": "clients3.google.com"})
                return conn.getresponse().status
            except OSError:
                return None
            finally:
                conn.close()

        status = wait_for(probe, 20, what="the portal to answer under W^X", interval=0.1)
        assert status == 302
        assert daemon.stdout is not None
        line = ""
        for _ in range(50):
            line = daemon.stdout.readline()
            if "running" in line or not line:
                break
        assert "running" in line, line
        assert daemon.poll() is None
    finally:
        for p in (portal, daemon):
            p.terminate()
            p.wait(timeout=10)
        if portal.stderr:
            portal.stderr.close()
        if daemon.stdout:
            daemon.stdout.close()


# ---------------------------------------------------------------- Mosquitto

MQTT_CLIENT = r"""
import json, sys
import paho.mqtt.client as mqtt
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="probe")
if user:
    c.username_pw_set(user, pw)
try:
    c.connect(host, port, keepalive=10)
except OSError as e:
    print(json.dumps({"connect": "refused", "errno": e.errno})); sys.exit(0)
result = {}
def on_connect(client, userdata, flags, rc, props=None):
    result["rc"] = rc.value if hasattr(rc, "value") else int(rc)
    client.disconnect()
c.on_connect = on_connect
c.loop_forever(timeout=1.0, retry_first_connection=False)
print(json.dumps(result))
"""


@pytest.fixture
def hub_netns() -> Iterator[str]:
    require("ip")
    ns = f"canopy-mq-{uuid.uuid4().hex[:8]}"
    run("ip", "netns", "add", ns)
    try:
        run("ip", "-n", ns, "link", "set", "lo", "up")
        # no dummy module everywhere: a veth pair whose far end stays in the namespace
        run("ip", "-n", ns, "link", "add", "wlan0", "type", "veth", "peer", "name", "wlan0p")
        run("ip", "-n", ns, "link", "set", "wlan0p", "up")
        run("ip", "-n", ns, "addr", "add", "10.77.0.1/24", "dev", "wlan0")
        run("ip", "-n", ns, "link", "set", "wlan0", "up")
        yield ns
    finally:
        for pid in run("ip", "netns", "pids", ns, check=False).stdout.split():
            subprocess.run(["kill", "-9", pid], check=False)
        run("ip", "netns", "del", ns, check=False)


def _mqtt(ns: str, host: str, port: int, user: str = "", pw: str = "") -> dict[str, object]:
    cmd = ["ip", "netns", "exec", ns, sys.executable, "-c", MQTT_CLIENT, host, str(port), user, pw]
    result: dict[str, object] = json.loads(run(*cmd).stdout)
    return result


def test_mosquitto_runs_with_the_config(tmp_path: Path, hub_netns: str) -> None:
    require("mosquitto")
    passwd_tool = require("mosquitto_passwd")
    port = 18830
    persist = tmp_path / "mosq"
    persist.mkdir()
    out = render_tree(tmp_path / "o", "--mqtt-port", str(port), "--mosquitto-dir", str(persist))
    # The rendered file names /etc/mosquitto/…: point them at copies for the test.
    acl = tmp_path / "canopy.acl"
    acl.write_text((out / "etc/mosquitto/canopy.acl").read_text())
    passwd = tmp_path / "canopy.passwd"
    run(passwd_tool, "-c", "-b", str(passwd), "canopy-bridge", "bridge-secret")
    conf = tmp_path / "mosquitto.conf"
    text = (out / "etc/mosquitto/mosquitto.conf").read_text()
    text = text.replace("/etc/mosquitto/canopy.acl", str(acl))
    text = text.replace("/etc/mosquitto/canopy.passwd", str(passwd))
    conf.write_text("user root\n" + text.replace("log_dest syslog", "log_dest stderr"))

    proc = subprocess.Popen(
        ["ip", "netns", "exec", hub_netns, require("mosquitto"), "-c", str(conf)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:

        def accepting() -> bool:
            if proc.poll() is not None:
                assert proc.stdout is not None
                raise AssertionError(proc.stdout.read().decode())
            return _mqtt(hub_netns, "127.0.0.1", port).get("rc") == 0

        wait_for(accepting, 30, what="mosquitto to accept a client", interval=0.1)
        # loopback: anonymous welcome
        assert _mqtt(hub_netns, "127.0.0.1", port) == {"rc": 0}
        # LAN: anonymous refused (not authorised), the bridge user accepted
        assert _mqtt(hub_netns, "10.77.0.1", port)["rc"] != 0
        assert _mqtt(hub_netns, "10.77.0.1", port, "canopy-bridge", "wrong")["rc"] != 0
        assert _mqtt(hub_netns, "10.77.0.1", port, "canopy-bridge", "bridge-secret") == {"rc": 0}
        # nothing else listens: not on another address of the hub
        run("ip", "-n", hub_netns, "addr", "add", "10.77.0.2/24", "dev", "wlan0")
        assert _mqtt(hub_netns, "10.77.0.2", port).get("connect") == "refused"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()
    # persistence was written on shutdown
    assert (persist / "mosquitto.db").exists()


SUBSCRIBE_ONE = r"""
import sys
import paho.mqtt.client as mqtt
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="watcher")
c.on_connect = lambda cl, u, f, rc, p=None: cl.subscribe("canopy/#", qos=1)
def on_message(cl, u, msg):
    print(msg.topic, msg.payload.decode(), flush=True)
    cl.disconnect()
c.on_message = on_message
c.connect(sys.argv[1], int(sys.argv[2]))
c.loop_forever()
"""

PUBLISH = r"""
import sys
import paho.mqtt.client as mqtt
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="pub")
c.connect(sys.argv[1], int(sys.argv[2]))
c.loop_start()
for topic in sys.argv[3:]:
    c.publish(topic, "hello", qos=1).wait_for_publish(5)
c.loop_stop()
c.disconnect()
"""


def _start_broker(
    ns: str, tmp: Path, name: str, port: int, subnet: str, *extra: str
) -> subprocess.Popen[bytes]:
    persist = tmp / f"{name}-db"
    persist.mkdir()
    out = render_tree(
        tmp / f"{name}-out",
        "--name", name, "--subnet", subnet, "--mqtt-port", str(port),
        "--mosquitto-dir", str(persist), *extra,
    )  # fmt: skip
    acl = tmp / f"{name}.acl"
    acl.write_text((out / "etc/mosquitto/canopy.acl").read_text())
    passwd = tmp / f"{name}.passwd"
    run(require("mosquitto_passwd"), "-c", "-b", str(passwd), "canopy-bridge", "group-secret")
    text = (out / "etc/mosquitto/mosquitto.conf").read_text()
    text = text.replace("/etc/mosquitto/canopy.acl", str(acl))
    text = text.replace("/etc/mosquitto/canopy.passwd", str(passwd))
    conf = tmp / f"{name}.conf"
    conf.write_text("user root\n" + text.replace("log_dest syslog", "log_dest stderr"))
    return subprocess.Popen(
        ["ip", "netns", "exec", ns, require("mosquitto"), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_bridge_carries_only_the_hubs_own_topics(tmp_path: Path, hub_netns: str) -> None:
    """Two hubs' brokers (2.0.11 with the work-arounds): alpha's own topics reach beta."""
    run("ip", "-n", hub_netns, "addr", "add", "10.77.0.20/24", "dev", "wlan0")
    secret = tmp_path / "secret"
    secret.write_text("group-secret\n")
    procs = [
        _start_broker(hub_netns, tmp_path, "beta", 18841, "10.77.0.20/24"),
        _start_broker(
            hub_netns, tmp_path, "alpha", 18840, "10.77.0.1/24",
            "--hub-id", "0123456789abcdef",
            "--bridge", "beta=10.77.0.20:18841", "--bridge-secret", str(secret),
        ),
    ]  # fmt: skip
    ns = ["ip", "netns", "exec", hub_netns, sys.executable, "-c"]
    try:
        for port in (18841, 18840):
            wait_for(
                lambda port=port: _mqtt(hub_netns, "127.0.0.1", port).get("rc") == 0,
                20,
                what=f"mosquitto on {port} to accept a client",
                interval=0.1,
            )
        watcher = subprocess.Popen(
            [*ns, SUBSCRIBE_ONE, "127.0.0.1", "18841"], stdout=subprocess.PIPE, text=True
        )
        try:

            def bridged() -> bool:
                """Publish on alpha until the watcher on beta got one message and left:
                the bridge connects in its own time, and nothing is queued before."""
                if watcher.poll() is not None:
                    return True
                run(*ns, PUBLISH, "127.0.0.1", "18840",
                    "canopy/v1/fedcba9876543210/log/not-ours",
                    "canopy/v1/0123456789abcdef/log/ours")  # fmt: skip
                return False

            wait_for(bridged, 60, what="a message bridged from alpha to beta", interval=0.2)
            got, _ = watcher.communicate(timeout=10)
        finally:
            if watcher.poll() is None:
                watcher.kill()
                watcher.wait()
        assert got.strip() == "canopy/v1/0123456789abcdef/log/ours hello"
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)


def test_repo_examples_match_a_default_render(tmp_path: Path) -> None:
    out = render_tree(tmp_path / "o")
    # the ACL is the MQTT reference one, word for word
    rendered_acl = (out / "etc/mosquitto/canopy.acl").read_text().split("\n", 1)[1]
    assert rendered_acl == (REPO / "deploy/mosquitto/acl").read_text()
    examples = REPO / "deploy" / "examples"
    for name, rel in (
        ("mosquitto.conf", "etc/mosquitto/mosquitto.conf"),
        ("canopy.acl", "etc/mosquitto/canopy.acl"),
    ):
        assert (examples / name).read_text() == (out / rel).read_text(), name
