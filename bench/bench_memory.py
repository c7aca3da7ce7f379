"""The whole hub's memory in a running neighbourhood, as a Pi Zero 2 W (512 MB) would hold it.

Starts what a hub runs, each as the deployed units start it: Mosquitto (the repository's
config), the daemon (`canopy run` with a radio, a simulated Meshtastic node from
`canopy sim`, and MQTT), the portal (`canopy portal`: nginx in front of the gunicorn master
and its workers, default worker count) and dnsmasq (DNS on loopback; the deployed one also
serves DHCP on the Wi-Fi, whose lease table is a few kilobytes). It lets the hub settle,
asks the portal for its pages so every worker has loaded them, then sums the
proportional set size (PSS, from /proc/PID/smaps_rollup: shared pages divided among the
processes sharing them) of every process of the hub. The simulated radio is not the hub
and is not counted.

    .venv/bin/python bench/bench_memory.py [--settle 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support import Broker  # noqa: E402

HERE_BIN = Path(sys.executable).parent
CANOPY = str(HERE_BIN / "canopy") if (HERE_BIN / "canopy").exists() else shutil.which("canopy")
PAGES = (
    "/",
    "/log",
    "/alerts",
    "/charter",
    "/partners",
    "/protocols",
    "/hubs",
    "/audits",
    "/verify",
    "/api/v1/entries",
    "/steward/checkin",
    "/compact",
    "/log?lang=es",
    "/generate_204",
    "/healthz",
)


def verdict(ok: bool) -> str:
    return "OK" if ok else "OVER BUDGET"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    name: str
    pss_mb: float
    rss_mb: float
    uss_mb: float = 0.0  # private pages only: what the process alone holds


def _rollup(pid: int) -> tuple[float, float]:
    """(PSS, RSS) in MB from /proc/PID/smaps_rollup."""
    kb = _rollup_kb(pid)
    return kb.get("Pss", 0) / 1024, kb.get("Rss", 0) / 1024


def _rollup_kb(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, rest = line.partition(":")
        if rest.strip().endswith("kB"):
            out[key] = int(rest.split()[0])
    return out


def uss_mb(pid: int) -> float:
    kb = _rollup_kb(pid)
    return (kb.get("Private_Clean", 0) + kb.get("Private_Dirty", 0)) / 1024


FLOOR = (
    "import re, gunicorn.app.wsgiapp, gunicorn.workers.gthread, flask, flask_babel, jinja2\n"
    "print(re.search(r'VmRSS:\\s+(\\d+)', open('/proc/self/status').read()).group(1))"
)


def stack_floor_mb() -> float:
    """RSS of a bare Python that has only imported the portal's third-party stack (gunicorn's
    threaded worker, Flask, Flask-Babel, Jinja): what any worker holds before Canopy."""
    out = subprocess.run([sys.executable, "-c", FLOOR], capture_output=True, text=True)
    return int(out.stdout.strip() or 0) / 1024


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        kids.setdefault(ppid, []).append(int(d.name))
    return kids


def tree(pid: int) -> list[int]:
    kids, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def describe(pid: int) -> Proc:
    raw = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    args = [a.decode(errors="replace") for a in raw if a]
    line = " ".join(args)
    if "gunicorn" in line:
        name = "gunicorn"
    elif line.startswith("nginx"):
        name = " ".join(args[:3])
    else:
        name = " ".join(Path(a).name for a in args[:3])
    stat = Path(f"/proc/{pid}/stat").read_text()
    ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
    pss, rss = _rollup(pid)
    return Proc(pid, ppid, name, pss, rss)


@contextmanager
def process(
    args: list[str], env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


def wait_ready(notify: socket.socket, proc: subprocess.Popen[bytes], what: str) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 60:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise SystemExit(f"{what} exited {proc.returncode}:\n{err[-2000:]}")
        try:
            if b"READY=1" in notify.recv(4096):
                return time.perf_counter() - t0
        except TimeoutError:
            continue
    raise SystemExit(f"{what} sent no READY=1 within 60 s")


def wait_http(url: str, proc: subprocess.Popen[bytes], what: str) -> None:
    t0 = time.perf_counter()
    while True:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise SystemExit(f"{what} exited {proc.returncode}:\n{err[-2000:]}")
        if time.perf_counter() - t0 > 60:
            raise SystemExit(f"{what} did not answer within 60 s")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                json.loads(r.read())
                return
        except OSError:
            time.sleep(0.05)


def dnsmasq(stack: ExitStack) -> int | None:
    binary = shutil.which("dnsmasq", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if binary is None:
        print("dnsmasq: not installed here, not counted (apt-get install dnsmasq)")
        return None
    port = free_port()
    proc = stack.enter_context(
        process(
            [binary, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
             "--no-hosts", f"--port={port}", "--listen-address=127.0.0.1", "--bind-interfaces",
             "--address=/#/198.18.0.1", "--user=" + (os.environ.get("USER") or "root"),
             "--pid-file="]
        )
    )  # fmt: skip
    time.sleep(0.3)
    if proc.poll() is not None:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        print(f"dnsmasq: could not start here ({err.strip()[-200:]}), not counted")
        return None
    return proc.pid


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--settle", type=float, default=3.0, help="seconds to let the hub settle")
    args = ap.parse_args()
    if not CANOPY:
        print("canopy is not installed: run `make setup`", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="canopy-bench-memory-") as d, ExitStack() as stack:
        tmp = Path(d)
        data = tmp / "hub"
        subprocess.run([CANOPY, "init", "--name", "Bench Memory", "--data", str(data)],
                       check=True, capture_output=True)  # fmt: skip
        broker = Broker(tmp)
        broker.start()
        stack.callback(broker.kill, 15)
        assert broker.proc is not None
        sim_port = free_port()
        sim = stack.enter_context(process([CANOPY, "sim", "-n", "2", "--base-port", str(sim_port)]))
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", sim_port)) == 0:
                    break
            if sim.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("canopy sim did not start")
            time.sleep(0.1)
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(str(tmp / "notify.sock"))
        notify.settimeout(0.5)
        stack.callback(notify.close)
        daemon = stack.enter_context(
            process(
                [CANOPY, "run", "--data", str(data), "--radio", f"tcp://127.0.0.1:{sim_port}",
                 "--mqtt", f"mqtt://127.0.0.1:{broker.port}"],
                env={**os.environ, "NOTIFY_SOCKET": str(tmp / "notify.sock")},
            )
        )  # fmt: skip
        ready = wait_ready(notify, daemon, "canopy run")
        port = free_port()
        portal = stack.enter_context(
            process([CANOPY, "portal", "--data", str(data), "--bind", f"127.0.0.1:{port}"])
        )
        wait_http(f"http://127.0.0.1:{port}/healthz", portal, "canopy portal")
        dns = dnsmasq(stack)
        for _ in range(3):  # every worker serves every page at least once, most likely
            for page in PAGES:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}{page}", timeout=10).read()
                except OSError as e:
                    print(f"  (GET {page}: {e})")
        time.sleep(args.settle)
        groups = {
            "daemon": [daemon.pid],
            "portal": tree(portal.pid),
            "mosquitto": [broker.proc.pid],
            **({"dnsmasq": [dns]} if dns else {}),
        }
        procs = {g: [describe(p) for p in pids] for g, pids in groups.items()}
        guns = {p.pid for p in procs["portal"] if p.name == "gunicorn"}
        procs["portal"] = [
            replace(p, name="gunicorn worker" if p.ppid in guns else "gunicorn master")
            if p.pid in guns
            else p
            for p in procs["portal"]
        ]
        print(f"daemon start to READY=1, radio and MQTT: {ready * 1e3:.0f} ms (reported, no limit)")
        total = 0.0
        for group, ps in procs.items():
            for p in ps:
                total += p.pss_mb
                print(
                    f"  {group:9} {p.name[:48]:48} PSS {p.pss_mb:6.1f} MB  RSS {p.rss_mb:6.1f} MB"
                )
        ok_total = total <= 150
        print(f"whole hub PSS ({sum(len(v) for v in procs.values())} processes): {total:.1f} MB "
              f"(budget <= 150) {verdict(ok_total)}")  # fmt: skip
        d_rss = procs["daemon"][0].rss_mb
        ok_daemon = d_rss <= 45
        print(f"daemon RSS in a running neighbourhood: {d_rss:.1f} MB (budget <= 45) "
              f"{verdict(ok_daemon)}")  # fmt: skip
        workers = [p for p in procs["portal"] if p.name == "gunicorn worker"]
        for i, w in enumerate(workers, 1):
            w = replace(w, uss_mb=uss_mb(w.pid))
            print(f"  portal worker {i}: PSS {w.pss_mb:.1f} MB, USS {w.uss_mb:.1f} MB (its own "
                  f"pages; the rest is shared with the master), RSS {w.rss_mb:.1f} MB "
                  f"(budget <= 30) {verdict(w.rss_mb <= 30)}")  # fmt: skip
        worst = max((p.rss_mb for p in workers), default=0.0)
        ok_workers = bool(workers) and worst <= 30
        print(f"portal workers: {len(workers)}, largest RSS {worst:.1f} MB (budget <= 30 each) "
              f"{verdict(ok_workers)}")  # fmt: skip
        print(f"  floor: gunicorn + Flask + Flask-Babel + Jinja alone, before any Canopy "
              f"code: {stack_floor_mb():.1f} MB RSS")  # fmt: skip
    return 0 if ok_total and ok_daemon and ok_workers else 1


if __name__ == "__main__":
    sys.exit(main())
