"""Benchmark of hub-to-hub sync on the simulated LoRa mesh (LONG_FAST, EU_868), beside two
baselines: a naive flood and a one-request-per-entry walk. Prints each figure beside its
budget; exits 1 when the engine misses one.

    .venv/bin/python bench/bench_sync.py [--quick] [--seed N] [--only PART ...] [--engine-only]

Hubs are real HubCores over real data directories (signed own feeds, verified replicas);
their frames travel as Meshtastic packets on port 300 through the sans-IO mesh simulator
(`radio.sim.medium.Medium`) in simulated time. `bench/synclab.py` holds the harness.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synclab import (
    Hub,
    Net,
    Tally,
    build_neighbourhood,
    copy_neighbourhood,
    floor_airtime,
    framing_floor,
)

from hub.sync import frames as fr
from radio.sim import build_config, node_num

PRESET, REGION = "LONG_FAST", "EU_868"
KINDS = ("engine", "flood", "walk")
LABEL = {
    "engine": "engine",
    "flood": "naive flood",
    "walk": "request per entry",
}
FRAME_NAMES = {1: "summary", 2: "request", 3: "entries", 5: "announce", 6: "checkpoint"}

RATIO_LOSSLESS, RATIO_LOSSY = 1.15, 1.3
IDLE_PER_16MIN = 1.0
HEAL_S, HEAL_AIRTIME_S = 8 * 60.0, 110.0


def verdict(ok: bool) -> str:
    return "OK" if ok else "OVER BUDGET"


def mins(t: float | None) -> str:
    return "not within the run" if t is None else f"{t / 60:.1f} min"


@dataclass
class Lab:
    root: Path
    seed: int
    templates: dict[int, list[Path]] = field(default_factory=dict)
    runs: int = 0

    def neighbourhood(self, n: int) -> list[Path]:
        if n not in self.templates:
            self.templates[n] = build_neighbourhood(self.root / f"template{n}", n, 5, self.seed)
        self.runs += 1
        return copy_neighbourhood(self.templates[n], self.root / f"run{self.runs}")

    def hubs(self, n: int, kind: str, nodes: list[int]) -> list[Hub]:
        paths = self.neighbourhood(n)
        return [
            Hub(p.name, node, p, kind, self.seed * 100 + i)
            for i, (p, node) in enumerate(zip(paths, nodes, strict=True))
        ]


def everyone_holds_everything(net: Net, hubs: list[Hub]) -> Callable[[], bool]:
    def done() -> bool:
        if not all(h.up for h in hubs):
            return False
        feeds = [h.feed() for h in hubs]
        sizes = {f: max(net.held(h, f) for h in hubs) for f in feeds}
        return all(net.held(h, f) == sizes[f] for h in hubs for f in feeds)

    return done


# -- 1 and 5: catch-up of a hub that was off ----------------------------------------------


@dataclass
class CatchUp:
    kind: str
    loss: float
    hop_limit: int
    on_air: Tally
    delivered: int  # bytes of the entries the lagging hub stored
    entries: int
    took: float | None
    settle: Tally
    floor: int  # bytes on air of the fewest whole-entry frames that carry them
    refused: int  # hub frames the firmware refused for its duty cycle (DUTY_CYCLE_LIMIT)
    restart: dict[str, int] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.on_air.bytes / self.delivered if self.delivered else math.inf


OFF_S = 1200.0  # hub C is off for the first 20 minutes


def catch_up(
    lab: Lab,
    kind: str,
    loss: float,
    per_hub: int,
    hop_limit: int = 0,
    restart: bool = False,
) -> CatchUp:
    """Three shops in earshot (full mesh). C is off while A and B write ``per_hub`` entries
    each and sync them between themselves; then C boots and catches up."""
    cfg = build_config(
        3, "full", preset=PRESET, region=REGION, loss=loss, seed=lab.seed, hop_limit=hop_limit
    )
    cfg.partition([2], 0.0, OFF_S)  # C's radio is off too: it hears and relays nothing
    hubs = lab.hubs(3, kind, [0, 1, 2])
    a, b, c = hubs
    net = Net(cfg, hubs, hop_limit)
    rng = random.Random(lab.seed)
    net.boot(a)
    net.boot(b)
    for h in (a, b):
        for _ in range(per_hub):
            net.at(rng.uniform(30.0, OFF_S - 300.0), lambda h=h: net.write(h, rng))
    net.run(OFF_S)
    net.boot(c)
    assert c.store is not None
    feeds = [h.feed() for h in hubs]
    base = {f: net.held(c, f) for f in feeds}
    done = everyone_holds_everything(net, hubs)
    info: dict[str, int] = {}
    if restart:
        missing = sum(max(net.held(h, f) for h in (a, b)) - base[f] for f in feeds)
        _arm_restart(net, c, feeds, base, missing, info)
    took = net.run(OFF_S + 4 * 3600.0, done)
    end = net.clock.t
    assert c.store is not None
    delivered = entries = 0
    got = []
    for f in feeds:
        raws = c.store.read(f, base[f], net.held(c, f))
        got.append((f, base[f], raws))
        delivered += sum(len(r) for r in raws)
        entries += len(raws)
    tally = Tally.of(net.window(OFF_S, end))
    net.run(end + 600.0)
    settle = Tally.of(net.window(end + 1e-9, end + 600.0))
    for h in hubs:
        net.halt(h)
    took = None if took is None else took - OFF_S
    floor = framing_floor(got)
    return CatchUp(
        kind, loss, hop_limit, tally, delivered, entries, took, settle, floor, net.refused, info
    )


def _arm_restart(
    net: Net, c: Hub, feeds: list[bytes], base: dict[bytes, int], missing: int, info: dict[str, int]
) -> None:
    """Restart C (close its HubCore; rebuild it and its engine from disk 20 s later) once it
    holds half of what it lacked; count the entries it hears that it already holds."""
    held_at: dict[bytes, int] = {}
    back = [math.inf]
    info.update(held_at_restart=0, twice_before=0, twice_after=0, refetched=0, resumed=1)

    def feed_of(fid: bytes) -> bytes | None:
        return next((f for f in feeds if f[: fr.FEED_ID] == fid), None)

    def watch(hub: Hub, payload: bytes, sender: int) -> None:
        frame = fr.decode(payload)
        if hub is c and isinstance(frame, fr.Entries) and (feed := feed_of(frame.feed)):
            size = net.held(c, feed)
            p = fr.pieces(frame)
            for pos in range(p.first, p.first + len(p.entries)):
                if pos < size:
                    info["twice_after" if held_at else "twice_before"] += 1
                    info["refetched"] += bool(held_at) and pos < held_at[feed]
            gained = sum(net.held(c, f) - base[f] for f in feeds)
            if not held_at and gained >= missing // 2:
                held_at.update({f: net.held(c, f) for f in feeds})
                info["held_at_restart"] = gained
                back[0] = net.clock.t + 20.0
                net.at(net.clock.t, lambda: net.halt(c))
                net.at(back[0], lambda: net.boot(c))
        elif isinstance(frame, fr.Request) and sender == node_num(c.node):
            feed = feed_of(frame.feed)
            if feed is not None and net.clock.t > back[0] and frame.start < held_at[feed]:
                info["resumed"] = 0

    net.on_sync_frame = watch


# -- 2: idle --------------------------------------------------------------------------------


def idle(lab: Lab, kind: str, n: int, warm_h: float, hours: float) -> tuple[Tally, float]:
    cfg = build_config(n, "full", preset=PRESET, region=REGION, seed=lab.seed, hop_limit=0)
    hubs = lab.hubs(n, kind, list(range(n)))
    net = Net(cfg, hubs, 0)
    for h in hubs:
        net.boot(h)
    net.run(warm_h * 3600.0)
    net.run((warm_h + hours) * 3600.0)
    tally = Tally.of(net.window(warm_h * 3600.0, (warm_h + hours) * 3600.0))
    for h in hubs:
        net.halt(h)
    return tally, hours * 60.0 / 16.0


# -- 3: partition and heal on a chain with relays -------------------------------------------


@dataclass
class Heal:
    kind: str
    hop_limit: int
    took: float | None
    airtime: dict[str, float]  # per hub, heal .. done
    relays_airtime: float
    on_air: Tally
    partition_airtime: dict[str, float]
    crossing: tuple[float, float]  # airtime of the fewest frames carrying each side's entries
    earshot: float  # airtime of the relay at the cut and of the hubs either side of it
    refused: int  # hub frames the firmware refused for its duty cycle (DUTY_CYCLE_LIMIT)


def partition_heal(
    lab: Lab,
    kind: str,
    hubs_n: int = 5,
    entries: int = 100,
    partition_s: float = 1500.0,
    hop_limit: int = 1,
) -> Heal:
    """hub, relay, hub, relay, ... on a chain; the link right of the middle hub is down for
    ``partition_s`` while the hubs write ``entries`` in total; then it heals."""
    nodes = 2 * hubs_n - 1
    cfg = build_config(
        nodes, "chain", preset=PRESET, region=REGION, seed=lab.seed, hop_limit=hop_limit
    )
    middle = 2 * (hubs_n // 2)
    cfg.partition(range(middle + 1), 0.0, partition_s)
    hubs = lab.hubs(hubs_n, kind, [2 * i for i in range(hubs_n)])
    net = Net(cfg, hubs, hop_limit)
    rng = random.Random(lab.seed + 1)
    for h in hubs:
        net.boot(h)
    for i in range(entries):
        h = hubs[i % hubs_n]
        net.at(rng.uniform(60.0, partition_s - 60.0), lambda h=h: net.write(h, rng))
    net.run(partition_s)
    before = Tally.of(net.window(0.0, partition_s))
    sides = (hubs[: hubs_n // 2 + 1], hubs[hubs_n // 2 + 1 :])
    held = {(h.name, f): net.held(h, f) for h in hubs for f in (x.feed() for x in hubs)}
    took = net.run(partition_s + 3 * 3600.0, everyone_holds_everything(net, hubs))
    end = net.clock.t
    tally = Tally.of(net.window(partition_s, end))
    relays = sum(a for node, a in tally.airtime.items() if node % 2)
    crossing = []
    for side, other in (sides, sides[::-1]):
        there = other[0]  # a hub of the other side: what it lacked of this side's feeds
        assert there.store is not None
        lacked = [
            (
                h.feed(),
                held[(there.name, h.feed())],
                there.store.read(h.feed(), held[(there.name, h.feed())], net.held(there, h.feed())),
            )
            for h in side
        ]
        crossing.append(floor_airtime(lacked))
    for h in hubs:
        net.halt(h)
    return Heal(
        kind,
        hop_limit,
        None if took is None else took - partition_s,
        {h.name: tally.airtime.get(h.node, 0.0) for h in hubs},
        relays,
        tally,
        {h.name: before.airtime.get(h.node, 0.0) for h in hubs},
        (crossing[0], crossing[1]),
        sum(tally.airtime.get(node, 0.0) for node in (middle, middle + 1, middle + 2)),
        net.refused,
    )


def hop_limits(lab: Lab, per_hub: int) -> None:
    """Measure the hop limit hubs should send with, per topology (the engine)."""
    print("\nhop limit, measured with the engine (hub frames + the mesh's rebroadcasts):")
    for hop in (0, 1, 3):
        r = catch_up(lab, "engine", 0.0, per_hub, hop_limit=hop)
        t = r.on_air
        print(
            f"   full mesh catch-up, hop limit {hop}: {t.bytes + t.relayed_bytes:,} B on air "
            f"({t.relayed_bytes:,} B rebroadcast), done in {mins(r.took)}"
        )
    for hop in (1, 3):
        h = partition_heal(lab, "engine", 5, 100, hop_limit=hop)
        print(
            f"   chain heal, hop limit {hop}: done in {mins(h.took)}, hubs "
            f"{sum(h.airtime.values()):.0f} s + relays {h.relays_airtime:.0f} s of airtime"
        )
    print("   chosen: 0 where hubs hear each other, 1 across one relay; hubs store and forward")


def floor_text(h: Heal) -> str:
    """What no protocol with hop limit 1 can beat on this chain. Each side's entries cross
    the relay at the cut: the hub on one side sends them, the relay rebroadcasts them, the
    hub on the other side forwards them to the hubs behind it, and the relay rebroadcasts
    that too. The two hubs at the cut cannot hear each other, so all four transmissions
    share the relay's earshot and cannot overlap; each hub at the cut sends every entry
    at least once."""
    left, right = h.crossing
    relay = 4 * (left + right)
    run = (
        f"; this run: {h.earshot:.0f} s in that earshot, {h.earshot / h.took:.0%} of the heal"
        if h.took
        else ""
    )
    return (
        f"   {'floor':<18}: the fewest frames carrying each side's entries take {left:.0f} s "
        f"+ {right:.0f} s of airtime; four transmissions of each in the earshot of the "
        f"relay at the cut = {relay:.0f} s ({relay / 60:.1f} min at 100 % channel use; "
        f"the heal may take {HEAL_S / 60:g} min); each hub at the cut sends "
        f">= {left + right:.0f} s (of {HEAL_AIRTIME_S:g} s){run}"
    )


# -- the report -----------------------------------------------------------------------------


def frames_text(t: Tally) -> str:
    return ", ".join(f"{n} {FRAME_NAMES[k]}" for k, n in sorted(t.by_type.items()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smaller runs, a few seconds")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--only",
        choices=("hops", "catchup", "idle", "heal", "restart"),
        action="append",
        help="run only these parts (repeatable); default all",
    )
    ap.add_argument("--engine-only", action="store_true", help="skip the two baselines")
    args = ap.parse_args()
    parts = set(args.only or ("hops", "catchup", "idle", "heal", "restart"))
    kinds = ("engine",) if args.engine_only else KINDS
    quick = args.quick
    started = time.perf_counter()
    ok = True
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as tmp:
        lab = Lab(Path(tmp), args.seed)
        per_hub = 10 if quick else 40
        print(
            f"sync on the simulated mesh: {PRESET}, {REGION} (10 % duty cycle), "
            f"real hubs and signed entries, seed {args.seed}{', quick' if quick else ''}"
        )
        print(
            "bytes on air = for each packet a hub transmits: the 16-byte Meshtastic header +"
            " the encoded Data (portnum 300, payload = the sync frame), as the simulator's "
            "frame_size counts it; rebroadcasts by the mesh are counted apart"
        )

        if not quick and "hops" in parts:
            hop_limits(lab, per_hub)

        if "catchup" in parts:
            # 1. catch-up
            print(
                f"\n1. catch-up: 3 shops in earshot, hop limit 0; C is off for 20 min while A "
                f"and B write {2 * per_hub} entries; C boots and catches up"
            )
            results: dict[tuple[str, float], CatchUp] = {}
            for loss in (0.0, 0.1):
                for kind in kinds:
                    r = results[(kind, loss)] = catch_up(lab, kind, loss, per_hub)
                    line = (
                        f"   {LABEL[kind]:<18} loss {loss:>4.0%}: {r.on_air.bytes:>7,} B on air "
                        f"/ {r.delivered:,} B of {r.entries} entries = {r.ratio:.3f}"
                    )
                    line += f"; {r.on_air.frames} frames ({frames_text(r.on_air)})"
                    line += f"; rebroadcast {r.on_air.relayed_bytes:,} B; done in {mins(r.took)}"
                    line += f"; refused for the duty cycle: {r.refused}"
                    if kind == "engine":
                        line += f"; whole-entry framing alone: {r.floor / r.delivered:.3f}"
                        limit = RATIO_LOSSLESS if loss == 0 else RATIO_LOSSY
                        good = r.ratio <= limit and r.took is not None and not r.refused
                        ok &= good
                        line += f" (budget: <= {limit}) {verdict(good)}"
                    print(line)
                e = results[("engine", loss)]
                print(
                    f"   {'':<18} then, in the 10 min after: {e.settle.frames} frames, "
                    f"{e.settle.bytes:,} B ({frames_text(e.settle) or 'none'})"
                )

        if "idle" in parts:
            # 2. idle
            warm, hours = (0.5, 2.0) if quick else (1.0, 6.0)
            print(
                f"\n2. idle: nothing missing, full mesh; {hours:g} simulated hours after "
                f"{warm:g} h of warm-up"
            )
            for n in (3, 5) if quick else (3, 5, 10):
                for kind in kinds:
                    t, per = idle(lab, kind, n, warm, hours)
                    summaries = t.by_type.get(fr.SUMMARY, 0)
                    packets = summaries if kind != "flood" else t.frames
                    rate = packets / per
                    line = (
                        f"   {n:>2} hubs {LABEL[kind]:<18}: {packets} "
                        f"{'summaries' if kind != 'flood' else 'entry packets'} = "
                        f"{rate:.2f} per 16 min; all frames {t.frames} ({frames_text(t)})"
                    )
                    if kind == "engine":
                        good = rate <= IDLE_PER_16MIN
                        ok &= good
                        line += f" (budget: <= {IDLE_PER_16MIN:g}) {verdict(good)}"
                    print(line)

        if "heal" in parts:
            # 3. partition and heal
            n_hubs, total = 5, (40 if quick else 100)
            print(
                f"\n3. partition and heal: {n_hubs} hubs on a chain with a relay between "
                f"neighbours, hop limit 1; {total} entries written in total during a "
                f"25-minute partition in the middle"
            )
            for kind in kinds:
                h = partition_heal(lab, kind, n_hubs, total)
                worst = max(h.airtime.values())
                line = (
                    f"   {LABEL[kind]:<18}: every hub holds every feed {mins(h.took)} after "
                    f"the heal; most airtime of one hub {worst:.0f} s "
                    f"({', '.join(f'{k} {v:.0f}' for k, v in h.airtime.items())}); relays "
                    f"{h.relays_airtime:.0f} s; refused for the duty cycle: {h.refused}"
                )
                if kind == "engine":
                    good = h.took is not None and h.took <= HEAL_S and worst <= HEAL_AIRTIME_S
                    good &= not h.refused
                    ok &= good
                    line += (
                        f" (budget: <= {HEAL_S / 60:g} min, <= {HEAL_AIRTIME_S:g} s per hub) "
                        f"{verdict(good)}"
                    )
                    line += (
                        f"; during the partition: "
                        f"{', '.join(f'{k} {v:.0f}' for k, v in h.partition_airtime.items())} s"
                    )
                print(line)
                if kind == "engine":
                    print(floor_text(h))

        if "restart" in parts:
            # 5. restart
            print(
                "\n5. restart: C's HubCore and engine rebuilt from disk (20 s down) when it "
                "holds half of what it lacked"
            )
            r = catch_up(lab, "engine", 0.0, per_hub, restart=True)
            print(
                f"   held {r.restart.get('held_at_restart', 0)} of {r.entries} at the restart; "
                f"requests after it started {'where it was' if r.restart['resumed'] else 'lower'};"
                f" entries received twice: {r.restart['twice_before']} before, "
                f"{r.restart['twice_after']} after the restart, of which re-fetched "
                f"(held before the restart): {r.restart['refetched']}; done in {mins(r.took)}, "
                f"ratio {r.ratio:.3f}"
            )

    print(f"\n(ran in {time.perf_counter() - started:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
