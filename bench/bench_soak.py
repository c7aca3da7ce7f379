"""Soak: minutes of mixed load on a whole hub, checking that nothing grows or leaks.

Real parts: Mosquitto, the mesh simulator, `canopy run` on a simulated radio with MQTT,
and `canopy portal` (nginx in front of gunicorn). For ``--seconds`` (default 180) a steward
sends check-ins, notes and questions over the mesh and waits for each answer; portal pages
are loaded (including ones with unknown query strings); the hub's MQTT commands are
published, malformed ones too; halfway the broker is killed for 10 s and started again.
Every 5 s the daemon's and the portal's memory (RSS, master and workers) and open file
descriptors are sampled.

Budgets (issue #16): after warm-up (the first third) RSS grows <= 5 % and open files stay
flat (the most open in the second half of the rest at most 3 more than in the first half
for the daemon, 32 for the portal, whose nginx keeps up to 16 idle upstream connections);
acknowledged notes lost 0; tracebacks in the daemon and portal logs 0;
the slowest steward reply is printed.

    .venv/bin/python bench/bench_soak.py [--seconds 180]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import paho.mqtt.publish as publish  # noqa: E402
from support import Broker, Handheld, free_port, stop, wait_for  # noqa: E402

from hub.daemon import call  # noqa: E402
from hub.errors import HubError  # noqa: E402
from hub.mqtt.topics import Topics  # noqa: E402
from radio.sim.testing import running_sim  # noqa: E402

CANOPY = Path(sys.executable).parent / "canopy"
PAGES = ["/", "/log", "/alerts", "/charter", "/log?kind=note", "/healthz"]


def verdict(ok: bool) -> str:
    return "OK" if ok else "OVER BUDGET"


def canopy(*args: str, data: Path) -> str:
    done = subprocess.run([str(CANOPY), *args, "--data", str(data)], capture_output=True,
                          text=True, check=True, timeout=120)  # fmt: skip
    return done.stdout


def up(probe: Callable[[], object]) -> bool:
    try:
        probe()
        return True
    except (OSError, HubError):  # not listening yet
        return False


def tree(pid: int) -> list[int]:
    """The process and its descendants (the portal: canopy portal, gunicorn, nginx)."""
    out = [pid]
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        out += tree(int(child))
    return out


def sample(pid: int) -> tuple[int, int]:
    """RSS (kB) and open file descriptors of a process tree."""
    rss = fds = 0
    for p in tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
            rss += int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]
            fds += len(list(Path(f"/proc/{p}/fd").iterdir()))
        except (FileNotFoundError, ProcessLookupError):
            continue  # a worker recycled between the listing and the read
    return rss, fds


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=180.0)
    args = ap.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="canopy-soak-") as tmp_name:
        tmp = Path(tmp_name)
        data = tmp / "hub"
        canopy("init", "--name", "Soak Shop", data=data)
        feed = json.loads(canopy("id", "--json", data=data))["feed"]
        broker = Broker(tmp)
        broker.start()
        port = free_port()
        with (
            running_sim(nodes=2, topology="full") as sim,
            open(tmp / "daemon.log", "wb") as dlog,
            open(tmp / "portal.log", "wb") as plog,
        ):
            daemon = subprocess.Popen(
                [str(CANOPY), "run", "--data", str(data), "--radio",
                 f"tcp://127.0.0.1:{sim.ports[0]}", "--mqtt", broker.url],
                stdout=dlog, stderr=subprocess.STDOUT,
            )  # fmt: skip
            portal = subprocess.Popen(
                [str(CANOPY), "portal", "--data", str(data), "--bind", f"127.0.0.1:{port}"],
                stdout=plog, stderr=subprocess.STDOUT,
            )  # fmt: skip
            radio = None
            try:
                base = f"http://127.0.0.1:{port}"
                wait_for(lambda: up(lambda: call(data / "hub.sock", "ping")), 120, "the daemon")
                wait_for(lambda: up(lambda: urllib.request.urlopen(base + "/healthz", timeout=5)),
                         60, what="the portal")  # fmt: skip
                code = json.loads(canopy("roster", "invite", "--handle", "mara", "--json",
                                         data=data))["code"]  # fmt: skip
                radio = Handheld(sim.ports[1], sim.node_num(1), sim.node_num(0))
                radio.ask(f"JOIN {code}", lambda t: t.startswith("Welcome"), timeout=120)
                topics = Topics(feed)
                samples: list[tuple[float, int, int, int, int]] = []
                acked: list[str] = []
                slowest, i, outage = 0.0, 0, False
                t0 = time.monotonic()
                next_sample = next_command = t0
                commands = 0
                while (now := time.monotonic()) - t0 < args.seconds:
                    i += 1
                    if now >= next_command:  # a steward may send one command per 3 s
                        next_command = now + 3.5
                        words = ["IN 30 soak loop", f"LOG soak note {i}", "WHO", "OUT"][i % 4]
                        asked = time.monotonic()
                        reply = radio.ask(words, lambda t: t != "soak", timeout=60)
                        slowest = max(slowest, time.monotonic() - asked)
                        commands += 1
                        if words.startswith("LOG") and reply.startswith("Note recorded"):
                            acked.append(words.removeprefix("LOG "))
                    for k, page in enumerate(PAGES):
                        sep = "&" if "?" in page else "?"
                        url = base + page + (f"{sep}n={i}" if k % 2 else "")
                        with urllib.request.urlopen(url, timeout=10) as r:
                            r.read()
                    cmds = [b'{"text": "soak", "to": null, "channel": 0}', b"{bad", b"\xff" * 40]
                    with contextlib.suppress(OSError):  # the broker is down for the outage
                        publish.multiple([(topics.cmd_send, c, 0, False) for c in cmds],
                                         hostname="127.0.0.1", port=broker.port)  # fmt: skip
                    if not outage and now - t0 > args.seconds / 2:
                        outage = True
                        broker.kill()
                        time.sleep(10)
                        broker.start()
                    if now >= next_sample:
                        next_sample += 5
                        drss, dfds = sample(daemon.pid)
                        prss, pfds = sample(portal.pid)
                        samples.append((now - t0, drss, dfds, prss, pfds))
                    time.sleep(0.5)
            finally:
                if radio is not None:
                    radio.close()
                for proc in (portal, daemon):
                    stop(proc)
                broker.kill()
        shown = canopy("log", "show", "--kind", "note", "--json", data=data)
        lost = [t for t in acked if t not in shown]
        warm = [s for s in samples if s[0] >= args.seconds / 3]
        first, last = warm[0], warm[-1]
        # open files move with connections in flight: the portal's nginx keeps up to 16 idle
        # connections to gunicorn (both ends open), so a leak is what passes that
        for name, rss_i, fd_i, slack in (("daemon", 1, 2, 3), ("portal", 3, 4, 32)):
            growth = (last[rss_i] - first[rss_i]) / first[rss_i]
            fds = [s[fd_i] for s in warm]
            early, late = max(fds[: len(fds) // 2 or 1]), max(fds[len(fds) // 2 :])
            good = growth <= 0.05 and late - early <= slack
            ok &= good
            print(
                f"  {name:<7} RSS {first[rss_i] / 1024:6.1f} -> {last[rss_i] / 1024:6.1f} MB"
                f" ({growth:+.1%}, <= +5%)  open files at most {early} -> {late}"
                f" (<= +{slack})  {verdict(good)}"
            )
        logs = (tmp / "daemon.log", tmp / "portal.log")
        tracebacks = sum(p.read_text(errors="replace").count("Traceback") for p in logs)
        ok &= tracebacks == 0 and not lost
        print(f"  {i} rounds in {args.seconds:.0f} s ({len(PAGES)} pages and 3 MQTT commands "
              f"each, {commands} steward commands; the broker down 10 s halfway)")  # fmt: skip
        print(f"  acknowledged notes lost {len(lost)} of {len(acked)}   budget 0   "
              f"{verdict(not lost)}")  # fmt: skip
        print(f"  tracebacks in the logs {tracebacks}   budget 0   {verdict(tracebacks == 0)}")
        print(f"  slowest steward reply {slowest * 1000:,.0f} ms (simulated mesh, 50x speed)")
    print("all soak budgets met" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
