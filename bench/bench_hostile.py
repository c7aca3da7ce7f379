"""The portal under hostile load, as deployed: nginx in front of gunicorn (`canopy portal`).

A hub with a realistic log (bench_portal's 2,000 entries) is served by `canopy portal`.
Beside it, in the same run, a plain nginx serves the same pages as static files (what a
front can do at best on this machine). Measured:

- 50 sockets sending request headers a byte at a time, held open, while normal page loads
  go on: the slowest normal load;
- requests/s and p99 at 64 connections, portal against static nginx, alternating rounds so
  that neither gets the quieter machine; and the same stack without the front's microcache
  (`--front-cache off`, what every request cost before), alternating with both. All 64
  connections come from one client, so the per-client home page is a repeat for the
  microcache as much as the shared pages are;
- the gzipped size of every public page as served.

Budgets (issue #16, docs/portal.md): every normal load with 50 slow clients <= 1 s; portal
req/s >= 25 % of static nginx; p99 <= 20 ms; every public page <= 3 kB compressed.

    .venv/bin/python bench/bench_hostile.py
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_portal import CONNECTIONS, PAGES, free_port, run_wrk, seed, verdict, wait_up

from portal.front import STATIC, render_nginx

SLOW = 50
ROUNDS = 3
SETTLE = 2.0  # seconds after each run without the microcache
LOADED = ["/", "/log"]


def get(port: int, path: str, gz: bool = False) -> tuple[int, bytes]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path, headers={"Accept-Encoding": "gzip"} if gz else {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def slow_clients(port: int, stop: threading.Event) -> list[socket.socket]:
    socks = []
    for _ in range(SLOW):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"G")
        socks.append(s)

    def trickle() -> None:
        line = b"ET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
        i = 0
        while not stop.wait(0.5):
            for s in socks:
                with contextlib.suppress(OSError):
                    s.sendall(line[i % len(line) : i % len(line) + 1])
            i += 1

    threading.Thread(target=trickle, daemon=True).start()
    return socks


def static_mirror(port: int, pages: dict[str, bytes], root: Path) -> subprocess.Popen[bytes]:
    """nginx serving the portal's pages as files, with the same gzip and headers."""
    site = root / "site"
    site.mkdir()
    for path, html in pages.items():
        name = "index.html" if path == "/" else path.strip("/") + ".html"
        (site / name).write_bytes(html)
    user = "root" if os.geteuid() == 0 else None  # as `canopy portal` does on a root box
    conf = render_nginx(
        f"127.0.0.1:{port}", str(root / "none.sock"), str(root), str(site), user=user
    )
    conf = conf.replace("location / {", "location /proxied-nowhere/ {")
    conf = conf.replace(
        "        location /static/ {", "        location = / { try_files /index.html =404; }\n"
        "        location ~ ^/(\\w+)$ { try_files /$1.html =404; }\n"
        "        location /static/ {",
    )  # fmt: skip
    conf = conf.replace(f"alias {site}/;", f"alias {STATIC}/;")
    conf = conf.replace("    server {", f"    server {{\n        root {site};", 1)
    (root / "static.conf").write_text(conf)
    return subprocess.Popen(["nginx", "-e", "stderr", "-c", str(root / "static.conf")])


def main() -> int:
    for tool in ("wrk", "nginx"):
        if shutil.which(tool, path="/usr/sbin:/usr/bin:/bin") is None:
            raise SystemExit(f"{tool} is needed (deploy/system-deps.sh test)")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "hub"
        seed(data)
        port, sport = free_port(), free_port()
        canopy = Path(sys.executable).parent / "canopy"
        proc = subprocess.Popen(
            [str(canopy), "portal", "--data", str(data), "--bind", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # the same stack without the front's microcache: the baseline, in the same run
        bport = free_port()
        base = subprocess.Popen(
            [str(canopy), "portal", "--data", str(data), "--bind", f"127.0.0.1:{bport}",
             "--front-cache", "off"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        mirror_dir = Path(tmp) / "mirror"
        mirror_dir.mkdir()
        mirror: subprocess.Popen[bytes] | None = None
        try:
            wait_up(f"http://127.0.0.1:{port}/healthz", proc)
            wait_up(f"http://127.0.0.1:{bport}/healthz", base)
            pages = {p: get(port, p)[1] for p in PAGES}
            for _ in range(20):  # warm every worker's page cache, as a live hub's would be
                for p in LOADED:
                    get(port, p)
                    get(bport, p)

            print(
                f"portal behind nginx; {SLOW} slow-header clients, then {CONNECTIONS} conns"
                f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
            )
            stop = threading.Event()
            socks = slow_clients(port, stop)
            worst, failed = 0.0, 0
            try:
                for i in range(30):
                    t0 = time.monotonic()
                    try:
                        status, _ = get(port, PAGES[i % len(PAGES)])
                        failed += status != 200
                    except OSError:
                        failed += 1
                    worst = max(worst, time.monotonic() - t0)
                    time.sleep(0.1)
            finally:
                stop.set()
                for s in socks:
                    s.close()
            good = worst <= 1.0 and failed == 0
            ok &= good
            print(
                f"  slowest of 30 loads with {SLOW} slow clients  {worst * 1000:7.0f} ms"
                f"  failed {failed}   budget <= 1000 ms, 0 failed   {verdict(good)}"
            )

            mirror = static_mirror(sport, pages, mirror_dir)
            wait_up(f"http://127.0.0.1:{sport}/", mirror)
            for path in LOADED:
                portal_rps, base_rps, static_rps, p99s, base_p99s = [], [], [], [], []
                static_p99s: list[float] = []
                for _ in range(ROUNDS):  # alternating, so no one gets the quieter machine
                    rps, _p50, p99, errors = run_wrk(f"http://127.0.0.1:{port}{path}")
                    portal_rps.append(rps)
                    p99s.append(p99)
                    ok &= errors == 0
                    brps, _p50, bp99, errors = run_wrk(f"http://127.0.0.1:{bport}{path}")
                    base_rps.append(brps)
                    base_p99s.append(bp99)
                    ok &= errors == 0
                    # gunicorn still works off what nginx queued for it after wrk stopped:
                    # let it finish before the next round, so it is not counted against it
                    time.sleep(SETTLE)
                    srps, _p50, sp99, _errors = run_wrk(f"http://127.0.0.1:{sport}{path}")
                    static_rps.append(srps)
                    static_p99s.append(sp99)
                share = sum(portal_rps) / sum(static_rps)
                base_share = sum(base_rps) / sum(static_rps)
                p99 = max(p99s)
                good = share >= 0.25 and p99 <= 20
                ok &= good
                print(
                    f"  {path:<6} portal {sum(portal_rps) / ROUNDS:8,.0f} req/s"
                    f"  static nginx {sum(static_rps) / ROUNDS:8,.0f} req/s"
                    f"  share {share:6.1%} (>= 25%)  p99 {p99:5.1f} ms (<= 20)  {verdict(good)}"
                )
                print(
                    f"  {'':<6} without the front's microcache {sum(base_rps) / ROUNDS:8,.0f} "
                    f"req/s  share {base_share:6.1%}  p99 {max(base_p99s):5.1f} ms  "
                    f"(cache: x{share / base_share:.1f} req/s)"
                )
                print(
                    f"  {'':<6} static nginx p99 {max(static_p99s):5.1f} ms (this machine's floor);"
                    f" p99 by round: portal {'/'.join(f'{x:.1f}' for x in p99s)} ms,"
                    f" static {'/'.join(f'{x:.1f}' for x in static_p99s)} ms;"
                    f" load average {os.getloadavg()[0]:.1f}"
                )

            for path in PAGES:
                status, body = get(port, path, gz=True)
                good = status == 200 and len(body) <= 3072
                ok &= good
                size = f"{len(body):6,} B gzipped"
                print(f"  {path:<12} {size}   budget <= 3,072 B   {verdict(good)}")
        finally:
            for p in (proc, base, mirror):
                if p is not None:
                    p.terminate()
                    p.wait(timeout=20)
    print("all hostile-load budgets met" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
