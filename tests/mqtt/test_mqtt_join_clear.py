"""A JOIN code sent on the channel by mistake: burned at once, the sender told, and its text
never published on MQTT; then the broker killed under the running daemon: the radio is still
answered, and what was written meanwhile is published once it is back (the real daemon,
simulated mesh, meshtastic library and Mosquitto)."""

from __future__ import annotations

from pathlib import Path

from mqttkit import Collector
from support import BrokerFactory, DaemonFactory, Handheld, SimFactory, WaitFor, run_canopy

from hub.daemon import call
from radio.desk import BURNED


def test_join_on_the_channel_is_burned_and_never_reaches_mqtt(
    hub_dir: Path,
    sim: SimFactory,
    broker: BrokerFactory,
    running_daemon: DaemonFactory,
    wait_for: WaitFor,
) -> None:
    mosquitto = broker()
    mesh = sim(nodes=3, topology="full", speed=50.0)
    radio = ["--radio", f"tcp://127.0.0.1:{mesh.ports[0]}", "--mqtt", mosquitto.url]
    log = hub_dir.parent / "daemon.log"
    with running_daemon(hub_dir, *radio, "--mqtt-meshtastic-root", "", log=log):
        r = run_canopy("roster", "invite", "--handle", "alice", "--json", data=hub_dir)
        assert r.code == 0, r.err
        code = r.out.split('"code": "')[1].split('"')[0]
        sub = Collector(mosquitto.port, topics=("canopy/v1/+/radio/textreceived",)).start()
        alice = Handheld(mesh.ports[1], mesh.node_num(1), mesh.node_num(0))
        thief = Handheld(mesh.ports[2], mesh.node_num(2), mesh.node_num(0))
        try:
            since = alice.mark()
            alice.send_channel(f"JOIN {code}")
            assert alice.wait(lambda t: t == BURNED, since, dm_only=True) == BURNED
            alice.send_channel("evening all")  # an ordinary channel text is published
            wait_for(lambda: any(m["text"] == "evening all" for m in sub.on("/textreceived")))
            refused = thief.ask(f"JOIN {code}")
            assert refused.startswith("JOIN refused: code was sent in the clear"), refused

            def mqtt() -> dict[str, object]:
                return dict(call(hub_dir / "hub.sock", "status")["services"]["mqtt"])

            wait_for(lambda: mqtt()["backlog"] == 0, what="every entry published")
            mosquitto.kill()  # SIGKILL: no goodbye to the hub
            wait_for(lambda: not mqtt()["connected"], what="the hub to notice the broker gone")
            assert alice.ask("WHO") == "Nobody is on duty."  # the radio is still answered
            wrote = run_canopy("note", "written while the broker was down", data=hub_dir)
            assert wrote.code == 0, wrote.err
            assert mqtt()["backlog"] == 1  # kept for the broker, not dropped
            mosquitto.start()
            wait_for(
                lambda: mqtt()["connected"] and mqtt()["backlog"] == 0,
                timeout=40,
                what="the hub to reconnect and publish what it kept",
            )
            assert "mqtt: disconnects" in log.read_text()  # said plainly in the daemon's log
        finally:
            alice.close()
            thief.close()
            sub.stop()
    published = [m["text"] for m in sub.on("/textreceived")]
    assert "evening all" in published
    assert not any(code in t for t in published), published
    log = run_canopy("log", "show", "--json", data=hub_dir)
    assert log.code == 0 and '"enrol"' not in log.out, log.out
