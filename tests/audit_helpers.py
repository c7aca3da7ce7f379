"""A neighbourhood with a history, for the audit tests and the audit benchmark: hubs with
real signed feeds (HubLog, claimed times set by hand), and the feeds of the other hubs
copied into the first hub's data directory as replicas."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from hub.local import DataDir, create_identity
from hub.log import HubLog, TimeSource

T0 = 1740960000  # 2025-03-03T00:00:00Z, a Monday
DAY = 86_400
HANDLES = ["ana", "ben", "cai", "dee", "eli", "fay", "gus", "hal"]


class Clocked:
    """A HubLog whose claimed time the test sets."""

    def __init__(self, root: Path, name: str) -> None:
        self.dd = DataDir(root)
        create_identity(self.dd, name)
        self.log = HubLog(self.dd)
        self.now = T0
        self.log.wall = lambda: (self.now, TimeSource.GPS)
        self.log.open()

    def add(self, kind: str, fields: dict, author: str = "", at: int | None = None) -> int:  # type: ignore[type-arg]
        if at is not None:
            self.now = max(self.now, at)
        return self.log.append(kind, fields, author=author, sync=False).index

    def close(self) -> None:
        assert self.log.own is not None
        self.log.own.sync()
        self.log.close()


def busy_feed(hub: Clocked, days: int, per_day: int, seed: int, handles: list[str]) -> None:
    """``days`` of patrol life, about ``per_day`` entries a day, deterministic for ``seed``."""
    rng = random.Random(seed)
    start = hub.now
    for h in handles[:2]:
        hub.add("enrol", {"handle": h, "role": "coordinator", "until": start + 20 * DAY})
    for h in handles[2:]:
        hub.add("enrol", {"handle": h, "role": "steward", "until": start + 400 * DAY})
    on: set[str] = set()
    alerts: list[int] = []
    for d in range(days):
        base = start + d * DAY
        times = sorted(rng.randrange(base, base + DAY) for _ in range(per_day))
        for t in times:
            h = rng.choice(handles)
            r = rng.random()
            if r < 0.25:
                if h in on and rng.random() < 0.6:
                    hub.add("checkout", {}, h, t)
                    on.discard(h)
                else:
                    hub.add("checkin", {"minutes": rng.choice([30, 45, 60])}, h, t)
                    on.add(h)
            elif r < 0.45:
                hub.add("incident", {"text": f"incident {t}"}, h, t)
            elif r < 0.5:
                alerts.append(hub.add("alert", {"text": f"alert {t}"}, handles[0], t))
            elif r < 0.65 and alerts:
                hub.add("ack", {"alert": rng.choice(alerts[-3:])}, h, t)
            elif r < 0.68 and alerts:
                hub.add("cancel", {"alert": alerts[-1]}, handles[1], t)
            elif r < 0.72 and on:
                who = sorted(on)[0]
                hub.add(
                    "overdue",
                    {"handle": who, "stage": rng.choice(["reminder", "escalated"])},
                    "",
                    t,
                )
            elif r < 0.74 and hub.log.own is not None and len(hub.log.own) > 1:
                target = rng.randrange(len(hub.log.own))
                fields: dict = {"target": target, "text": f"fix {t}"}  # type: ignore[type-arg]
                if rng.random() < 0.3:
                    fields["retract"] = 1
                hub.add("correction", fields, "", t)
            elif r < 0.76:
                hub.add("compact", {"name": None}, "", t)
            elif r < 0.765:
                hub.add("revoke", {"handle": h}, "", t)
                on.discard(h)
                hub.add("enrol", {"handle": h, "role": "steward", "until": t + 90 * DAY}, "", t)
            else:
                hub.add("note", {"text": f"quiet {t}"}, h, t)


def neighbourhood(root: Path, hubs: int, days: int, per_day: int) -> Path:
    """``hubs`` hubs' feeds, all in the data directory of the first one; returns its path."""
    first = root / "hub0"
    for k in range(hubs):
        hub = Clocked(root / f"hub{k}", f"Hub {k}")
        busy_feed(hub, days, per_day, seed=k, handles=HANDLES[k % 3 :] if k else HANDLES)
        hub.close()
        if k:
            src = hub.dd.feed_path(hub.log.feed_hex)
            shutil.copy(src, DataDir(first).feed_path(hub.log.feed_hex))
    return first
