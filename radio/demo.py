"""`canopy demo`: a simulated neighbourhood — virtual radios, a hub, its portal and MQTT.

It starts a simulated LoRa mesh (`canopy sim`), a hub attached to node 0 (`canopy run`),
the captive portal (`canopy portal`) and, when Mosquitto is installed, a local broker the
hub publishes to. Scripted stewards on nodes 1–3 enrol, check in, report an incident and
receive a coordinator's alert; node 4 is left free for you to join with the `meshtastic`
CLI. Two more shops' hubs (the Bakery on node 5, the Laundromat on node 6) federate with the
corner shop and keep its log over the mesh: an entry written at one shop appears at the
others, and on the Bakery's own portal. Everything runs on 127.0.0.1 and stops on Ctrl-C
(or at once with ``--once``).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click

from hub.cli import data_option
from radio.adapter import RadioAdapter
from radio.events import Connected, RadioEvent, TextReceived
from radio.sim import free_port_range, running_sim

CHARTER = """# Our charter

We walk our streets at night so that neighbours get home safely.

1. We observe, we help, we de-escalate. We never detain or punish anyone.
2. Everything we do is written in a public log that anyone can check.
3. Every role rotates; no one holds one for long.
"""
PROTOCOL = """# De-escalation

Keep distance, keep calm, speak slowly. Two stewards always, never one alone.
Call for outside help when someone is hurt, or when anyone asks for it.
"""
MARKER = ".canopy-demo"
SYNC = ("--sync-imin", "5", "--sync-imax", "120")  # a lively demo; the defaults are calmer
PORTAL = (sys.executable, "-m", "hub", "portal")


def _holds(data: Path, feed: str, text: str) -> bool:
    """Does the hub at ``data`` hold an entry of ``feed`` that says ``text``?"""
    try:
        return text in _canopy(data, "log", "show", "--feed", feed)
    except click.ClickException:  # no replica of that feed yet
        return False


def _federate(hubs: list[Path]) -> None:
    """Every hub adds every other as a peer (a signed `peer` entry each)."""
    keys = {h: json.loads(_canopy(h, "id", "--json"))["vkey"] for h in hubs}
    for h in hubs:
        for other in hubs:
            if other != h:
                _canopy(h, "peer", "add", keys[other])


def _canopy(data: Path, *args: str) -> str:
    cmd = [sys.executable, "-m", "hub", *args, "--data", str(data)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise click.ClickException(f"canopy {' '.join(args)} failed: {p.stderr.strip()}")
    return p.stdout


class Handheld:
    """A steward's radio: the real meshtastic library, through Canopy's adapter."""

    def __init__(self, name: str, port: int, hub_num: int, echo: bool = True) -> None:
        self.name = name
        self.hub_num = hub_num
        self.echo = echo
        self.heard: list[str] = []
        self._connected = threading.Event()
        self.adapter = RadioAdapter(f"tcp://127.0.0.1:{port}", on_event=self._on_event)

    def _on_event(self, event: RadioEvent) -> None:
        if isinstance(event, Connected):
            self._connected.set()
        elif isinstance(event, TextReceived) and event.from_num == self.hub_num:
            self.heard.append(event.text)
            if self.echo:
                shown = event.text.replace("\a", "🔔 ")
                click.echo(f"    {self.name:>6} ⟵ hub: {shown}")

    def start(self) -> None:
        self.adapter.start()
        if not self._connected.wait(15):
            raise click.ClickException(f"{self.name}'s radio did not connect")

    def say(self, text: str, wait: float = 2.0) -> None:
        click.echo(f"{self.name:>10} ⟶ hub: {text}")
        self.adapter.send_text(text, dest=self.hub_num)
        time.sleep(wait)

    def stop(self) -> None:
        self.adapter.stop()


@contextmanager
def _process(cmd: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_for(
    check: object,
    what: str,
    timeout: float = 60.0,
    proc: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    """Until ``check()`` holds. A process starting on a Pi or a busy machine may take a
    while (the portal's workers import Flask); one that exits is reported at once, with
    its log."""
    deadline = time.monotonic() + timeout
    see = f"; see {log}" if log is not None else ""
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            raise click.ClickException(f"{what} exited ({proc.returncode}){see}")
        time.sleep(0.1)
    raise click.ClickException(f"{what} did not come up in {timeout:.0f} s{see}")


def _start(stack: ExitStack, cmd: list[str], log: Path, what: str, check: object) -> None:
    """Start ``cmd`` (output to ``log``, stopped with ``stack``) and wait until it is up."""
    proc = stack.enter_context(_process(cmd, log))
    _wait_for(check, what, proc=proc, log=log)


def _http_text(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=5) as r:
        return str(r.read().decode("utf-8"))


def _http_ok(url: str) -> bool:
    import urllib.request

    with urllib.request.urlopen(url, timeout=2) as r:
        return bool(r.status == 200)


def _show_retained(port: int) -> None:
    """Print the retained topics (hub status, active alerts) as a dashboard would see them."""
    if not shutil.which("mosquitto_sub"):
        return
    p = subprocess.run(
        [
            "mosquitto_sub",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-t",
            "canopy/v1/+/status",
            "-t",
            "canopy/v1/+/alerts",
            "-v",
            "-C",
            "2",
            "-W",
            "3",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    for line in p.stdout.splitlines():
        click.echo(f"    {line[:160]}")


def _fresh(data: Path) -> None:
    if data.exists():
        if not (data / MARKER).exists():
            raise click.ClickException(f"{data} exists and is not a demo directory; pick another")
        shutil.rmtree(data)
    data.mkdir(parents=True)
    (data / MARKER).write_text("created by `canopy demo`; deleted by the next run\n")


@click.command("demo")
@data_option
@click.option("--portal-port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option("--once", is_flag=True, help="Run the script, verify the log and stop.")
def demo_cmd(data: Path | None, portal_port: int, once: bool) -> None:
    """Run a simulated neighbourhood: virtual radios, a hub, its portal and MQTT."""
    root = data or Path("demo-data")
    _fresh(root)
    hub = root / "hub"
    shops = {"Bakery": root / "bakery", "Laundromat": root / "laundromat"}
    logs = root / "logs"
    logs.mkdir()
    _canopy(hub, "init", "--name", "Corner Shop")
    for name, d in shops.items():
        _canopy(d, "init", "--name", name)
    _federate([hub, *shops.values()])
    (root / "charter.md").write_text(CHARTER)
    (root / "protocol.md").write_text(PROTOCOL)
    _canopy(hub, "charter", "set", str(root / "charter.md"))
    _canopy(hub, "protocol", "set", "de-escalation", str(root / "protocol.md"))
    _canopy(
        hub,
        "partner",
        "add",
        "--name",
        "Corner Shop",
        "--vow",
        "Our door is open until midnight for anyone who feels unsafe.",
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda s, f: stop.set())

    with ExitStack() as stack:
        click.echo("starting a simulated mesh of 7 virtual radios…")
        sim = stack.enter_context(running_sim(nodes=7, topology="full", speed=10.0, workdir=logs))
        hub_num = sim.node_num(0)
        run = [
            sys.executable,
            "-m",
            "hub",
            "run",
            "--data",
            str(hub),
            "--radio",
            f"tcp://127.0.0.1:{sim.ports[0]}",
            "--alert-ack-timeout",
            "15",
            *SYNC,
        ]
        mqtt_port = 0
        if shutil.which("mosquitto"):
            mqtt_port = free_port_range(1)
            stack.enter_context(
                _process(["mosquitto", "-p", str(mqtt_port)], logs / "mosquitto.log")
            )
            run += ["--mqtt", f"mqtt://127.0.0.1:{mqtt_port}"]
        _start(stack, run, logs / "hub.log", "the hub daemon", lambda: (hub / "hub.sock").exists())
        portal = f"http://127.0.0.1:{portal_port}/"
        _start(
            stack,
            [*PORTAL, "--data", str(hub), "--bind", f"127.0.0.1:{portal_port}"],
            logs / "portal.log",
            "the portal",
            lambda: _http_ok(portal + "healthz"),
        )
        for i, d in enumerate(shops.values(), start=5):
            radio = f"tcp://127.0.0.1:{sim.ports[i]}"
            _start(
                stack,
                [sys.executable, "-m", "hub", "run", "--data", str(d), "--radio", radio, *SYNC],
                logs / f"{d.name}.log",
                f"the {d.name} hub",
                lambda d=d: (d / "hub.sock").exists(),
            )
        bakery = shops["Bakery"]
        bakery_portal = f"http://127.0.0.1:{portal_port + 1}/"
        _start(
            stack,
            [*PORTAL, "--data", str(bakery), "--bind", f"127.0.0.1:{portal_port + 1}"],
            logs / "bakery-portal.log",
            "the Bakery's portal",
            lambda: _http_ok(bakery_portal + "healthz"),
        )

        radios = {
            name: Handheld(name, sim.ports[i], hub_num)
            for i, name in enumerate(("coord", "alice", "bob"), start=1)
        }
        for r in radios.values():
            r.start()
            stack.callback(r.stop)
        click.echo("\n— stewards enrol by sending the hub a one-time code —")
        for name, r in radios.items():
            role = "coordinator" if name == "coord" else "steward"
            invite = json.loads(
                _canopy(hub, "roster", "invite", "--handle", name, "--role", role, "--json")
            )
            r.say(f"JOIN {invite['code']}")
        click.echo("\n— a patrol starts —")
        radios["alice"].say("IN 45 north loop")
        radios["bob"].say("IN 30 market square")
        radios["alice"].say("INC damage Elm St")  # public part only: no review key in the demo
        radios["coord"].say("WHO")
        click.echo("\n— the coordinator alerts every radio —")
        radios["coord"].say("ALERT Smoke near the school, keep clear", wait=4.0)
        radios["bob"].say("ACK")
        click.echo(_canopy(hub, "alerts"))
        radios["alice"].say("OUT all quiet")

        click.echo("\n— the other shops' hubs keep the corner shop's log, over the mesh —")
        feed = json.loads(_canopy(hub, "id", "--json"))["feed"]
        incident = "Elm St"
        for name, d in shops.items():
            _wait_for(
                lambda d=d: _holds(d, feed, incident),
                f"the incident at the {name}",
                timeout=120,
            )
            status = json.loads(_canopy(d, "sync", "status", "--json"))
            held = next(f for f in status["feeds"] if f["feed"] == feed)
            click.echo(
                f"    at the {name}: {held['held']} entries of the corner shop's log, "
                f"incl. “{incident}”; sync airtime {status['airtime_s_this_hour']:.1f} s"
            )
        on_portal = f"{bakery_portal}log?hub={feed[:16]}"
        _wait_for(lambda: incident in _http_text(on_portal), "the incident on the Bakery's portal")
        click.echo(f"    on the Bakery's portal: {on_portal}")

        bundle = root / "bundle"
        _canopy(hub, "log", "export", "--out", str(bundle))
        verified = subprocess.run(
            [sys.executable, "-m", "hub", "log", "verify", str(bundle)],
            capture_output=True,
            text=True,
            check=False,
        )
        click.echo(f"\nlog verification: {verified.stdout.strip() or verified.stderr.strip()}")
        if verified.returncode != 0:
            raise click.ClickException("the demo log did not verify")
        click.echo(f"""
The simulated neighbourhood is running.
  portal (the shop Wi-Fi page):  {portal}
  join the mesh as node 4:       meshtastic --host 127.0.0.1:{sim.ports[4]} \\
                                   --sendtext HELP --dest '!{hub_num:08x}'
  and read the hub's answer:     meshtastic --host 127.0.0.1:{sim.ports[4]} --listen
  the public log:                canopy log show --data {hub}
  the Bakery's portal:           {bakery_portal}
  the corner shop's log there:   canopy log show --data {bakery} --feed {feed}
  sync, as the Bakery sees it:   canopy sync status --data {bakery}""")
        if mqtt_port:
            click.echo(
                f"  MQTT topics:                   mosquitto_sub -h 127.0.0.1 "
                f"-p {mqtt_port} -t 'canopy/v1/#' -v"
            )
            _show_retained(mqtt_port)
        if once:
            return
        click.echo("\nA steward logs a patrol note every 30 s. Ctrl-C to stop.")
        n = 0
        try:
            while not stop.wait(30):
                n += 1
                radios["bob"].say(f"LOG round {n}: market square quiet", wait=0)
        except KeyboardInterrupt:
            click.echo("\nstopping…")
