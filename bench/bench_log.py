"""Benchmarks of the signed log: durable append cost as the log grows, full verification
speed, and the encoded size of typical entries. Prints each figure beside its budget.

    .venv/bin/python bench/bench_log.py [--big 100000]
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.local import DataDir, create_identity
from hub.log import HubLog, verify_entries


def verdict(ok: bool) -> str:
    return "OK" if ok else "OVER BUDGET"


def make_log(root: Path, name: str, n: int) -> HubLog:
    dd = DataDir(root / name)
    create_identity(dd, name)
    log = HubLog(dd)
    log.open()
    for i in range(n):
        log.append("note", {"text": f"bulk entry {i:06d} on the north loop"}, sync=False)
    log.own.sync() if log.own else None
    return log


def bench_append(root: Path, big: int, rounds: int) -> bool:
    small_log = make_log(root, "small", 1_000)
    t0 = time.perf_counter()
    big_log = make_log(root, "big", big)
    build = time.perf_counter() - t0
    print(
        f"built a {big:,}-entry feed in {build:.1f} s "
        f"({big / build:,.0f} signed appends/s without fsync)"
    )
    small_t: list[float] = []
    big_t: list[float] = []
    for i in range(rounds):  # interleave so disk noise hits both sides alike
        for log, acc in ((small_log, small_t), (big_log, big_t)):
            t = time.perf_counter()
            log.append("note", {"text": f"durable {i}"})
            acc.append(time.perf_counter() - t)
    s, b = statistics.median(small_t), statistics.median(big_t)
    print(f"durable append at   1,000 entries: {s * 1e3:.3f} ms median ({1 / s:,.0f}/s)")
    print(f"durable append at {big:>7,} entries: {b * 1e3:.3f} ms median ({1 / b:,.0f}/s)")
    ratio = b / s
    print(f"append cost ratio {big:,} / 1,000: {ratio:.2f} (budget <= 1.2) {verdict(ratio <= 1.2)}")
    entries = big_log.own.read_range(0, len(big_log.own)) if big_log.own else []
    assert big_log.identity is not None
    t = time.perf_counter()
    verified = verify_entries(big_log.identity.feed, entries)
    dt = time.perf_counter() - t
    rate = verified.size / dt
    print(
        f"full verification of {verified.size:,} entries: {dt:.2f} s = {rate:,.0f} entries/s "
        f"on one core (budget >= 10,000) {verdict(rate >= 10_000)}"
    )
    small_log.close()
    big_log.close()
    return ratio <= 1.2 and rate >= 10_000


def bench_sizes(root: Path) -> bool:
    log = make_log(root, "sizes", 0)
    ok = True
    samples = [
        (
            "note, 40 ASCII chars",
            "note",
            {"text": "Quiet on Elm St, lights out at the park"},
            "mara",
        ),
        ("check-in, 45 min + note", "checkin", {"minutes": 45, "text": "north loop"}, "mara"),
    ]
    for label, kind, fields, author in samples:
        done = log.append(kind, fields, author=author)
        size = len(done.raw)
        as_json = json.dumps(
            {
                **done.body.to_json(),
                "feed": done.feed,
                "index": done.index,
                "sig": base64.b64encode(done.raw[-64:]).decode(),
            }
        ).encode()
        fits = size <= 130
        ok &= fits
        print(
            f"{label}: {size} bytes CBOR incl. 64-byte signature (budget <= 130) {verdict(fits)}; "
            f"same entry as JSON with base64 signature: {len(as_json)} bytes"
        )
    log.close()
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--big", type=int, default=100_000, help="size of the large feed")
    ap.add_argument("--rounds", type=int, default=200, help="timed durable appends per size")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="canopy-bench-", dir=Path.cwd()) as tmp:
        ok = bench_sizes(Path(tmp))
        ok &= bench_append(Path(tmp), args.big, args.rounds)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
