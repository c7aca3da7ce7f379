"""The captive network end to end, without Wi-Fi hardware.

A "hub" and a "phone" network namespace are joined by a veth pair; the rendered dnsmasq
and nftables run in the hub namespace (the veth plays the Wi-Fi interface), the phone
gets its lease with ``busybox udhcpc`` and asks what a phone asks.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from deploy_helpers import CANOPY, NetnsPair, make_netns_pair, render_tree, require, run
from support import wait_for

ADDRESS = "198.18.0.1"
HUB_IP = "10.77.0.1"
PORTAL_PORT = 8080

PROBES = {
    "android": ("connectivitycheck.gstatic.com", "/generate_204"),
    "chromeos": ("clients3.google.com", "/generate_204"),
    "apple": ("captive.apple.com", "/hotspot-detect.html"),
    "windows": ("www.msftconnecttest.com", "/connecttest.txt"),
    "firefox": ("detectportal.firefox.com", "/canonical.html"),
    "firefox_txt": ("detectportal.firefox.com", "/success.txt"),
    "networkmanager": ("nmcheck.gnome.org", "/check_network_status.txt"),
}

# Runs inside the phone namespace: HTTP/HTTPS requests exactly as a phone makes them.
CLIENT = r"""
import http.client, json, socket, sys
req = json.loads(sys.argv[1])
out = {}
if req["kind"] == "http":
    conn = http.client.HTTPConnection(req["ip"], req.get("port", 80), timeout=5)
    conn.request(req.get("method", "GET"), req["path"], body=req.get("body"),
                 headers={"Host": req["host"], "User-Agent": "CaptiveNetworkSupport",
                          "Content-Type": "application/x-www-form-urlencoded"})
    r = conn.getresponse()
    out = {"status": r.status, "location": r.getheader("Location"),
           "body": r.read(65536).decode("utf-8", "replace")}
elif req["kind"] == "enter":
    # what a person does: open the portal page, tap the Enter button (a plain form)
    import re, urllib.parse
    conn = http.client.HTTPConnection(req["ip"], 80, timeout=5)
    conn.request("GET", "/", headers={"Host": req["ip"]})
    page = conn.getresponse().read().decode()
    form = re.search(r'<form method="post" action="([^"]*accept[^"]*)".*?</form>', page, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0)))
    conn.request("POST", form.group(1), body=urllib.parse.urlencode(fields),
                 headers={"Host": req["ip"], "Content-Type": "application/x-www-form-urlencoded"})
    r = conn.getresponse()
    out = {"status": r.status, "location": r.getheader("Location"), "fields": sorted(fields)}
    r.read()
elif req["kind"] == "tcp":
    s = socket.socket()
    s.settimeout(1.0)
    try:
        s.connect((req["ip"], req["port"]))
        out = {"result": "connected"}
    except ConnectionRefusedError:
        out = {"result": "reset"}
    except TimeoutError:
        out = {"result": "timeout"}
    except OSError as e:
        out = {"result": "error", "errno": e.errno}
print(json.dumps(out))
"""

# A stand-in behind the firewall: answers every request with the client's address.
ECHO_SERVER = r"""
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"client": self.client_address[0], "host": self.headers["Host"],
                           "path": self.path}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.HTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
"""


@dataclass
class Captive:
    pair: NetnsPair
    lease: dict[str, str]
    tmp: Path

    def phone(self, **req: object) -> dict[str, object]:
        cmd = self.pair.phone_cmd(sys.executable, "-c", CLIENT, json.dumps(req))
        out = run(*cmd, timeout=15).stdout
        result: dict[str, object] = json.loads(out)
        return result

    def dig(self, name: str, qtype: str) -> tuple[str, list[str]]:
        out = run(
            *self.pair.phone_cmd("dig", f"@{self.lease['dns']}", name, qtype, "+time=2", "+tries=1")
        ).stdout
        status = next(line for line in out.splitlines() if "status:" in line)
        rcode = status.split("status:")[1].split(",")[0].strip()
        answers = run(
            *self.pair.phone_cmd(
                "dig", f"@{self.lease['dns']}", name, qtype, "+short", "+time=2", "+tries=1"
            )
        ).stdout.split()
        return rcode, answers


def _wait_listening(pair: NetnsPair, ip: str, port: int, proc: subprocess.Popen[bytes]) -> None:
    probe = f"import socket; socket.create_connection(('{ip}', {port}), timeout=1).close()"

    def listening() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        return run(*pair.hub_cmd(sys.executable, "-c", probe), check=False).returncode == 0

    wait_for(listening, 60, what=f"something listening on {ip}:{port}", interval=0.1)


@pytest.fixture(scope="module")
def captive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Captive]:
    for tool in ("dnsmasq", "nft", "busybox", "dig"):
        require(tool)
    tmp_path = tmp_path_factory.mktemp("captive")
    with make_netns_pair() as pair:
        yield from _captive(pair, tmp_path)


def _captive(pair: NetnsPair, tmp_path: Path) -> Iterator[Captive]:
    out = render_tree(
        tmp_path / "out",
        "--iface",
        pair.hub_if,
        "--address",
        ADDRESS,
        "--subnet",
        f"{HUB_IP}/24",
        "--portal-port",
        str(PORTAL_PORT),
        "--name",
        "netns-hub",
    )
    # What systemd-networkd does on the Pi: the hub address and the portal address.
    run("ip", "-n", pair.hub, "addr", "add", f"{HUB_IP}/24", "dev", pair.hub_if)
    run("ip", "-n", pair.hub, "addr", "add", f"{ADDRESS}/32", "dev", pair.hub_if)
    run(*pair.hub_cmd("nft", "-f", str(out / "etc/nftables.conf")))
    # As canopy-dnsmasq.service runs it: user dnsmasq, never root, three capabilities.
    dns_dir = Path(tempfile.mkdtemp(prefix="canopy-dnsmasq-"))
    conf = dns_dir / "dnsmasq.conf"
    shutil.copy(out / "etc/canopy/dnsmasq.conf", conf)
    conf.chmod(0o644)
    os.chown(dns_dir, pwd.getpwnam("dnsmasq").pw_uid, -1)
    caps = "+net_bind_service,+net_admin,+net_raw"
    dnsmasq = subprocess.Popen(
        pair.hub_cmd(
            require("setpriv"), "--reuid=dnsmasq", "--regid=nogroup", "--clear-groups",
            f"--inh-caps={caps}", f"--ambient-caps={caps}",
            require("dnsmasq"), "--keep-in-foreground", f"--conf-file={conf}",
            f"--dhcp-leasefile={dns_dir / 'dnsmasq.leases'}",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        env_dir = tmp_path / "udhcpc"
        env_dir.mkdir()
        script = tmp_path / "udhcpc.sh"
        script.write_text(
            "#!/bin/sh\n"
            f'env > "{env_dir}/$1"\n'
            'case "$1" in bound|renew)\n'
            '  ip addr add "$ip/${mask:-24}" dev "$interface"\n'
            '  ip route add default via "$router" dev "$interface"\n'
            "esac\n"
        )
        script.chmod(0o755)
        udhcpc = run(
            *pair.phone_cmd(
                "busybox", "udhcpc", "-f", "-q", "-n", "-t", "10", "-T", "1",
                "-i", pair.phone_if, "-s", str(script),
            ),
            check=False,
            timeout=30,
        )  # fmt: skip
        if udhcpc.returncode != 0:
            dnsmasq.kill()
            assert dnsmasq.stderr is not None
            log = dnsmasq.stderr.read().decode(errors="replace")
            raise AssertionError(f"no lease: {udhcpc.stderr}\ndnsmasq: {log}")
        bound = env_dir / "bound"
        lease = dict(line.split("=", 1) for line in bound.read_text().splitlines() if "=" in line)
        yield Captive(pair, lease, tmp_path)
    finally:
        dnsmasq.kill()
        dnsmasq.wait(timeout=10)
        assert dnsmasq.stderr is not None
        dnsmasq.stderr.close()
        shutil.rmtree(dns_dir, ignore_errors=True)


def test_phone_gets_a_lease_with_option_114(captive: Captive) -> None:
    lease = captive.lease
    assert lease["router"] == HUB_IP
    assert lease["dns"] == HUB_IP
    assert lease["ip"].startswith("10.77.0.") and lease["ip"] != HUB_IP
    # busybox hands unknown options to the script as hex
    raw = lease.get("opt114", "")
    assert bytes.fromhex(raw).decode() == f"http://{ADDRESS}/"


def test_every_probe_host_resolves_to_the_portal(captive: Captive) -> None:
    for host, _path in PROBES.values():
        assert captive.dig(host, "A") == ("NOERROR", [ADDRESS]), host
    assert captive.dig("anything.example.org", "A") == ("NOERROR", [ADDRESS])


def test_aaaa_is_nodata_not_refused(captive: Captive) -> None:
    for host in ("connectivitycheck.gstatic.com", "captive.apple.com"):
        assert captive.dig(host, "AAAA") == ("NOERROR", [])


def test_https_is_reset_at_once_anywhere(captive: Captive) -> None:
    for ip in (ADDRESS, "142.250.180.14", "17.253.144.10"):
        assert captive.phone(kind="tcp", ip=ip, port=443) == {"result": "reset"}, ip


def test_other_ports_and_forwarding_go_nowhere(captive: Captive) -> None:
    # not forwarded, not answered: port 22 of the internet and of the hub
    assert captive.phone(kind="tcp", ip="142.250.180.14", port=22)["result"] != "connected"
    assert captive.phone(kind="tcp", ip=HUB_IP, port=22)["result"] == "timeout"


def test_port_80_anywhere_reaches_the_portal_port_with_the_phones_address(
    captive: Captive,
) -> None:
    pair = captive.pair
    server = subprocess.Popen(
        pair.hub_cmd(sys.executable, "-c", ECHO_SERVER, ADDRESS, str(PORTAL_PORT)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_listening(pair, ADDRESS, PORTAL_PORT, server)
        for ip in (ADDRESS, "8.8.8.8", HUB_IP):
            r = captive.phone(kind="http", ip=ip, host="captive.apple.com", path="/x")
            seen = json.loads(str(r["body"]))
            assert r["status"] == 200
            want = {"client": captive.lease["ip"], "host": "captive.apple.com", "path": "/x"}
            assert seen == want
    finally:
        server.kill()
        server.wait(timeout=10)


ONLINE = {
    "android": (204, None),
    "chromeos": (204, None),
    "apple": (200, "Success"),
    "windows": (200, "Microsoft Connect Test"),
    "firefox": (200, "https://support.mozilla.org/kb/captive-portal"),
    "firefox_txt": (200, "success"),
    "networkmanager": (200, "NetworkManager is online"),
}


def test_probes_redirect_until_enter_then_get_online_answers(
    captive: Captive, tmp_path: Path
) -> None:
    pair = captive.pair
    data = tmp_path / "hubdata"
    run(str(CANOPY), "init", "--name", "Netns Shop", "--data", str(data))
    # The whole front: nginx on the portal address, gunicorn behind it on a private unix
    # socket; per-client captive state must survive the proxy (X-Real-IP on that socket only).
    require("nginx")
    portal = subprocess.Popen(
        pair.hub_cmd(
            str(CANOPY), "portal", "--data", str(data),
            "--bind", f"{ADDRESS}:{PORTAL_PORT}", "--url", f"http://{ADDRESS}/",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_listening(pair, ADDRESS, PORTAL_PORT, portal)
        for name, (host, path) in PROBES.items():
            r = captive.phone(kind="http", ip=ADDRESS, host=host, path=path)
            assert r["status"] in (302, 303, 307), (name, r)
            assert str(r["location"]).startswith(f"http://{ADDRESS}"), (name, r)
        # the person taps "Enter"
        r = captive.phone(kind="enter", ip=ADDRESS)
        assert r["status"] in (200, 302, 303), r
        for name, (host, path) in PROBES.items():
            r = captive.phone(kind="http", ip=ADDRESS, host=host, path=path)
            status, text = ONLINE[name]
            assert r["status"] == status, (name, r)
            if text is not None:
                assert text in str(r["body"]), (name, r)
        # another client (the hub itself, a different address) is still captive
        other = run(
            *pair.hub_cmd(
                sys.executable,
                "-c",
                CLIENT,
                json.dumps({"kind": "http", "ip": ADDRESS, "port": PORTAL_PORT,
                            "host": "captive.apple.com", "path": "/hotspot-detect.html"}),
            )
        )  # fmt: skip
        assert json.loads(other.stdout)["status"] in (302, 303, 307)
    finally:
        portal.kill()
        portal.wait(timeout=10)
