"""Benchmark of a public audit: a year of a busy neighbourhood (5 hubs, 200 entries a day
each), audited on one core, and the weight of its audit page with the charts, gzipped.

    .venv/bin/python bench/bench_audit.py [--days 365] [--per-day 200] [--hubs 5]
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from audit_helpers import DAY, T0, neighbourhood  # noqa: E402

from hub.audit import audit_datadir, covers_text, digest  # noqa: E402
from hub.local import DataDir  # noqa: E402
from hub.log import HubLog, LogView  # noqa: E402

AUDIT_BUDGET = 5.0  # seconds, one core
PAGE_BUDGET = 15_000  # bytes gzipped, the portal's budget for public pages


def verdict(ok: bool) -> str:
    return "OK" if ok else "OVER BUDGET"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--per-day", type=int, default=200)
    ap.add_argument("--hubs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        data = neighbourhood(Path(tmp), args.hubs, args.days, args.per_day)
        view = LogView(DataDir(data))
        total = sum(len(view.reader(f)) for f in view.feeds())
        print(
            f"built {args.hubs} feeds, {total:,} signed entries "
            f"({args.days} days x ~{args.per_day}/day/hub) in {time.perf_counter() - t:.1f} s"
        )
        start, end = T0, T0 + args.days * DAY
        t = time.process_time()
        report = audit_datadir(view, start, end)
        spent = time.process_time() - t
        print(
            f"audit of {total:,} entries over {len(report['feeds'])} feeds: {spent:.2f} s CPU "
            f"({total / spent:,.0f} entries/s) (budget <= {AUDIT_BUDGET:g} s) "
            f"{verdict(spent <= AUDIT_BUDGET)}"
        )
        log = HubLog(DataDir(data))
        log.open()
        fields = {"start": start, "end": end, "covers": covers_text(report)}
        index = log.append("audit", {**fields, "digest": digest(report), "cycle": 28}).index
        log.close()

        from portal.app import create_app

        client = create_app({"DATA": str(data), "TESTING": True}).test_client()
        t = time.perf_counter()
        body = client.get(f"/audits/{index}").data
        first = time.perf_counter() - t
        css = client.get("/static/canopy.css").data
        assert b"the figures match the digest" in body, body[:500]
        page = len(gzip.compress(body, 6))
        both = page + len(gzip.compress(css, 6))
        print(f"audit page rendered in {first:.2f} s the first time (recomputed, then kept)")
        print(
            f"audit page with 4 SVG charts: {len(body):,} bytes, {page:,} gzipped; with the "
            f"stylesheet {both:,} gzipped (budget <= {PAGE_BUDGET:,}) "
            f"{verdict(both <= PAGE_BUDGET)}"
        )
        return 0 if spent <= AUDIT_BUDGET and both <= PAGE_BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
