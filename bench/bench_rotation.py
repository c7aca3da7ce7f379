"""Benchmark of the assembly's fold: ten years of mandates, votes and charter versions for a
whole neighbourhood (three federated hubs), folded into ``HubState`` as a restarted daemon
or a fresh portal worker does. Then the reads every desk tick and calendar page make.

Synthetic log, in memory (bodies built and folded; the signed log's decoding is measured by
bench_state.py): each hub enrols its members every year, and every quarter opens a vote on
each of three roles that every member answers, plus a yearly charter vote.

    .venv/bin/python bench/bench_rotation.py [--years 10] [--members 60]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.log import Body, FieldValue, LoggedEntry, make_body
from hub.state import HubState, Rules, reminders

DAY = 86_400
ROLES = ("coordinator", "facilitator", "treasurer")
FEEDS = [f"{i:02x}" * 32 for i in range(1, 4)]


def verdict(ok: bool) -> str:
    return "OK" if ok else "OVER BUDGET"


class Feed:
    def __init__(self, feed: str) -> None:
        self.feed = feed
        self.entries: list[LoggedEntry] = []

    def add(self, kind: str, fields: dict[str, FieldValue], t: int, author: str = "") -> int:
        body: Body = make_body(kind, fields, time=t, author=author)
        i = len(self.entries)
        self.entries.append(LoggedEntry(self.feed, i, b"", body))
        return i


def synthetic(years: int, members: int, start: int) -> list[LoggedEntry]:
    """Every feed's entries, own feed (FEEDS[0]) first, as the daemon folds them."""
    feeds = [Feed(f) for f in FEEDS]
    for other in FEEDS[1:]:
        feeds[0].add("peer", {"feed": bytes.fromhex(other), "name": other[:4]}, start)
    for h, fd in enumerate(feeds):
        people = [f"h{h}m{i:02d}" for i in range(members)]
        t = start + 1
        for year in range(years):
            t = start + year * 365 * DAY + 1
            for p in people:
                fd.add("enrol", {"handle": p, "role": "steward", "until": t + 400 * DAY}, t)
            for q in range(4):
                tq = t + q * 91 * DAY + 10
                votes = [(r, people[(year * 4 + q + k) % members]) for k, r in enumerate(ROLES)]
                if q == 0:
                    votes.append(("charter", ""))
                for role, who in votes:
                    fields: dict[str, FieldValue] = {
                        "what": "charter" if role == "charter" else "mandate",
                        "closes": tq + 7 * DAY,
                        "voters": " ".join(people),
                        "quorum": 50,
                        "majority": 50,
                    }
                    if role == "charter":
                        fields["text"] = f"# Charter\n\nVersion of year {year}.\n" * 20
                    else:
                        fields.update(handle=who, role=role, term=90 * DAY)
                    n = fd.add("proposal", fields, tq, people[0])
                    for k, p in enumerate(people):
                        fd.add("vote", {"proposal": n, "yes": int(k % 4 != 0)}, tq + 60, p)
                    yes = members - (members + 3) // 4
                    out: dict[str, FieldValue] = {
                        "proposal": n,
                        "carried": 1,
                        "yes": yes,
                        "no": members - yes,
                    }
                    if role != "charter":
                        out.update(handle=who, role=role, until=tq + 120 + 90 * DAY)
                    fd.add("outcome", out, tq + 120)
                    if role == "charter":
                        fd.add("charter", {"text": str(fields["text"])}, tq + 121)
    return [e for fd in feeds for e in fd.entries]


def fold(entries: list[LoggedEntry]) -> HubState:
    st = HubState(FEEDS[0], "Bench")
    for e in entries:
        st.apply(e)
    return st


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--members", type=int, default=60)
    args = ap.parse_args()
    start = int(time.time()) - args.years * 365 * DAY
    entries = synthetic(args.years, args.members, start)
    ok = True
    best = min(_timed(lambda: fold(entries)) for _ in range(3))
    good = best < 1.0
    ok &= good
    st = fold(entries)
    terms = len(st.mandates.terms)
    print(
        f"fold {args.years} years, {len(FEEDS)} hubs, {args.members} members each: "
        f"{len(entries):,} entries, {terms} terms in {best:.3f} s "
        f"(budget < 1 s) {verdict(good)}"
    )

    def fold_without_assembly() -> None:
        st = HubState(FEEDS[0], "Bench")
        st.mandates.apply = lambda e: None  # type: ignore[method-assign]
        for e in entries:
            st.apply(e)

    base = min(_timed(fold_without_assembly) for _ in range(3))
    print(f"  the assembly's own share: {best / base:.2f}x the fold without its votes and terms")
    now = time.time()
    sent: dict[str, int] = {}
    rules = Rules()

    def tick() -> None:
        st.mandates.due(st.own, now)
        sent.clear()
        reminders(st, rules, now, sent)

    us = _timed(lambda: [tick() for _ in range(200)]) / 200 * 1e6
    good = us < 2000
    ok &= good
    print(f"desk tick (outcomes due + reminders): {us:,.0f} us (budget < 2,000 us) {verdict(good)}")
    us = (
        _timed(lambda: [st.mandates.consecutive("h0m00", "coordinator", now) for _ in range(200)])
        / 200
        * 1e6
    )
    good = us < 1000
    ok &= good
    print(f"term-limit check of one proposal: {us:,.0f} us (budget < 1,000 us) {verdict(good)}")
    return 0 if ok else 1


def _timed(fn: object) -> float:
    t = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t


if __name__ == "__main__":
    sys.exit(main())
