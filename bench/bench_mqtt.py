"""Benchmark the MQTT outbox on a real Mosquitto: end-to-end rate and catch-up after an outage.

1. entries/s from append to a subscriber, the hub live on the broker (appends fsync'd, as
   in production), compared with the append rate alone;
2. catch-up: the broker is killed, 10,000 entries are appended, the broker restarts; time
   until a persistent-session subscriber holds all of them (nothing lost, nothing twice).

Run: .venv/bin/python bench/bench_mqtt.py
"""

from __future__ import annotations

import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "mqtt")]

from mqttkit import Collector, make_hub, running, service  # noqa: E402
from support import Broker, wait_for  # noqa: E402

from hub.daemon import Daemon  # noqa: E402

E2E_N = 2000
OUTAGE_N = 10_000
# End to end is bounded by the fsync'd appends themselves (the disk), so the budget is a
# ratio: publishing must keep up with appending, i.e. MQTT is never the bottleneck.
BUDGET_RATIO = 0.9
BUDGET_CATCHUP = 60.0  # seconds to publish a 10,000-entry backlog


def append(d: Daemon, n: int, prefix: str, sync: bool) -> float:
    def job() -> float:
        t0 = time.perf_counter()
        for i in range(n):
            d.core.log.append("note", {"text": f"{prefix} {i}"}, sync=sync)
        if not sync and d.core.log.own is not None:
            d.core.log.own.sync()
        return time.perf_counter() - t0

    return d.submit(job, timeout=300)


def verdict(ok: bool) -> str:
    return "OK" if ok else "OVER BUDGET"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        broker = Broker(base, eager_save=False)  # production autosave
        broker.start()
        try:
            dd = make_hub(base)
            sub = Collector(broker.port, client_id="bench-dashboard").start(clean=False)
            svc = service(broker.url)
            with running(dd, svc) as d:
                wait_for(lambda: svc.status()["connected"], what="connected")
                t0 = time.perf_counter()
                append_s = append(d, E2E_N, "live", sync=True)
                wait_for(lambda: sub.count() >= E2E_N, timeout=120, what="e2e")
                e2e_s = time.perf_counter() - t0
                rate, alone = E2E_N / e2e_s, E2E_N / append_s
                ok = rate >= BUDGET_RATIO * alone
                print(
                    f"end to end, {E2E_N} fsync'd appends: {rate:,.0f} entries/s "
                    f"= {rate / alone:.0%} of the fsync'd append rate alone ({alone:,.0f}/s; "
                    f"budget: >= {BUDGET_RATIO:.0%}, i.e. MQTT never the bottleneck) {verdict(ok)}"
                )
                wait_for(lambda: svc.status()["backlog"] == 0, what="all acknowledged")
                broker.kill(signal.SIGTERM)  # saves the subscriber's session on the way out
                wait_for(lambda: not svc.status()["connected"], what="outage noticed")
                outage_append_s = append(d, OUTAGE_N, "outage", sync=False)
                print(f"appended {OUTAGE_N:,} entries during the outage in {outage_append_s:.1f} s")
                t1 = time.perf_counter()
                broker.start()
                wait_for(lambda: svc.status()["connected"], timeout=30, what="reconnect")
                t_conn = time.perf_counter() - t1
                total = E2E_N + OUTAGE_N
                wait_for(lambda: sub.count() >= total, timeout=120, what="catch-up")
                catchup = time.perf_counter() - t1
                idx = [e["index"] for e in sub.entries()]
                exact = idx == list(range(total))
                print(
                    f"catch-up after a {OUTAGE_N:,}-entry outage: {catchup:.1f} s "
                    f"(reconnect {t_conn:.1f} s, then {OUTAGE_N / (catchup - t_conn):,.0f} "
                    f"entries/s; budget: <= {BUDGET_CATCHUP:.0f} s) "
                    f"{verdict(catchup <= BUDGET_CATCHUP)}"
                )
                print(
                    f"delivered exactly once, in order: {exact} "
                    f"({len(idx):,} received for {total:,} entries; budget: exact) "
                    f"{verdict(exact)}"
                )
            sub.stop()
        finally:
            broker.kill()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
