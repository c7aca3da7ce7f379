"""Steward commands through the real hub daemon: throughput and DM-to-reply latency.

The daemon, its loop, the signed durable log, TinyDB and the radio service are real; the
radio adapter is the real class with its link left unstarted: events are handed to the
service exactly as the adapter's dispatcher hands them, and the clock stops when the reply
is handed to ``send_text`` (airtime excluded).

Budgets: a LoRa channel carries at most ~15 packets/s (SHORT_FAST, 100 % duty), so the
hub must handle ≥ 200 commands/s to never be the bottleneck; and it should add less than a
tenth of the shortest packet's airtime (66 ms) to a reply: p99 ≤ 20 ms.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub.daemon import Daemon
from hub.local import DataDir, create_identity
from radio.adapter import RadioAdapter
from radio.desk import DeskPolicy, Limits
from radio.events import BROADCAST, Connected, Priority, RadioEvent, TextReceived
from radio.service import RadioService

STEWARDS = 20
LATENCY_N = 400
THROUGHPUT_N = 1000
HUB_NUM = 0x5EED0000


class TimedAdapter(RadioAdapter):
    """The real adapter, never connected; records when each reply is handed to it."""

    def __init__(self, url: str, on_event: Callable[[RadioEvent], None]) -> None:
        super().__init__(url, on_event=on_event)
        self.on_event = on_event
        self.sent: list[float] = []
        self.cond = threading.Condition()

    def start(self) -> None:  # no link: events are injected by the benchmark
        self.on_event(Connected(HUB_NUM, "Bench hub", "BH", "bench"))

    def stop(self, timeout: float = 5.0) -> None:
        pass

    def send_text(
        self,
        text: str,
        dest: int = BROADCAST,
        channel: int = 0,
        priority: Priority = Priority.REPLY,
        want_ack: bool = False,
        hop_limit: int | None = None,
    ) -> list[int]:
        t = time.perf_counter()
        with self.cond:
            self.sent.append(t)
            self.cond.notify_all()
        return []

    def wait_sent(self, n: int, timeout: float = 30.0) -> None:
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.sent) >= n, timeout):
                raise RuntimeError(f"only {len(self.sent)} of {n} replies")


def dm(num: int, key: bytes, packet_id: int, text: str) -> TextReceived:
    return TextReceived(num, HUB_NUM, packet_id, 0, text, True, key, None, 3, 3, None, None)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="canopy-bench-") as tmp:
        dd = DataDir(Path(tmp) / "hub")
        create_identity(dd, "Bench Shop")
        adapters: list[TimedAdapter] = []

        def factory(url: str, on_event: Callable[[RadioEvent], None]) -> RadioAdapter:
            a = TimedAdapter(url, on_event)
            adapters.append(a)
            return a

        policy = DeskPolicy(limits=Limits(burst=1e9, refill=1e9))  # the hub, not its rate limit
        service = RadioService("tcp://127.0.0.1:9", policy=policy, adapter_factory=factory)
        daemon = Daemon(dd)
        daemon.services.append(service)
        daemon.start()
        loop = threading.Thread(target=daemon.run_forever, daemon=True)
        loop.start()
        try:
            return run(daemon, service, adapters[0])
        finally:
            daemon.stop()
            loop.join(10)


def run(daemon: Daemon, service: RadioService, adapter: TimedAdapter) -> int:
    stewards = [(0x5EED1000 + i, os.urandom(32)) for i in range(STEWARDS)]
    for i, (num, key) in enumerate(stewards):
        fields = {
            "handle": f"s{i:03d}",
            "role": "steward",
            "until": 2**33,
            "node": num,
            "pkey": key,
        }
        daemon.submit(lambda f=fields: daemon.core.log.append("enrol", f))  # type: ignore[misc]
    pid = [1]

    def inject(k: int, text: str) -> float:
        num, key = stewards[k % STEWARDS]
        pid[0] += 1
        ev = dm(num, key, pid[0], text)
        t = time.perf_counter()
        adapter.on_event(ev)  # as the adapter's dispatcher thread does
        return t

    for k in range(STEWARDS):  # everyone on duty, so WHO has a full page to build
        inject(k, "IN 60")
    adapter.wait_sent(STEWARDS)
    ok = True
    workloads: list[tuple[str, Callable[[int], str]]] = [
        ("LOG (signed, fsynced entry)", lambda k: f"LOG bench note {k}"),
        ("WHO (read-only, 20 on duty)", lambda _k: "WHO"),
    ]
    for label, make in workloads:
        # latency: one at a time
        lat = []
        for k in range(LATENCY_N):
            base = len(adapter.sent)
            t0 = inject(k, make(k))
            adapter.wait_sent(base + 1)
            lat.append((adapter.sent[base] - t0) * 1000)
        lat.sort()
        med, p99 = statistics.median(lat), lat[int(len(lat) * 0.99) - 1]
        # throughput: a burst, until the last reply
        base = len(adapter.sent)
        t0 = time.perf_counter()
        for k in range(THROUGHPUT_N):
            inject(k, make(k))
        adapter.wait_sent(base + THROUGHPUT_N)
        rate = THROUGHPUT_N / (adapter.sent[-1] - t0)
        good_rate, good_p99 = rate >= 200, p99 <= 20
        ok = ok and good_rate and good_p99
        print(
            f"{label}: {rate:,.0f} commands/s (budget: >= 200/s) "
            f"{'OK' if good_rate else 'OVER BUDGET'}"
        )
        print(
            f"{label}: DM-to-reply median {med:.2f} ms, p99 {p99:.2f} ms "
            f"(budget: p99 <= 20 ms) {'OK' if good_p99 else 'OVER BUDGET'}"
        )
    counters = service.status()["commands"]
    print(f"commands handled: {sum(v for k, v in counters.items() if ':' not in k)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
