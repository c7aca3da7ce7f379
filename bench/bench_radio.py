"""Benchmark of the radio adapter: airtime formula, connect time, burst handling, budget.

Run: .venv/bin/python bench/bench_radio.py   (exit status 1 if any figure is over budget)
"""

from __future__ import annotations

import random
import statistics
import sys
import threading
import time
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "radio"))

from fake_radio import PEER, Conn, fake_radio, hold_open, text  # noqa: E402

from radio.adapter import RadioAdapter, decode_packet  # noqa: E402
from radio.events import Connected, Priority, RadioEvent, TextReceived  # noqa: E402
from radio.fragment import split_text  # noqa: E402
from radio.outqueue import AirtimeBudget, Outgoing, OutQueue, airtime_seconds  # noqa: E402
from radio.sim import running_sim  # noqa: E402

CONNECTS = 10
BURST = 1000


def row(label: str, value: str, budget: str, ok: bool) -> bool:
    print(f"{label}: {value} (budget: {budget}) {'OK' if ok else 'FAIL'}", flush=True)
    return ok


def semtech_ms(sf: int, bw_khz: float, cr: int, frame: int) -> float:
    """Semtech AN1200.13 written out independently: preamble 16, explicit header, CRC on."""
    t_sym = (2**sf) / bw_khz
    de = 1 if t_sym > 16.0 else 0
    n = 8 + max(-(-(8 * frame - 4 * sf + 28 + 16) // (4 * (sf - 2 * de))) * cr, 0)
    return (16 + 4.25) * t_sym + n * t_sym


def airtime_rows() -> bool:
    ok = True
    for name, sf, bw, cr in (
        ("LONG_FAST", 11, 250.0, 5),
        ("SHORT_FAST", 7, 250.0, 5),
        ("LONG_SLOW", 12, 125.0, 8),
    ):
        for payload in (50, 237):
            ours = airtime_seconds(payload, name) * 1000
            ref = semtech_ms(sf, bw, cr, payload + 16)
            ok &= row(
                f"airtime {name} 16+{payload}B",
                f"{ours:.1f} ms (formula {ref:.1f} ms)",
                "within 1%",
                abs(ours - ref) <= 0.01 * ref,
            )
    return ok


def connect_rows() -> bool:
    times = []
    with running_sim(nodes=2, topology="full", speed=50.0) as sim:
        for _ in range(CONNECTS):
            got = threading.Event()

            def on_event(e: RadioEvent, got: threading.Event = got) -> None:
                if isinstance(e, Connected):
                    got.set()

            adapter = RadioAdapter(f"tcp://127.0.0.1:{sim.ports[0]}", on_event)
            t0 = time.perf_counter()
            adapter.start()
            if not got.wait(10):
                adapter.stop()
                return row("connect to a virtual node", "no Connected event", "< 500 ms", False)
            times.append(time.perf_counter() - t0)
            adapter.stop()
    med, worst = statistics.median(times) * 1000, max(times) * 1000
    return row(
        f"connect to a virtual node (median of {CONNECTS})",
        f"{med:.0f} ms, worst {worst:.0f} ms",
        "median < 500 ms",
        med < 500,
    )


def burst_row() -> bool:
    def burst(conn: Conn) -> None:
        conn.send(b"".join(text(PEER, f"m{i}".encode(), pid=i + 1) for i in range(BURST)))
        hold_open(conn)

    done = threading.Event()
    count = [0]

    def on_event(e: RadioEvent) -> None:
        if isinstance(e, TextReceived):
            count[0] += 1
            if count[0] == BURST:
                done.set()

    with fake_radio(burst) as radio:
        adapter = RadioAdapter(radio.url, on_event)
        t0 = time.perf_counter()
        adapter.start()
        ok = done.wait(60)
        elapsed = time.perf_counter() - t0
        adapter.stop()
    rate = BURST / elapsed if ok else 0.0
    return row(
        f"burst of {BURST} packets through the library and adapter",
        f"{rate:.0f} packets/s (incl. connect)",
        ">= 500 packets/s",
        rate >= 500,
    )


def decode_row() -> bool:
    packet = {
        "from": PEER,
        "to": 0xFFFFFFFF,
        "id": 7,
        "rxTime": 1,
        "hopStart": 3,
        "decoded": {"portnum": "TEXT_MESSAGE_APP", "payload": "hello 👋".encode()},
    }
    n = 50_000
    t0 = time.perf_counter()
    for _ in range(n):
        decode_packet(packet)
    rate = n / (time.perf_counter() - t0)
    return row("decode packet dict to event", f"{rate:,.0f} /s", ">= 20,000 /s", rate >= 20_000)


def fragment_row() -> bool:
    rng = random.Random(1)
    pool = ["a", " ", "é", "שלום", "👩‍👩‍👧‍👦", "e\u0301", "🇫🇷", "日本"]
    texts = ["".join(rng.choice(pool) for _ in range(1500)) for _ in range(50)]
    t0 = time.perf_counter()
    parts = sum(len(split_text(t, max_parts=None)) for t in texts)
    rate = parts / (time.perf_counter() - t0)
    return row("split hostile texts", f"{rate:,.0f} parts/s", ">= 5,000 parts/s", rate >= 5_000)


def budget_row() -> bool:
    now = 0.0
    q = OutQueue(AirtimeBudget(0.10, now), "LONG_FAST", max_len=10_000)
    q.push(
        [
            Outgoing(i, Priority.BULK, 300, b"x" * 200, 0xFFFFFFFF, 0, False, None, 0.0)
            for i in range(5000)
        ]
    )
    sent: deque[tuple[float, float]] = deque()
    total = worst = 0.0
    while len(q) and now < 4 * 3600:
        item, wait = q.next_ready(now)
        if item is None:
            now += wait + 1e-9
            continue
        cost = airtime_seconds(200, "LONG_FAST")
        sent.append((now, cost))
        total += cost
        while sent[0][0] <= now - 3600:
            total -= sent.popleft()[1]
        worst = max(worst, total)
        now += cost
    return row(
        "EU_868 flood, LONG_FAST 200 B: worst sliding hour",
        f"{worst:.1f} s of airtime",
        "<= 360 s (10 %)",
        worst <= 360.0 + 1e-6,
    )


def main() -> int:
    results = [
        airtime_rows(),
        budget_row(),
        decode_row(),
        fragment_row(),
        connect_rows(),
        burst_row(),
    ]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
