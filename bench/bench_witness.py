"""Witnessing: airtime per hub per hour at a steady log rate, and cosignature checks per second.

The airtime includes the hub's own signed heads (frame ``21``, :mod:`hub.witness.heads`):
one when its log grew, at most once per MIN_GAP, and again every REFRESH.

Airtime follows the witness service's own schedule (:mod:`hub.witness.service`: a look
every SCAN s; a feed that grew is cosigned at most once per MIN_GAP, an unchanged one again
every REFRESH) over real encoded frames, priced with the radio's airtime formula
(``radio.outqueue.airtime_seconds``) at LONG_FAST, as the service charges them. Each hub
witnesses every other hub of a fully federated neighbourhood whose hubs write at a steady
rate (Poisson, fixed seed). The budget: a tenth of the radio's duty-cycle budget
(360 s an hour), i.e. 36 s per hub per hour (sync may use half).

Verification: the full check of a heard cosignature (:meth:`WitnessCore.hear`: key and feed
lookup, replay window, the Ed25519 ``cosignature/v1`` signature, the replica's root) per
second, and the bare signature check; budget >= 200/s (a mesh delivers a few per second).

    .venv/bin/python bench/bench_witness.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from crypto.cosignature import Cosigner, cosign  # noqa: E402
from crypto.keys import SigningKey  # noqa: E402
from crypto.merkle import leaf_hash, root_from_leaf_hashes  # noqa: E402
from crypto.note import Checkpoint  # noqa: E402
from hub.witness.core import Known, WitnessCore  # noqa: E402
from hub.witness.frames import CosigFrame, encode, encode_head  # noqa: E402
from hub.witness.heads import judge, open_head, sign_head  # noqa: E402
from hub.witness.service import MIN_GAP, REFRESH, SCAN  # noqa: E402
from radio.outqueue import airtime_seconds  # noqa: E402

PRESET = "LONG_FAST"
AIR_BUDGET = 36.0
SYNC_SHARE = 180.0
VERIFY_BUDGET = 200.0


def verdict(ok: bool) -> str:
    return "OK" if ok else "OVER BUDGET"


def frame_bytes(size: int) -> int:
    key = SigningKey(bytes(32))
    c = Cosigner("canopy/corner-shop/d75a980182b10ab7/witness", key.public)
    sig = cosign(
        Checkpoint("canopy/corner-shop/d75a980182b10ab7", size, bytes(32)).body(),
        c.name,
        key,
        1_800_000_000,
    )
    return len(encode(CosigFrame(bytes(4), size, bytes(32), c.key_id, 1_800_000_000, sig)))


def head_bytes(size: int) -> int:
    key = SigningKey(bytes(32))
    h = sign_head(key, "canopy/corner-shop/d75a980182b10ab7", size, bytes(32), 1_800_000_000)
    return len(encode_head(h.frame()))


def airtime_per_hour(hubs: int, per_hour: float, hours: float, seed: int) -> tuple[float, int]:
    """Seconds on air one hub spends cosigning its peers and signing its own heads, per
    hour, and frames sent."""
    rng = random.Random(seed)
    peers = hubs - 1
    size = [0] * hubs  # the peers', then the own log (index ``peers``)
    cosigned = [(-1, -1e9)] * peers  # (size, when)
    head = (-1, -1e9)  # the own head last sent: (size, when)
    writes: list[tuple[float, int]] = []
    for p in range(hubs):
        t = 0.0
        while True:
            t += rng.expovariate(per_hour / 3600.0)
            if t > hours * 3600:
                break
            writes.append((t, p))
    writes.sort()
    air, frames, w, t = 0.0, 0, 0, 0.0
    while t < hours * 3600:
        while w < len(writes) and writes[w][0] <= t:
            size[writes[w][1]] += 1
            w += 1
        for p in range(peers):
            last_size, last_at = cosigned[p]
            if size[p] == 0 or t - last_at < MIN_GAP:
                continue
            if size[p] > last_size or t - last_at >= REFRESH:
                cosigned[p] = (size[p], t)
                air += airtime_seconds(frame_bytes(size[p]), PRESET)
                frames += 1
        own, (last_size, last_at) = size[peers], head
        if own and t - last_at >= MIN_GAP and (own > last_size or t - last_at >= REFRESH):
            head = (own, t)
            air += airtime_seconds(head_bytes(own), PRESET)
            frames += 1
        t += SCAN
    return air / hours, frames


def verifications(n: int) -> tuple[float, float]:
    key = SigningKey(bytes(range(32)))
    witness = Known("bb" * 32, Cosigner("canopy/bakery/bbbb/witness", key.public))
    feed, origin = "cc" * 32, "canopy/corner/cccc"
    leaves = [leaf_hash(bytes([i % 256, i // 256])) for i in range(1000)]
    roots = {s: root_from_leaf_hashes(leaves[:s]) for s in range(1, 1001)}
    frames = []
    for i in range(n):
        s = 1 + i % 1000
        body = Checkpoint(origin, s, roots[s]).body()
        sig = cosign(body, witness.cosigner.name, key, 1_800_000_000 + 60 * i)
        frames.append(
            CosigFrame(
                bytes.fromhex(feed)[:4],
                s,
                roots[s],
                witness.cosigner.key_id,
                1_800_000_000 + 60 * i,
                sig,
            )
        )
    core = WitnessCore("aa" * 32)
    t0 = time.perf_counter()
    for i, f in enumerate(frames):
        core.hear(
            f,
            1_800_000_000 + 60 * i,  # a minute apart: no flood, every one checked in full
            {witness.cosigner.key_id: witness},
            {bytes.fromhex(feed)[:4]: (feed, origin)},
            lambda _f, s: roots.get(s),
        )
    full = n / (time.perf_counter() - t0)
    assert core.counts["accepted"] == n, core.counts
    body = Checkpoint(origin, 7, roots[7]).body()
    sig = cosign(body, witness.cosigner.name, key, 5)
    t0 = time.perf_counter()
    for _ in range(n):
        witness.cosigner.verify(body, 5, sig)
    bare = n / (time.perf_counter() - t0)
    return full, bare


def head_checks(n: int) -> float:
    """Heard heads checked per second: decode, the feed key's signature, the verdict."""
    key = SigningKey(bytes(range(32)))
    origin = "canopy/corner/cccc"
    leaves = [leaf_hash(bytes([i % 256, i // 256])) for i in range(1000)]
    heads = [
        sign_head(key, origin, 1 + i % 1000, root_from_leaf_hashes(leaves[: 1 + i % 10]), i)
        for i in range(n)
    ]
    frames = [h.frame() for h in heads]
    feed = key.public.hex()
    held = None
    t0 = time.perf_counter()
    for f in frames:
        h = open_head(f, feed, origin)
        if judge(held, h) == "keep":
            held = h
    return n / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer simulated hours and checks")
    args = ap.parse_args()
    hours = 4.0 if args.quick else 48.0
    ok = True
    print(
        f"witness frame: {frame_bytes(812)} bytes; one costs "
        f"{airtime_seconds(frame_bytes(812), PRESET):.3f} s at {PRESET}"
    )
    for hubs, rate in ((3, 6.0), (3, 60.0), (3, 600.0), (10, 60.0)):
        air, frames = airtime_per_hour(hubs, rate, hours, seed=1)
        good = air <= AIR_BUDGET
        ok &= good
        print(
            f"witnessing airtime, {hubs} hubs, {rate:g} entries/h each: {air:.1f} s per hub "
            f"per hour ({frames / hours:.0f} frames/h; {air / SYNC_SHARE:.1%} of sync's "
            f"{SYNC_SHARE:.0f} s share) (budget <= {AIR_BUDGET:.0f} s) {verdict(good)}"
        )
    full, bare = verifications(300 if args.quick else 3000)
    heads = head_checks(300 if args.quick else 3000)
    print(f"head frame: {head_bytes(812)} bytes")
    for what, rate in (
        ("heard cosignatures checked", full),
        ("cosignature signatures", bare),
        ("heard heads checked", heads),
    ):
        good = rate >= VERIFY_BUDGET
        ok &= good
        print(f"{what}: {rate:,.0f}/s (budget >= {VERIFY_BUDGET:.0f}/s) {verdict(good)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
