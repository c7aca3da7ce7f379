"""Benchmarks of privacy: the cost of sealing details on the durable append path, and a
retention pass (destroying the keys of sealed details) over many entries.

    .venv/bin/python bench/bench_privacy.py [--big 100000] [--rounds 100]

Budgets: a sealed report's durable append stays flat as the log and the key store grow
(the durable append budget of ARCHITECTURE.md: <= 1.2x from 1,000 to 100,000 entries);
beside it, the ratio to a plain durable note (the baseline: the key appended to its day
file and fsync'd before the entry); a daily retention pass over 100,000 keys <= 30 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crypto.seal import review_keypair, seal
from hub.local import DataDir, create_identity
from hub.log import HubLog
from hub.privacy import KeyStore, Sealer, policy_from, run_retention, save_policy

DAY = 86400
T0 = 1_800_000_000


def verdict(ok: bool) -> str:
    return "OK" if ok else "OVER BUDGET"


def fill_keys(keys: KeyStore, review_public: bytes, n: int, t0: int) -> None:
    """``n`` real sealed keys, one a minute from ``t0``, written without fsync (setup)."""
    for i in range(n):
        sid = os.urandom(16)
        _, sealed_key = seal(review_public, sid, b"x")
        keys.put(sid, t0 + 60 * i, sealed_key, sync=False)


def make_hub(root: Path, name: str, n: int, review_public: bytes) -> HubLog:
    dd = DataDir(root / name)
    create_identity(dd, name)
    save_policy(dd, policy_from({}, review_public))
    log = HubLog(dd)
    log.prepare = Sealer(dd).prepare
    log.open()
    for _ in range(n):
        fields = {"category": "noise", "place": "Elm St", "sid": os.urandom(16), "box": b"b" * 80}
        log.append("report", fields, author="ana", sync=False)  # setup: boxes stand in
    if log.own:
        log.own.sync()
    fill_keys(KeyStore(dd), review_public, n, T0)
    return log


def bench_append(root: Path, big: int, rounds: int) -> bool:
    public, _ = review_keypair()
    small, large = make_hub(root, "small", 1_000, public), make_hub(root, "big", big, public)
    plain_t: list[float] = []
    small_t: list[float] = []
    big_t: list[float] = []
    details = {"category": "medical", "place": "Elm St", "details": "unwell, ambulance called"}
    for i in range(rounds):  # interleaved, so disk noise hits every side alike
        for log, acc, kind, fields in (
            (small, plain_t, "note", {"text": f"durable {i}"}),
            (small, small_t, "report", details),
            (large, big_t, "report", details),
        ):
            t = time.perf_counter()
            log.append(kind, dict(fields), author="ana")
            acc.append(time.perf_counter() - t)
    p, s, b = (statistics.median(x) for x in (plain_t, small_t, big_t))
    print(f"plain durable note append: {p * 1e3:.3f} ms median (the baseline)")
    print(
        f"sealed report append at 1,000 entries: {s * 1e3:.3f} ms median; "
        f"{s / p:.2f}x the plain append (the key appended to its day file, fsync'd first)"
    )
    print(f"sealed report append at {big:,} entries and keys: {b * 1e3:.3f} ms median")
    ratio = b / s
    print(
        f"sealed append cost ratio {big:,} / 1,000: {ratio:.2f} (budget <= 1.2) "
        f"{verdict(ratio <= 1.2)}"
    )
    small.close()
    large.close()
    return ratio <= 1.2


def bench_retention(root: Path, n: int) -> bool:
    public, _ = review_keypair()
    dd = DataDir(root / "retention")
    create_identity(dd, "retention")
    save_policy(dd, policy_from({"retention_days": 90}, public))
    fill_keys(KeyStore(dd), public, n, T0)
    before = (T0 + 60 * (n // 2)) // DAY * DAY  # about the first half are past retention
    due = sum(1 for i in range(n) if ((T0 + 60 * i) // DAY + 1) * DAY <= before)
    t = time.perf_counter()
    result = run_retention(dd, before + 90 * DAY)
    dt = time.perf_counter() - t
    ok = dt <= 30.0 * n / 100_000 and result.erased == due and result.kept == n - due
    print(
        f"retention pass over {n:,} keys: destroyed {result.erased:,}, kept {result.kept:,} "
        f"in {dt:.2f} s (budget <= {30.0 * n / 100_000:.1f} s, 30 s per 100,000) {verdict(ok)}"
    )
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--big", type=int, default=100_000, help="entries and keys")
    ap.add_argument("--rounds", type=int, default=100, help="timed durable appends per side")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="canopy-bench-", dir=Path.cwd()) as tmp:
        ok = bench_append(Path(tmp), args.big, args.rounds)
        ok &= bench_retention(Path(tmp), args.big)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
