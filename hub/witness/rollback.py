"""Signed heads in the daemon: the own one sent, the peers' held, rollbacks caught.

The witness service (:mod:`hub.witness.service`) owns one :class:`HeadDesk`. It sends the
hub's own signed head (:mod:`hub.witness.heads`) on port 301 and over MQTT when the hub
starts, when its log grew (at most once per ``[sync] witness_gap``) and every 6 hours; it
keeps the largest head of each federated hub (``DIR/witness/heads.json``) and holds every
new one against it and against the replica.

- A peer's head smaller and later than the one held is a **rollback**: kept as evidence,
  logged as a signed ``rollback`` entry (kind 31) so every federated hub and portal learns
  of it, and the held head is sent again so the rolled-back hub hears its own larger one.
- This hub's own log shorter than a head it signed, or than a size its witnesses
  cosigned (its own files, or its own head heard back from a peer): the hub was restored
  from an old copy. It writes nothing about it into its own log (any new entry would fork
  its history from the copies its peers hold), keeps ``DIR/witness/rollback.json`` (read by
  ``canopy checkpoint``, ``canopy witness status`` and every page of its portal), stops
  writing its ``witness`` entry, and tells its coordinators by radio. The finding ends
  when the log holds the signed size and root again (``canopy witness recover``).
"""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING, Any

from crypto.errors import CryptoError
from crypto.note import Checkpoint
from hub.local import load_signing_key
from hub.witness import frames as fr
from hub.witness.core import SKEW, WINDOW, Conflict
from hub.witness.heads import Head, judge, open_head, sign_head

if TYPE_CHECKING:
    from hub.daemon import HubCore
    from hub.witness.service import WitnessService

log = logging.getLogger("canopy.witness")
REFRESH = 6 * 3600.0  # the own head is signed again this often, grown or not
HEAD_RATE = 10  # heads one feed id may send per WINDOW before the rest are dropped


class HeadDesk:
    def __init__(self, svc: WitnessService) -> None:
        self.svc = svc
        self.sent_at = 0.0
        self.sent_size = -1
        self.sent_ts = 0
        self.starts = 0  # start heads sent
        self.told = True  # nothing to tell the coordinators yet
        self._relayed: set[str] = set()
        self._window: dict[bytes, deque[float]] = {}

    @property
    def core(self) -> HubCore:
        return self.svc._core

    def start(self) -> None:
        core = self.core
        ident = core.log.identity
        assert ident is not None
        self.key = load_signing_key(core.datadir, ident)
        self.origin = ident.origin
        self.own = core.log.feed_hex
        self.book: dict[str, Head] = {}
        for feed, rec in self.svc.files.heads().items():
            try:
                self.book[feed] = Head.from_json(feed, rec)
            except (KeyError, TypeError, ValueError):
                continue
        self.rolled = self.svc.files.rollback()
        self._check_local()

    def _size(self) -> int:
        own = self.core.log.own
        return len(own) if own is not None else 0

    # -- the own log against what this hub signed or had cosigned ---------------------------
    def _check_local(self) -> None:
        """At start: a head this hub signed, or a size its witnesses cosigned, larger than
        its log means it was restored from an old copy."""
        size = self._size()
        self._recovered()
        mine = self.book.get(self.own)
        if mine is not None and mine.size > size:
            self._rolled_back(mine.size, mine.root, mine.note(), "a head this hub signed")
        for r in self.svc.files.records(self.own).values():
            try:
                n, root = int(r["size"]), bytes.fromhex(str(r["root"]))
            except (KeyError, TypeError, ValueError):
                continue
            if n > size:
                body = Checkpoint(self.origin, n, root).body()
                what = f"a cosignature by {r.get('name', '?')}"
                self._rolled_back(n, root, f"{body}\n{r.get('line', '')}", what)

    def _recovered(self) -> None:
        """The finding ends when the own log holds the signed size and root again (the
        newer copy restored, or ``canopy witness recover``)."""
        if self.rolled is None:
            return
        signed = int(self.rolled.get("signed", 0))
        if not 0 < signed <= self._size():
            return
        root = self.svc._root_at(self.own, signed)
        if root is not None and root.hex() == self.rolled.get("root"):
            log.warning("witness: the own log holds its signed size %d again", signed)
            self.svc.files.set_rollback(None)
            self.rolled = None

    def _rolled_back(self, signed: int, root: bytes, evidence: str, source: str) -> None:
        if self.rolled is not None and int(self.rolled.get("signed", 0)) >= signed:
            return
        held = self._size()
        self.rolled = {
            "held": held,
            "signed": signed,
            "root": root.hex(),
            "source": source,
            "since": int(self.core.clock()),
        }
        self.svc.files.set_rollback(self.rolled)
        mine = f"this hub's log now holds {held} entries\n"
        self.svc.files.keep_evidence(Conflict("rollback", self.own, evidence, mine))
        self.svc.wc.counts["rollback-own"] += 1
        self.told = False
        log.error(
            "witness: ROLLBACK: this hub's log holds %d entries but it signed %d (%s); it was "
            "restored from an old copy. New entries fork its history: restore the newer copy",
            held,
            signed,
            source,
        )
        self._tell()

    def _tell(self) -> None:
        core = self.core
        if self.told or self.rolled is None or core.radio is None:
            return
        self.told = True
        self.svc._alerted.add(self.own)  # the peers' rollback entries say the same
        text = (
            f"ROLLBACK: this hub's log is back at {self.rolled['held']} entries; it had "
            f"signed {self.rolled['signed']}. Restore the newer copy before writing."
        )
        core.tell_coordinators(text, "witness")

    # -- sending the own head -----------------------------------------------------------------
    def tick(self, now: float) -> None:
        self._recovered()
        self._tell()
        core = self.core
        own = core.log.own
        if own is None or not len(own) or not core.state.federated():
            return
        if core.radio is None and core.mqtt is None:
            return
        size = len(own)
        # the start head goes out twice, a gap apart: a rolled-back hub is caught by it,
        # and the radio link may not have been up for the first
        first = self.sent_size < 0 or (self.starts < 2 and now - self.sent_at >= self.svc.min_gap)
        grew = size != self.sent_size and now - self.sent_at >= self.svc.min_gap
        if not (first or grew or now - self.sent_at >= REFRESH):
            return
        mine = self.book.get(self.own)
        ts = max(int(now), self.sent_ts, mine.timestamp if mine is not None else 0)
        h = sign_head(self.key, self.origin, size, own.compact.root(), ts)
        self.sent_at, self.sent_size, self.sent_ts = now, size, ts
        self.starts += first
        if mine is None or size >= mine.size:
            self.book[self.own] = h
            self.svc.files.set_head(self.own, h.to_json())
        self.svc._send(fr.encode_head(h.frame()))

    # -- hearing heads ------------------------------------------------------------------------
    def _flooded(self, fid: bytes, now: float) -> bool:
        q = self._window.setdefault(fid, deque())
        while q and q[0] <= now - WINDOW:
            q.popleft()
        if len(self._window) > 256:
            self._window = {k: v for k, v in self._window.items() if v}
        if len(q) >= HEAD_RATE:
            return True
        q.append(now)
        return False

    def on_frame(self, payload: bytes) -> None:
        counts = self.svc.wc.counts
        try:
            f = fr.decode_head(payload)
        except fr.FrameError as e:
            counts[f"head-{e.reason}"] += 1
            return
        now = self.core.clock()
        if self._flooded(f.feed_id, now):
            counts["head-flood"] += 1
            return
        found = self.svc._known()[1].get(f.feed_id)
        if found is None:
            counts["head-unknown-feed"] += 1
            return
        if f.timestamp > now + SKEW:
            counts["head-future"] += 1
            return
        try:
            h = open_head(f, *found)
        except CryptoError:
            counts["head-bad-signature"] += 1
            return
        if h.feed == self.own:
            self._own_heard(h)
        else:
            self._peer_heard(h)

    def _own_heard(self, h: Head) -> None:
        size = self._size()
        if h.size > size:
            self._rolled_back(h.size, h.root, h.note(), "a head this hub signed, heard again")
        elif self.svc._root_at(self.own, h.size) != h.root:
            self.svc._conflict(Conflict("split-view", self.own, self._body(h.size), h.note()))
        else:
            self.svc.wc.counts["head-own"] += 1

    def _body(self, size: int) -> str:
        root = self.svc._root_at(self.own, size) or bytes(32)
        return Checkpoint(self.origin, size, root).body()

    def _peer_heard(self, h: Head) -> None:
        counts = self.svc.wc.counts
        ours = self.svc._root_at(h.feed, h.size)
        if ours is not None and ours != h.root:
            counts["conflict-split-view"] += 1
            body = Checkpoint(h.origin, h.size, ours).body()
            self.svc._conflict(Conflict("split-view", h.feed, body, h.note()))
            return
        held = self.book.get(h.feed)
        verdict = judge(held, h)
        if verdict == "keep":
            self.book[h.feed] = h
            self.svc.files.set_head(h.feed, h.to_json())
            counts["head-accepted"] += 1
        elif verdict in ("known", "old"):
            counts[f"head-{verdict}"] += 1
        else:
            assert held is not None
            counts[f"conflict-{verdict}"] += 1
            if verdict == "rollback" and h.feed in self._relayed:
                return  # caught already: its every later head would be one more file
            self.svc._conflict(Conflict(verdict, h.feed, held.note(), h.note()))
            if verdict == "rollback":
                self._relayed.add(h.feed)  # the rolled-back hub hears what it had signed
                self.svc._send(fr.encode_head(held.frame()))

    def status(self) -> dict[str, Any]:
        return {
            "rolled_back": self.rolled,
            "heads": {feed: h.size for feed, h in sorted(self.book.items())},
        }
