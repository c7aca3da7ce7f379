"""The daemon's witness service: cosign peers' checkpoints, collect cosignatures, keep evidence.

On start it makes sure the own log names the hub's witness key (a signed ``witness`` entry,
kind 32), so every federated hub learns it with the log. Every :data:`SCAN` seconds it
looks at each federated feed: the newest checkpoint of that hub the replica holds is
cosigned (:func:`hub.witness.core.cosign_decision`) and sent as one frame on port 301 and
over MQTT; every kept checkpoint is held against the replica. Heard cosignatures go through
:class:`hub.witness.core.WitnessCore`; accepted ones are kept, those for the own feed
refresh ``DIR/witness/checkpoint.note``. A split view is kept as evidence, written as a
signed ``split-view`` entry (kind 33) so every federated hub and portal learns of it, and
told to the coordinators by radio, at every hub that folds the entry.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from typing import TYPE_CHECKING, Any

from crypto.cosignature import Cosigner, cosign
from crypto.errors import CryptoError
from crypto.keys import PublicKey
from crypto.merkle import root_from_leaf_hashes
from crypto.note import Checkpoint, parse_note
from hub.errors import HubError
from hub.log import FieldValue, LoggedEntry
from hub.witness import frames as fr
from hub.witness.core import Conflict, Heard, Known, WitnessCore, cosign_decision, key_changes
from hub.witness.evidence import EvidenceDesk
from hub.witness.rollback import HeadDesk
from hub.witness.store import WitnessFiles, with_lines, witness_key, witness_name

if TYPE_CHECKING:
    from hub.daemon import Daemon, HubCore

log = logging.getLogger("canopy.witness")
SCAN = 2.0  # seconds between looks at the peers' checkpoints
REFRESH = 6 * 3600.0  # a cosignature of an unchanged log is renewed this often
MIN_GAP = 1800.0  # at most one cosignature per feed in this many seconds ([sync] witness_gap)
KEYS_EVERY = 3  # ticks between looks at the hubs sync heard announce (key changes)
WAITING = 16  # frames from witnesses not known yet, kept to try again


KINDS = ("split-view", "key-change", "rollback")  # conflicts that are logged for every hub
ALERTS = {  # what the coordinators hear when a hub's evidence is folded (<= 200 bytes)
    "split-view": "SPLIT VIEW: hub {name} showed two different histories. Evidence kept; "
    "check its log.",
    "key-change": "KEY CHANGE: hub {name} is heard with another key. Evidence kept; check "
    "who runs it.",
    "rollback": "ROLLBACK: hub {name} went back to an older copy of its log. Evidence "
    "kept; check its log.",
}


class WitnessService:
    """Implements the daemon's Service protocol and the core's WitnessPort."""

    name = "witness"
    WIRE_TYPES = frozenset((fr.COSIGNATURE, fr.HEAD))

    def __init__(self, scan: float = SCAN, min_gap: float = MIN_GAP) -> None:
        self.scan, self.min_gap = scan, min_gap
        self.daemon: Daemon | None = None
        self.airtime_s = 0.0
        self.sent = 0
        self._stopped = False
        self._checked: dict[str, set[int]] = {}
        self._alerted: set[str] = set()
        self._ticks = 0
        self._key_changes: set[tuple[str, str]] = set()
        # cosignatures by witnesses whose ``witness`` entry has not arrived yet: tried again
        # when one does (sync and witnessing race at a hub's start)
        self._waiting: deque[bytes] = deque(maxlen=WAITING)
        self.heads = HeadDesk(self)
        self.evidence = EvidenceDesk(self)  # split views logged only when they prove themselves

    def start(self, daemon: Daemon) -> None:
        self.daemon = daemon
        core = daemon.core
        ident = core.log.identity
        assert ident is not None
        self.files = WitnessFiles(core.datadir)
        self.key = witness_key(core.datadir)
        self.me = Cosigner(witness_name(ident), self.key.public)
        self.wc = WitnessCore(core.log.feed_hex)
        for feed in self.files.feeds():
            for wfeed, r in self.files.records(feed).items():
                try:
                    c = Cosigner.parse(str(r["key"]))
                    h = Heard(
                        feed,
                        Known(wfeed, c),
                        int(r["size"]),
                        bytes.fromhex(r["root"]),
                        int(r["time"]),
                        bytes.fromhex(r["sig"]),
                        "",
                    )
                except (KeyError, TypeError, ValueError, CryptoError):
                    continue
                self.wc.remember(h)
        self.cosigned = self.files.cosigned()
        self.heads.start()
        self._name_key()
        core.witness = self
        core.log.listeners.append(self._on_append)
        core.log.checkpoints.on_conflict.append(self._on_checkpoint_conflict)
        daemon.call_soon(self._tick)

    def _name_key(self) -> None:
        """Name the witness key in the own log (a ``witness`` entry) once the hub has a
        peer to witness or be witnessed by, and again if the key changed."""
        core = self._core
        if not core.state.federated() or self.heads.rolled is not None:
            return  # a rolled-back log takes no entry of ours: it would fork its history
        if core.state.witnesses.get(core.log.feed_hex) != (self.me.name, self.me.public.raw):
            core.log.append("witness", {"name": self.me.name, "key": self.me.public.raw})

    def stop(self) -> None:
        self._stopped = True
        if self.daemon is not None:
            core = self.daemon.core
            core.witness = None
            if self._on_append in core.log.listeners:
                core.log.listeners.remove(self._on_append)
            if self._on_checkpoint_conflict in core.log.checkpoints.on_conflict:
                core.log.checkpoints.on_conflict.remove(self._on_checkpoint_conflict)

    @property
    def _core(self) -> HubCore:
        assert self.daemon is not None
        return self.daemon.core

    # -- cosigning ---------------------------------------------------------------------
    def _tick(self) -> None:
        if self._stopped or self.daemon is None:
            return
        try:
            self._name_key()
            for feed in self._core.state.federated():
                if feed not in self._core.log.replicas.forked:
                    self._look_at(feed)
            self.heads.tick(self._core.clock())
            self.evidence.retry()
            self._ticks += 1
            if self._ticks % KEYS_EVERY == 0:
                self._look_at_keys()
        except HubError as e:
            log.warning("witness: %s", e)
        finally:
            self.daemon.call_later(self.scan, self._tick)

    def _look_at(self, feed: str) -> None:
        """Hold every kept checkpoint of ``feed`` against the replica, then cosign the
        replica's state when it grew. Every entry's signature covers the hash of the one
        before, so a verified replica is the hub's signed statement of its whole history:
        it needs no checkpoint note to reach this hub first."""
        core = self._core
        cps = core.log.checkpoints
        replica = core.log.replicas.file(feed)
        leaves = replica.leaves
        checked = self._checked.setdefault(feed, set())
        for size in cps.sizes(feed):
            if size > len(leaves) or size in checked:
                continue
            try:
                note = cps.note(feed, size)
                cp = Checkpoint.parse(parse_note(note).text)
            except (OSError, CryptoError):
                continue
            checked.add(size)
            ours = root_from_leaf_hashes(leaves[:size])
            if ours != cp.root:
                mine = Checkpoint(cp.origin, size, ours).body()
                self._conflict(Conflict("split-view", feed, mine, note))
                return
        peer = core.state.peers.get(feed)
        if peer is None or not peer.origin or not leaves:
            return
        size, root, now = len(leaves), replica.compact.root(), core.clock()
        last = self.cosigned.get(feed)
        if last is not None and now - last[2] < self.min_gap:
            return
        if last is not None and last[0] == size and now - last[2] < REFRESH:
            return  # nothing new: no tree to hash
        decision = cosign_decision(last[:2] if last else None, size, root, leaves)
        if decision == "old" and last is not None and last[0] == size and now - last[2] >= REFRESH:
            decision = "cosign"  # the same checkpoint again, with a fresh timestamp
        if decision == "cosign":
            self._cosign(feed, peer.origin, size, root, now)
        elif decision in ("mismatch", "inconsistent"):
            self.wc.counts[f"refused-{decision}"] += 1

    def _look_at_keys(self) -> None:
        core = self._core
        if core.sync is None:
            return
        heard = core.sync.status().get("hubs_heard", [])
        for c in key_changes(heard, set(core.state.federated())):
            pair = (c.feed, c.b)
            if pair not in self._key_changes:
                self._key_changes.add(pair)
                self.wc.counts["conflict-key-change"] += 1
                self._conflict(c)

    def _cosign(self, feed: str, origin: str, size: int, root: bytes, now: float) -> None:
        ts = int(now)
        body = Checkpoint(origin, size, root).body()
        sig = cosign(body, self.me.name, self.key, ts)
        heard = Heard(feed, Known(self._core.log.feed_hex, self.me), size, root, ts, sig, body)
        self.wc.remember(heard)
        self.files.keep(heard)
        self.files.set_cosigned(feed, size, root, now)
        self.cosigned[feed] = (size, root, now)
        self.wc.counts["cosigned"] += 1
        frame = fr.CosigFrame(
            bytes.fromhex(feed)[: fr.FEED_ID], size, root, self.me.key_id, ts, sig
        )
        self._send(fr.encode(frame))

    def _send(self, payload: bytes) -> None:
        core = self._core
        self.sent += 1
        if core.mqtt is not None:
            core.mqtt.publish_sync(payload)
        if core.radio is not None:
            try:
                core.radio.send_data(payload, fr.PORT)
                self.airtime_s += core.radio.airtime(len(payload))
            except Exception as e:  # a full queue or a lost link: the next one renews it
                log.info("witness: radio did not take a cosignature: %s", e)

    # -- hearing -----------------------------------------------------------------------
    def _known(self) -> tuple[dict[bytes, Known], dict[bytes, tuple[str, str]]]:
        core = self._core
        st = core.state
        federated = st.federated()
        witnesses: dict[bytes, Known] = {}
        for feed in federated:
            w = st.witnesses.get(feed)
            if w is not None:
                try:
                    k = Known(feed, Cosigner(w[0], PublicKey(w[1])))
                    witnesses[k.cosigner.key_id] = k
                except CryptoError:
                    continue
        ident = core.log.identity
        assert ident is not None
        feeds = {bytes.fromhex(core.log.feed_hex)[:4]: (core.log.feed_hex, ident.origin)}
        for feed in federated:
            peer = st.peers.get(feed)
            if peer is not None and peer.origin:
                feeds[bytes.fromhex(feed)[:4]] = (feed, peer.origin)
        return witnesses, feeds

    def _root_at(self, feed: str, size: int) -> bytes | None:
        core = self._core
        f = core.log.own if feed == core.log.feed_hex else core.log.replicas.file(feed)
        assert f is not None
        if size == 0 or size > len(f):
            return None
        return f.compact.root() if size == len(f) else root_from_leaf_hashes(f.leaves[:size])

    def on_frame(self, payload: bytes, sender: int) -> None:
        if self.daemon is None or self._stopped:
            return
        if payload[:1] == bytes([fr.HEAD]):
            self.heads.on_frame(payload)
            return
        self._hear(payload, fresh=True)

    def _hear(self, payload: bytes, fresh: bool) -> None:
        try:
            frame = fr.decode(payload)
        except fr.FrameError as e:
            self.wc.counts[e.reason] += 1
            return
        witnesses, feeds = self._known()
        out = self.wc.hear(frame, self._core.clock(), witnesses, feeds, self._root_at, fresh)
        if out is None:
            why = self.wc.last_drop
            log.debug("witness: cosignature by %s dropped: %s", frame.key_id.hex(), why)
            if why in ("unknown-witness", "unknown-checkpoint") and payload not in self._waiting:
                self._waiting.append(payload)  # perhaps only early: tried again on news
        if isinstance(out, Conflict):
            self._conflict(out)
        elif isinstance(out, Heard):
            self.files.keep(out)
            if out.feed == self._core.log.feed_hex:
                self._refresh_own_note()

    def _refresh_own_note(self) -> None:
        """The size most witnesses cosigned (the largest of those) becomes the note."""
        core = self._core
        records = list(self.files.records(core.log.feed_hex).values())
        if not records:
            return
        votes = Counter(int(r["size"]) for r in records)
        size = max(votes, key=lambda s: (votes[s], s))
        try:
            note = core.log.checkpoint_at(size)
        except HubError as e:
            log.warning("witness: %s", e)
            return
        self.files.set_own_note(with_lines(note, records))

    # -- evidence ------------------------------------------------------------------------
    def _on_checkpoint_conflict(self, feed: str, kept: str, new: str) -> None:
        self.wc.counts["conflict-checkpoint"] += 1
        self._conflict(Conflict("split-view", feed, kept, new))

    def _conflict(self, c: Conflict) -> None:
        core = self._core
        path = self.files.keep_evidence(c)
        log.warning("witness: %s about %s kept in %s", c.kind, c.feed[:16], path)
        if c.kind not in KINDS or c.feed in core.state.split_views:
            return
        if c.kind == "split-view":
            self.evidence.log_split(c)
            return
        # a rollback's two heads, or a key change's two radio announcements
        kind, cut = ("rollback", 1000) if c.kind == "rollback" else ("split-view", 4000)
        fields: dict[str, FieldValue] = {
            "feed": bytes.fromhex(c.feed),
            "a": c.a.encode()[:cut],
            "b": c.b.encode()[:cut],
        }
        try:
            core.log.append(kind, fields)
        except HubError as e:
            log.error("witness: %s evidence not logged: %s", c.kind, e)

    def _on_append(self, e: LoggedEntry) -> None:
        if self.daemon is None:
            return
        if e.feed != self._core.log.feed_hex and self._waiting:
            waiting = list(self._waiting)
            self._waiting.clear()
            for payload in waiting:  # retries must not use up the sender's flood allowance
                self._hear(payload, fresh=False)
        if e.body.kind_name not in ("split-view", "fork", "rollback"):
            return
        feed = e.body.named_fields().get("feed")
        core = self._core
        sv = core.state.split_views.get(feed.hex()) if isinstance(feed, bytes) else None
        if sv is None or sv.feed in self._alerted:
            return  # evidence that proves nothing (the fold checked it) alerts nobody
        self._alerted.add(sv.feed)
        text = ALERTS[sv.what].format(name=core.state.hub_name(sv.feed))
        core.tell_coordinators(text, "witness")

    def status(self) -> dict[str, Any]:
        core = self._core
        st = core.state
        own = core.log.feed_hex
        feeds = []
        for feed in [own, *st.federated()]:
            recs = self.files.records(feed)
            feeds.append(
                {
                    "feed": feed,
                    "name": st.hub_name(feed),
                    "witnessed_by": sorted(st.hub_name(w) for w in recs if w != own or feed != own),
                    "cosigned_here": (self.cosigned[feed][0] if feed in self.cosigned else None),
                    "split_view": feed in st.split_views,
                    "what": st.split_views[feed].what if feed in st.split_views else None,
                    "forked": feed in st.forks,
                }
            )
        return {
            "witness_vkey": self.me.to_string(),
            "counts": dict(sorted(self.wc.counts.items())),
            "sent": self.sent,
            "airtime_s": round(self.airtime_s, 2),
            "evidence": len(self.files.evidence()),
            **self.evidence.status(),
            "feeds": feeds,
            **self.heads.status(),
        }
