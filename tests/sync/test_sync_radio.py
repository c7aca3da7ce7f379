"""What a hub's daemon puts on the air for sync: a new entry is pushed at once (no summary
and request round), with the `[sync] hop_limit` the operator set.

Real parts: a `canopy run` daemon on a virtual radio of a `canopy sim` mesh, a second
virtual radio listening through the real adapter and `meshtastic` library.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from support import DaemonFactory, SimFactory, WaitFor, new_hub, run_canopy

from hub.sync import frames as fr
from hub.sync.stream import from_air
from radio.adapter import RadioAdapter
from radio.events import DataReceived, RadioEvent


class Heard:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.data: list[DataReceived] = []

    def __call__(self, event: RadioEvent) -> None:
        if isinstance(event, DataReceived) and event.port == fr.PORT:
            with self.lock:
                self.data.append(event)

    def entries(self) -> list[tuple[DataReceived, fr.Entries]]:
        with self.lock:
            frames = [(d, fr.decode(d.payload)) for d in self.data]
        return [(d, f) for d, f in frames if isinstance(f, fr.Entries)]


def test_a_new_entry_is_pushed_with_the_configured_hop_limit(
    tmp_path: Path, sim: SimFactory, running_daemon: DaemonFactory, wait_for: WaitFor
) -> None:
    data = tmp_path / "bakery"
    assert run_canopy("init", "--name", "Bakery", data=data).code == 0
    feed = bytes.fromhex(json.loads(run_canopy("id", "--json", data=data).out)["feed"])
    mesh = sim(nodes=2, topology="full")
    heard = Heard()
    listener = RadioAdapter(f"tcp://127.0.0.1:{mesh.ports[1]}", heard)
    listener.start()
    try:
        assert listener.wait_connected(15)
        opts = ("--radio", f"tcp://127.0.0.1:{mesh.ports[0]}", "--sync-hop-limit", "2")
        with running_daemon(data, *opts, "--sync-imin", "600", "--sync-imax", "3600"):
            r = run_canopy("note", "Gate open at the park, closed it", data=data)
            assert r.code == 0, r.err

            def pushed() -> bool:
                return any(f.feed == feed[: fr.FEED_ID] for _, f in heard.entries())

            # Trickle is slowed to 10 minutes: only a push can bring the entry this soon
            wait_for(pushed, timeout=60, what="the new entry pushed on the air")
        d, f = next((d, f) for d, f in heard.entries() if f.feed == feed[: fr.FEED_ID])
        assert d.hop_start == 2  # the setting, not the radio's default
        p = fr.pieces(f)
        raws = [from_air(a) for a in p.entries]
        assert raws and b"Gate open at the park" in raws[-1]
    finally:
        listener.stop()


def test_the_daemon_tells_a_relayed_summary_from_one_heard_directly(
    tmp_path: Path, sim: SimFactory, running_daemon: DaemonFactory, wait_for: WaitFor
) -> None:
    """A summary that reached the hub through a relay comes from a hub whose earshot is not
    the hub's own: the engine must know (docs/sync.md, Trickle). On a chain of virtual
    radios, the hub at node 2 hears one summary sent two nodes away (relayed by node 1)
    and one sent by node 1 itself."""
    data, ident = new_hub(tmp_path, "Laundromat")
    fid = bytes.fromhex(ident["feed"])[: fr.FEED_ID]
    mesh = sim(nodes=3, topology="chain")
    far, near = (RadioAdapter(f"tcp://127.0.0.1:{mesh.ports[i]}", lambda e: None) for i in (0, 1))
    opts = ("--radio", f"tcp://127.0.0.1:{mesh.ports[2]}", "--sync-imin", "600")
    with running_daemon(data, *opts, "--sync-imax", "3600"):
        far.start()
        near.start()
        try:
            assert far.wait_connected(15) and near.wait_connected(15)

            def counts() -> dict[str, int]:
                status = json.loads(run_canopy("sync", "status", "--json", data=data).out)
                return dict(status["counts"])

            summary = fr.encode(fr.Summary(b"\xab" * 4, (fr.Frontier(fid, 0, bytes(4)),)))
            far.send_data(summary, fr.PORT, hop_limit=1)
            wait_for(lambda: counts().get("heard-summary") == 1, timeout=30, what="the summary")
            assert counts().get("relayed-summary") == 1
            near.send_data(summary, fr.PORT, hop_limit=1)
            wait_for(lambda: counts().get("heard-summary") == 2, timeout=30, what="the second")
            assert counts().get("relayed-summary") == 1  # heard directly
        finally:
            far.stop()
            near.stop()


def test_a_hop_limit_out_of_range_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    assert run_canopy("init", "--name", "Hub", data=data).code == 0
    r = run_canopy("run", "--sync-hop-limit", "8", data=data)
    assert r.code != 0 and "hop-limit" in (r.err + r.out)
