"""Sync over MQTT: two hubs on one broker and no radio keep each other's logs; a hub that
missed entries asks for them with the same frames; each entry is stored once."""

from __future__ import annotations

import json
from pathlib import Path

from support import BrokerFactory, DaemonFactory, WaitFor, feed_texts, new_hub, run_canopy

FAST_SYNC = ("--sync-imin", "5", "--sync-imax", "60")


def test_hubs_on_one_broker_sync_without_radios_and_fill_gaps(
    tmp_path: Path, broker: BrokerFactory, running_daemon: DaemonFactory, wait_for: WaitFor
) -> None:
    a, aid = new_hub(tmp_path, "Bakery")
    b, bid = new_hub(tmp_path, "Laundry")
    assert run_canopy("peer", "add", bid["vkey"], data=a).code == 0
    assert run_canopy("peer", "add", aid["vkey"], data=b).code == 0
    mosquitto = broker()
    for i in range(5):  # written while the laundry's hub is off: no MQTT message reaches it
        assert run_canopy("note", f"early {i}", data=a).code == 0
    with (
        running_daemon(a, "--mqtt", mosquitto.url, *FAST_SYNC),
        running_daemon(b, "--mqtt", mosquitto.url, *FAST_SYNC),
    ):
        assert run_canopy("note", "live", data=a).code == 0
        # the peer entry and its pin-share first; the daemon names its witness key
        # (docs/witness.md) at start
        want = [None, None, *(f"early {i}" for i in range(5)), None, "live"]
        wait_for(lambda: feed_texts(b, aid["feed"]) == want, timeout=60, what="A's feed at B")
        status = json.loads(run_canopy("sync", "status", "--json", data=b).out)
        counts = status["counts"]
        assert counts.get("stored", 0) == len(want)  # each entry stored once
        # an entry about another hub's feed (the peer entry) arrives over MQTT under its own
        # feed, never under the one it names (that was refused as a bad signature)
        assert not any(k.startswith("rejected-") for k in counts), counts
        assert counts.get("heard-entries", 0) >= 1  # the gap came in answer frames
