"""Benchmarks of the hub's one state: folding a log at start-up, and the per-request reads.

Every reader (the daemon at start, each portal worker on its first request) folds the whole
log into ``HubState`` once, then entry by entry; pages and radio replies then ask it who is
on duty and for its epoch. Side by side, the same log is read without folding, so the ratio
shows what the fold itself costs. Prints each figure beside its budget.

    .venv/bin/python bench/bench_state.py [--entries 20000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.local import DataDir, create_identity
from hub.log import HubLog, LogView
from hub.state import HubState

HANDLES = [f"steward{i:02d}" for i in range(40)]


def verdict(ok: bool) -> str:
    return "OK" if ok else "OVER BUDGET"


def make_log(root: Path, n: int) -> DataDir:
    """A neighbourhood's worth of entries: enrolments, shifts, notes, alerts and acks."""
    dd = DataDir(root / "hub")
    create_identity(dd, "Bench Shop")
    log = HubLog(dd)
    log.open()
    until = int(time.time()) + 365 * 86400
    for h in HANDLES:
        log.append("enrol", {"handle": h, "role": "steward", "until": until}, sync=False)
    alert = None
    for i in range(n - len(HANDLES)):
        h = HANDLES[i % len(HANDLES)]
        r = i % 10
        if r in (0, 1):
            log.append("checkin", {"minutes": 45}, author=h, sync=False)
        elif r == 2:
            log.append("checkout", {}, author=h, sync=False)
        elif r == 3 and i % 50 == 3:
            alert = log.append("alert", {"text": f"alert {i}"}, sync=False).index
        elif r == 4 and alert is not None:
            log.append("ack", {"alert": alert}, author=h, sync=False)
        else:
            log.append("note", {"text": f"quiet on street {i % 97}"}, author=h, sync=False)
    if log.own is not None:
        log.own.sync()
    log.close()
    return dd


def per_call_us(fn: Callable[[], object], calls: int = 20_000) -> float:
    """Microseconds per call of ``fn``, over ``calls`` calls."""
    t = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t) / calls * 1e6


def timed(fn: object, rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - t)
    return best


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=20_000)
    args = ap.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        dd = make_log(Path(tmp), args.entries)
        view = LogView(dd)
        n = len(view.reader())

        def read_only() -> None:
            for _ in view.entries():
                pass

        def fold() -> HubState:
            st = HubState(view.own_feed)
            for e in view.entries():
                st.apply(e)
            return st

        # alternate, so machine noise hits both sides alike
        t_read = min(timed(read_only, 1) for _ in range(3))
        t_fold = min(timed(fold, 1) for _ in range(3))
        rate = n / t_fold
        good = rate >= 20_000
        ok &= good
        print(
            f"fold {n:,} entries (decode + HubState): {rate:,.0f} entries/s "
            f"(budget >= 20,000/s, a year of a busy hub in 5 s) {verdict(good)}"
        )
        print(f"  the fold's own share: {t_fold / t_read:.2f}x the time of decoding alone")

        st = fold()
        now = time.time()
        shifts = len(st.on_duty(now))
        for what, fn, budget in (
            (f"who is on duty ({shifts} open shifts)", st.on_duty_handles, 50.0),
            ("state epoch (the page-cache key)", st.epoch, 5.0),
        ):
            us = per_call_us(lambda fn=fn: fn(now))
            good = us <= budget
            ok &= good
            print(f"{what}: {us:.2f} us per call (budget <= {budget:.0f} us) {verdict(good)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
