"""The MQTT service: publishes the log, status and alerts; takes commands and Meshtastic traffic.

Threads and invariants:

- paho-mqtt's network thread (``loop_start``) connects, reconnects with backoff and calls our
  callbacks; they never raise (a callback exception would kill paho's thread) and only
  queue work.
- A publisher thread reads new entries from the feed files (append-only, safe to read
  while written), publishes them QoS 1 within a bounded window, applies PUBACKs to the
  :class:`~hub.mqtt.outbox.Outbox` and hands cursor snapshots to the daemon loop to save.
  The daemon loop is never blocked on the broker: its only job here is an
  ``Event.set()`` per append, plus saving cursors and nodes.
- Nothing from MQTT changes hub state except the node list. Commands go to the radio
  service, Meshtastic texts to the command handler as *unauthenticated* events (counted and
  logged, never answered); both on the daemon loop via ``call_soon``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import threading
import time as _time
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt

from hub.log import FeedReader, LoggedEntry, iso_time
from hub.mqtt.client import Counts, make_client
from hub.mqtt.inbound import Inbound, MeshDecoder
from hub.mqtt.outbox import Outbox
from hub.mqtt.peers import PEER_LOG, PEER_SYNC, PeerInbound
from hub.mqtt.settings import MqttSettings, is_feed_hex
from hub.mqtt.topics import Redact, Topics, dumps, entry_payload
from hub.privacy import public_redactor
from hub.state import COORDINATOR

if TYPE_CHECKING:
    from hub.daemon import Daemon
    from hub.state import HubState

log = logging.getLogger("canopy.mqtt")
_ALERT_KINDS = frozenset({"alert", "ack", "cancel"})
_OK_RC = (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN)  # NO_CONN: queued, sent on reconnect


class MqttService:
    """One broker connection for one hub; built cheaply, connected by :meth:`start`."""

    name = "mqtt"

    def __init__(self, settings: MqttSettings, decoder: MeshDecoder | None = None) -> None:
        self.settings = settings
        self.counts = Counts()
        self._count = self.counts.add
        self.inbound = Inbound(settings, self._count, self._result, decoder)
        self._daemon: Daemon | None = None
        self._client: mqtt.Client | None = None
        self._topics: Topics | None = None
        self._redact: Redact | None = None
        self.peers: PeerInbound | None = None
        self._outbox: Outbox | None = None
        self._readers: dict[str, FeedReader] = {}
        self._own = ""
        # active alerts as JSON, from the hub's own AlertBook; set on the loop, read by the pump
        self._alerts_json: list[dict[str, Any]] = []
        self._state: HubState | None = None
        self._alerts_dirty = True
        self._duty: list[str] = []  # handles on duty, as the hub's state says (loop thread)
        self._coords: list[str] = []  # coordinators now, likewise
        self._status_at = 0.0
        self._kick = threading.Event()
        self._stopping = threading.Event()
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self._acks: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._pump_thread: threading.Thread | None = None
        self._refused = False

    # -- life cycle (daemon loop thread) --------------------------------------------------
    def start(self, daemon: Daemon) -> None:
        self._daemon = daemon
        self.inbound.daemon = daemon
        core = daemon.core
        self._own = core.log.feed_hex
        self._topics = Topics(self._own)
        self._redact = public_redactor(core.datadir)
        self.peers = PeerInbound(self._topics.hub, self._count)
        self.peers.daemon = daemon
        self._outbox = Outbox(Outbox.load(core.db), self.settings.limits.window)
        core.mqtt = self  # the radio service shares what it hears through this port
        self._state = core.state  # the core folds each entry before any listener is told
        self._alerts_json = self._active_alerts()
        self._duty = self._state.on_duty_handles(core.clock())
        self._coords = self._coordinators(core.clock())
        self._client = self._make_client()
        core.log.listeners.append(self._on_append)
        self._discover()
        s = self.settings
        self._client.connect_async(s.host, s.port, keepalive=s.limits.keepalive)
        self._client.loop_start()
        self._pump_thread = threading.Thread(target=self._pump, name="mqtt-publisher", daemon=True)
        self._pump_thread.start()
        daemon.call_soon(self._tick)
        log.info("mqtt: publishing to %s as %s", s.broker, self._topics.base)

    def stop(self) -> None:
        self._stopping.set()
        self._kick.set()
        if self._pump_thread is not None:
            self._pump_thread.join(10)
        daemon, client = self._daemon, self._client
        if daemon is not None and self._on_append in daemon.core.log.listeners:
            daemon.core.log.listeners.remove(self._on_append)
        if client is not None and self._topics is not None:
            if self._connected.is_set():
                info = client.publish(
                    self._topics.status, self._status_payload(False, "stopped"), 1, True
                )
                with contextlib.suppress(RuntimeError, ValueError):
                    info.wait_for_publish(2.0)
            client.disconnect()
            client.loop_stop()
        self._drain_acks()
        if daemon is not None and self._outbox is not None:
            snap = self._outbox.snapshot()
            if snap is not None:
                Outbox.save(daemon.core.db, snap)
            daemon.core.mqtt = None
            daemon.core.nodes.flush()

    def status(self) -> dict[str, Any]:
        lengths = {f: len(r) for f, r in list(self._readers.items())}
        own = self._daemon.core.log.own if self._daemon is not None else None
        if own is not None:
            lengths[self._own] = len(own)  # the reader may not have caught up yet
        out: dict[str, Any] = {
            "broker": self.settings.broker,
            "connected": self._connected.is_set(),
            "subscribed": self._subscribed.is_set(),
            "topics": self._topics.base if self._topics else None,
            "last_error": self.counts.last_error,
        }
        if self._outbox is not None:
            out.update(self._outbox.status(lengths))
        out["counts"] = self.counts.snapshot()
        return out

    def _tick(self) -> None:
        daemon = self._daemon
        if daemon is None or self._stopping.is_set():
            return
        daemon.core.nodes.tick()
        self._check_duty()
        delay = 5.0
        if self._state is not None:  # wake when a role ends: it may take someone off duty
            now = daemon.core.clock()
            end = self._state.roster.next_end(now)
            if end is not None:
                delay = min(delay, max(0.05, end - now + 0.01))
        daemon.call_later(delay, self._tick)

    def _check_duty(self) -> None:
        """Republish the status when who is on duty changed (loop thread)."""
        if self._state is None or self._daemon is None:
            return
        now = self._daemon.core.clock()
        duty, coords = self._state.on_duty_handles(now), self._coordinators(now)
        if duty != self._duty or coords != self._coords:
            self._duty, self._coords = duty, coords
            self._status_at = -1e9  # the pump republishes the status at once
            self._kick.set()

    def _coordinators(self, now: float) -> list[str]:
        """Who is a coordinator now (a mandate, or a grant from before mandates)."""
        assert self._state is not None
        return sorted(m.handle for m in self._state.roster.with_role(COORDINATOR, now))

    def _on_append(self, e: LoggedEntry) -> None:
        if e.body.kind_name in _ALERT_KINDS:  # the hub's AlertBook has already taken it in
            self._alerts_json = self._active_alerts()
            self._alerts_dirty = True
        self._check_duty()
        self._kick.set()

    def _active_alerts(self) -> list[dict[str, Any]]:
        assert self._state is not None
        return [a.to_json() for a in self._state.alerts.active()]

    # -- the paho client --------------------------------------------------------------------
    def _make_client(self) -> mqtt.Client:
        assert self._topics is not None
        will = self._status_payload(False, "connection lost")
        c = make_client(self.settings, f"canopy-{self._topics.hub}", self._topics.status, will)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_publish = self._on_publish
        c.on_message = self._on_message
        c.on_subscribe = self._on_subscribe
        c.on_connect_fail = self._on_connect_fail
        return c

    def _status_payload(self, online: bool, reason: str = "") -> bytes:
        daemon = self._daemon
        data: dict[str, Any] = {"online": online, "feed": self._own, "reason": reason}
        if daemon is not None and daemon.core.log.identity is not None:
            data["hub"] = daemon.core.log.identity.name
        if online and daemon is not None and daemon.core.log.own is not None:
            data["entries"] = len(daemon.core.log.own)
            data["time"] = iso_time(int(_time.time()))
            data["on_duty"] = list(self._duty)
            data["coordinators"] = list(self._coords)
        return dumps(data)

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        try:
            if rc.is_failure:
                what = "auth_failed" if rc.value in (4, 5, 134, 135) else "connect_refused"
                self._count(what, str(rc), warn=True)
                self._refused = True  # the disconnect that follows is this refusal
                return
            assert self._topics is not None
            self._connected.set()
            self._count("connects")
            log.info("mqtt: connected to %s", self.settings.broker)
            subs = [(self._topics.cmd_send, 1), (PEER_LOG, 1), (PEER_SYNC, 0)]
            if self.inbound.decoder is not None:
                subs.append((self.settings.meshtastic_root, 0))
            client.subscribe(subs)
            self._status_at = 0.0
            self._alerts_dirty = True
            self._kick.set()
        except Exception:
            log.exception("mqtt: on_connect failed")

    def _on_subscribe(self, client: Any, userdata: Any, mid: int, rcs: Any, props: Any) -> None:
        if any(rc.is_failure for rc in rcs):
            self._count("subscribe_refused", str([str(rc) for rc in rcs]), warn=True)
        else:
            self._subscribed.set()

    def _on_connect_fail(self, client: Any, userdata: Any) -> None:
        self._count(
            "connect_failed", "no connection: unreachable, refused or TLS failure", warn=True
        )

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        was = self._connected.is_set()
        self._connected.clear()
        self._subscribed.clear()
        if self._stopping.is_set():
            return
        if was:
            self._count("disconnects", str(rc), warn=True)
        elif self._refused:
            self._refused = False
        else:  # dropped before CONNACK: a broker (or something else) hanging up on us
            self._count("connect_failed", f"dropped before CONNACK: {rc}", warn=True)

    def _on_publish(self, client: Any, userdata: Any, mid: int, rc: Any, props: Any) -> None:
        self._acks.put(mid)
        self._kick.set()

    def _on_message(self, client: Any, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            assert self._topics is not None
            topic = msg.topic
            if topic == self._topics.cmd_send:
                self.inbound.on_command(bytes(msg.payload), bool(msg.retain))
            elif self.peers is not None and self.peers.wants(topic):
                self.peers.on_message(topic, bytes(msg.payload))
            elif topic.startswith("canopy/") or self.inbound.decoder is None:
                self._count("ignored")
            else:
                self.inbound.on_mesh_message(topic, bytes(msg.payload))
        except Exception as e:
            self._count("handler_errors", repr(e)[:200])
            log.exception("mqtt: handling a message failed; carrying on")

    # -- radio traffic for dashboards -------------------------------------------------------
    def _result(self, data: dict[str, Any]) -> None:
        if self._client is not None and self._topics is not None and self._connected.is_set():
            self._client.publish(self._topics.cmd_result, dumps(data), 0, False)

    def publish_sync(self, payload: bytes) -> None:
        """Publish a sync frame for hubs on the same broker (QoS 0, like the radio's air)."""
        client, topics = self._client, self._topics
        if client is None or topics is None or not self._connected.is_set():
            return
        client.publish(topics.sync, payload, 0, False)
        self._count("sync_published")

    def publish_radio(self, event: Any) -> None:
        """Publish one decoded radio event (a dict or a radio event dataclass), QoS 0.

        Safe from any thread; never blocks on the broker; dropped (and counted) while the
        broker is away: it is live traffic for dashboards, not history.
        """
        client, topics = self._client, self._topics
        if client is None or topics is None or not self._connected.is_set():
            self._count("radio_dropped")
            return
        if dataclasses.is_dataclass(event) and not isinstance(event, type):
            data = {"type": type(event).__name__, **dataclasses.asdict(event)}
        elif isinstance(event, dict):
            data = dict(event)
        else:
            self._count("radio_bad_event")
            return
        kind = str(data.get("type") or data.get("event") or "event")
        client.publish(topics.radio(kind), dumps(data), 0, False)
        self._count("radio_published")

    # -- the publisher thread ---------------------------------------------------------------
    def _pump(self) -> None:
        last_discover = last_flush = 0.0
        while not self._stopping.is_set():
            self._kick.wait(0.5)
            self._kick.clear()
            if self._stopping.is_set():
                break
            try:
                now = _time.monotonic()
                if now - last_discover >= 5.0:
                    self._discover()
                    last_discover = now
                self._drain_acks()
                if self._connected.is_set():
                    self._publish_state(now)
                    self._publish_entries()
                self._drain_acks()
                if now - last_flush >= 0.5:
                    self._flush_cursor()
                    last_flush = now
            except Exception as e:
                self._count("publisher_errors", repr(e)[:200])
                log.exception("mqtt: publisher failed; retrying")
                self._stopping.wait(1.0)

    def _discover(self) -> None:
        assert self._daemon is not None and self._outbox is not None
        dd = self._daemon.datadir
        feeds = {self._own} | {p.stem for p in dd.feeds.glob("*.log") if is_feed_hex(p.stem)}
        for feed in sorted(feeds - set(self._readers)):
            r = FeedReader(dd.feed_path(feed))
            r.refresh()
            if self._outbox.clamp(feed, len(r)):
                log.warning("mqtt: saved cursor of %s is past its end; restarting there", feed)
            self._readers[feed] = r

    def _drain_acks(self) -> None:
        if self._outbox is None:
            return
        while True:
            try:
                mid = self._acks.get_nowait()
            except queue.Empty:
                return
            self._outbox.acked(mid)

    def _publish_state(self, now: float) -> None:
        client, topics = self._client, self._topics
        assert client is not None and topics is not None
        if now - self._status_at >= 60.0:
            client.publish(topics.status, self._status_payload(True), 1, True)
            self._status_at = now
        if self._alerts_dirty:
            self._alerts_dirty = False
            payload = dumps({"feed": self._own, "alerts": self._alerts_json})
            client.publish(topics.alerts, payload, 1, True)

    def _publish_entries(self) -> None:
        client, topics, outbox = self._client, self._topics, self._outbox
        assert client is not None and topics is not None and outbox is not None
        for feed, reader in list(self._readers.items()):
            reader.refresh()
            todo = outbox.take(feed, len(reader))
            if not todo:
                continue
            topic = topics.log(feed)
            for i, raw in zip(todo, reader.read_range(todo.start, todo.stop), strict=True):
                payload = entry_payload(feed, i, raw, redact=self._redact)
                info = client.publish(topic, payload, 1, False)
                if info.rc not in _OK_RC:  # not queued: hand the rest back, retry later
                    outbox.rewind(feed, i)
                    self._count("publish_refused", mqtt.error_string(info.rc))
                    return
                outbox.sent(info.mid, feed, i)

    def _flush_cursor(self) -> None:
        assert self._outbox is not None and self._daemon is not None
        snap = self._outbox.snapshot()
        if snap is not None:
            db = self._daemon.core.db
            self._daemon.call_soon(lambda: Outbox.save(db, snap))
