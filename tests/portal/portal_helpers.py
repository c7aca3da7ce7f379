"""Helpers for the portal tests: a seeded hub, `canopy portal` (gunicorn) as a subprocess,
and plain HTTP requests. The daemon is the `running_daemon` fixture."""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from support import CANOPY, ROOT, free_port, stop, tail, wait_for

from hub.daemon import HubCore
from hub.local import DataDir, create_identity
from hub.privacy import policy_from, save_policy

BIN = Path(sys.executable).parent
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
__all__ = [
    "CANOPY",
    "ROOT",
    "XSS",
    "csrf_from",
    "get",
    "post_form",
    "request",
    "run_portal",
    "seed_hub",
]


def seed_hub(root: Path) -> dict[str, int]:
    """Create a hub with one entry of each interesting kind; return their indexes."""
    dd = DataDir(root)
    create_identity(dd, "Corner Shop")
    # texts shown at once: these tests are about display (tests/privacy keep the defaults)
    save_policy(dd, policy_from({"note": "public", "checkin": "public", "checkout": "public"}))
    core = HubCore(dd)
    core.open()
    idx: dict[str, int] = {}

    def add(name: str, kind: str, fields: dict[str, Any], author: str = "") -> None:
        idx[name] = core.log.append(kind, fields, author=author).index

    year = int(time.time()) + 365 * 86400
    try:
        add("note", "note", {"text": "quiet evening on Elm Street"})  # entry 0
        for handle, role in (("ana", "steward"), ("bo", "steward"), ("cy", "coordinator")):
            add(f"enrol_{handle}", "enrol", {"handle": handle, "role": role, "until": year})
        add("xss", "note", {"text": XSS}, author="ana")
        add("checkin_ana", "checkin", {"minutes": 60, "text": "north loop"}, author="ana")
        add("checkin_bo", "checkin", {}, author="bo")
        add("checkout_bo", "checkout", {}, author="bo")
        add("alert_old", "alert", {"text": "lost child near the park"}, author="cy")
        add("ack1", "ack", {"alert": idx["alert_old"]}, author="ana")
        add("ack2", "ack", {"alert": idx["alert_old"]}, author="ana")
        add("ack3", "ack", {"alert": idx["alert_old"]}, author="bo")
        add("cancel", "cancel", {"alert": idx["alert_old"], "text": "found"}, author="cy")
        add("alert_now", "alert", {"text": "water main burst on 5th"}, author="cy")
        add("incident", "incident", {"text": "bike stolen at 8pm"}, author="ana")
        add("correction", "correction", {"target": idx["incident"], "text": "it was 9pm"})
        add("charter_old", "charter", {"text": "# Old charter"})
        add("charter", "charter", {"text": f"# Our charter\n\nWe **help**.\n\n{XSS}"})
        add("protocol", "protocol", {"slug": "de-escalation", "text": "Talk *first*."})
        add("protocol2", "protocol", {"slug": "outside-help", "text": "Call 112 when..."})
        add("vow", "vow", {"name": "Corner Shop", "text": "We keep the door open."})
        add("vow2", "vow", {"name": "Bakery", "text": "Warm bread, safe street."})
        add("compact", "compact", {"name": "J.R."})
    finally:
        core.close()
    return idx


def wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 20) -> None:
    """Until ``url`` answers 200; fails if the server exits first or never answers."""

    def answers() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early:\n{tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    try:
        wait_for(answers, timeout, what=f"{url} to answer", interval=0.1)
    except AssertionError as e:
        raise AssertionError(f"{e}:\n{tail(log)}") from None


@contextmanager
def run_portal(
    data: Path, log: Path, workers: int = 2, front: bool = True, cache: bool = False
) -> Iterator[str]:
    """`canopy portal` on a free port (nginx in front of gunicorn, or with ``front=False``
    gunicorn alone); yields its base URL. The front's 1 s microcache is off unless
    ``cache``: most tests read a page right after a write and want that write shown."""
    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                str(BIN / "canopy"),
                "portal",
                "--data",
                str(data),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                *([] if front else ["--front", "none"]),
                *([] if cache else ["--front-cache", "off"]),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_http(base + "/healthz", proc, log)
            yield base
        finally:
            stop(proc)


def csrf_from(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF token in the form"
    return m.group(1)


def request(
    base: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname or "", u.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def get(base: str, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    return request(base, "GET", path, headers=headers)


def post_form(base: str, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    body = urllib.parse.urlencode(fields).encode()
    ctype = {"Content-Type": "application/x-www-form-urlencoded"}
    return request(base, "POST", path, body=body, headers=ctype)
