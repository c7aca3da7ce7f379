"""The captive portal under load: gunicorn as deployed, measured with wrk.

A hub with a realistic log (2,000 entries: patrol check-ins, notes, alerts, a charter,
protocols, partner vows, compact signatures) is served by `canopy portal` (gunicorn, the
config in portal/gunicorn_conf.py). wrk drives the home and log pages at 64 connections
for 5 s each, beside the stylesheet served by the same server as a reference for what the
server itself costs. Then: the gzipped weight of every public page, any link or source
pointing off the hub, and the resident memory of each gunicorn worker after the load.

Budgets (docs/portal.md): >= 1,000 req/s and p99 <= 50 ms at 64 connections on 2 cores;
<= 15 kB gzipped per page; zero external requests; <= 50 MB RSS per worker.
"""

from __future__ import annotations

import gzip
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.daemon import HubCore  # noqa: E402
from hub.local import DataDir, create_identity  # noqa: E402

PAGES = ["/", "/log", "/alerts", "/charter", "/protocols", "/partners", "/compact", "/verify"]
LOADED = ["/", "/log"]
STATIC = "/static/canopy.css"
CONNECTIONS = 64
DURATION = "5s"


def verdict(ok: bool) -> str:
    return "OK" if ok else "OVER BUDGET"


def seed(root: Path, n: int = 2000) -> None:
    dd = DataDir(root)
    create_identity(dd, "Corner Shop")
    core = HubCore(dd)
    core.open()
    log = core.log
    try:
        text = "# Charter\n\n" + "\n\n".join(f"{i}. We look out for each other." for i in range(30))
        log.append("charter", {"text": text}, sync=False)
        for slug in ("de-escalation", "outside-help"):
            log.append("protocol", {"slug": slug, "text": text}, sync=False)
        for shop in ("Corner Shop", "Bakery", "Laundry", "Books"):
            log.append("vow", {"name": shop, "text": "We keep the door open."}, sync=False)
        stewards = [f"steward{i}" for i in range(12)]
        while len(log.own or []) < n:
            i = len(log.own or [])
            who = stewards[i % len(stewards)]
            kind = i % 10
            if kind < 3:
                log.append("checkin", {"minutes": 90, "text": "north loop"}, author=who, sync=False)
            elif kind < 5:
                log.append("checkout", {"text": "all quiet"}, author=who, sync=False)
            elif kind < 8:
                log.append(
                    "note", {"text": f"round {i}: lights out on Elm St"}, author=who, sync=False
                )
            elif kind == 8:
                log.append("alert", {"text": f"alert {i}: water main"}, author=who, sync=False)
            else:
                log.append("compact", {"name": f"N{i}"}, sync=False)
        assert log.own is not None
        log.own.sync()
    finally:
        core.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as r:
        data: bytes = r.read()
        return data


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the portal exited during start-up")
        try:
            fetch(url)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the portal did not start")


def ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", value)
    if not m:
        raise ValueError(value)
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


def run_wrk(url: str) -> tuple[float, float, float, int]:
    """requests/s, p50 ms, p99 ms and non-2xx responses/socket errors."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = ms(re.search(r"^\s+50%\s+(\S+)\s*$", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = ms(re.search(r"^\s+99%\s+(\S+)\s*$", out, re.M).group(1))  # type: ignore[union-attr]
    errors = 0
    for pat in (r"Non-2xx or 3xx responses: (\d+)", r"Socket errors: .*?(\d+)"):
        m = re.search(pat, out)
        errors += int(m.group(1)) if m else 0
    return rps, p50, p99, errors


def worker_rss_kb(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    out = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        out.append(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)))  # type: ignore[union-attr]
    return out


def external_refs(html: str) -> list[str]:
    refs = re.findall(r"""(?:src|href|action)\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]+)""", html)
    return [r for r in refs if not re.match(r"(?:https?:)?//(127\.0\.0\.1|localhost)[:/]", r)]


def main() -> int:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (apt-get install wrk)")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "hub"
        seed(data)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        canopy = Path(sys.executable).parent / "canopy"
        proc = subprocess.Popen(
            [str(canopy), "portal", "--data", str(data), "--bind", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_up(base + "/healthz", proc)
            for _ in range(20):  # fill every worker's page cache, as a live hub's would be
                for path in [*LOADED, STATIC]:
                    fetch(base + path)
            print(f"portal: gunicorn, 2 workers, {CONNECTIONS} connections, {DURATION} per URL")
            ref = run_wrk(base + STATIC)
            print(
                f"  {STATIC:<18} {ref[0]:>8,.0f} req/s  p50 {ref[1]:6.1f} ms  p99 {ref[2]:6.1f} ms"
                "  (reference: the server itself)"
            )
            for path in LOADED:
                rps, p50, p99, errors = run_wrk(base + path)
                good = rps >= 1000 and p99 <= 50 and errors == 0
                ok &= good
                print(
                    f"  {path:<18} {rps:>8,.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
                    f"errors {errors} (budget >= 1,000 req/s, p99 <= 50 ms) {verdict(good)}"
                )
            rss = worker_rss_kb(proc.pid)
            worst = max(rss) / 1024
            ok &= worst <= 50
            print(
                f"worker RSS after load: {', '.join(f'{r / 1024:.1f}' for r in rss)} MB "
                f"(budget <= 50 MB each) {verdict(worst <= 50)}"
            )
            print("page weight, gzipped (budget <= 15 kB, zero external references):")
            for path in PAGES:
                html = fetch(base + path)
                size = len(gzip.compress(html, 6))
                ext = external_refs(html.decode())
                good = size <= 15 * 1024 and not ext
                ok &= good
                print(
                    f"  {path:<11} {len(html) / 1024:6.1f} kB raw, {size / 1024:5.1f} kB gzip, "
                    f"{len(ext)} external {verdict(good)}"
                )
        finally:
            proc.terminate()
            proc.wait(15)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
