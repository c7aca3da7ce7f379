"""The witness's decisions, sans-IO: whether to cosign, and what a heard cosignature means.

Bytes, checkpoints and time in; verdicts out. The service (:mod:`hub.witness.service`)
does the files, the log and the radio.

- **Cosign** (:func:`cosign_decision`): a peer's checkpoint is cosigned only when this hub's
  replica holds it (the root of the replica's first ``size`` leaves is the checkpoint's
  root) and an RFC 9162 consistency proof, computed from the replica, takes the last
  checkpoint this hub cosigned for that feed to it. Never a smaller or equal size again.
- **Hear** (:meth:`WitnessCore.hear`): a cosignature from the mesh or MQTT is checked in
  this order, and the first failure is counted by name and dropped: ``flood`` (more than
  :data:`RATE` from one witness key in :data:`WINDOW` seconds), ``unknown-witness``,
  ``unknown-feed``, ``future`` (timestamp more than :data:`SKEW` seconds ahead),
  ``replayed`` (not newer than the last accepted from that witness for that feed),
  ``bad-signature``, ``unknown-checkpoint`` (a size this hub does not hold yet). What
  remains is either ``accepted`` or a **conflict**: the witness vouches for a root this
  hub's copy contradicts (a split view by the feed's hub; for this hub's own feed, by
  someone holding its key), or the witness earlier cosigned another root at the same
  size (the witness itself equivocates).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from crypto.cosignature import Cosigner, signature_line
from crypto.errors import CryptoError
from crypto.merkle import consistency_proof, root_from_leaf_hashes, verify_consistency
from crypto.note import Checkpoint
from hub.witness.frames import CosigFrame

SKEW = 600  # seconds a cosignature's timestamp may be ahead of this hub's clock
RATE = 20  # cosignatures one witness key may send per WINDOW before the rest are dropped
WINDOW = 600.0


@dataclass(frozen=True, slots=True)
class Known:
    """A witness this hub knows: a federated hub's feed and its cosigner key."""

    feed: str
    cosigner: Cosigner


@dataclass(frozen=True, slots=True)
class Heard:
    """An accepted cosignature: ``witness`` vouches that ``feed`` had ``root`` at ``size``."""

    feed: str
    witness: Known
    size: int
    root: bytes
    timestamp: int
    signature: bytes
    body: str

    def line(self) -> str:
        c = self.witness.cosigner
        return signature_line(c.name, c.key_id, self.timestamp, self.signature)

    def note(self) -> str:
        """The checkpoint body with this cosignature: what the witness signed, as text."""
        return f"{self.body}\n{self.line()}"


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two statements about one feed that cannot both be true.

    ``kind`` is ``split-view`` (the feed's hub showed two histories) or ``witness``
    (a witness cosigned two roots at one size); ``a`` is what this hub holds, ``b`` the
    contradicting statement (note texts, kept as evidence)."""

    kind: str
    feed: str
    a: str
    b: str
    witness: str = ""


def cosign_decision(
    last: tuple[int, bytes] | None, size: int, root: bytes, leaves: Sequence[bytes]
) -> str:
    """``"cosign"``, or why not: ``"old"`` (not newer than the last cosigned), ``"not-held"``
    (the replica is shorter), ``"mismatch"`` (the replica has another root at that size:
    a split view) or ``"inconsistent"`` (no consistency proof from the last cosigned)."""
    if last is not None and size <= last[0]:
        return "old"
    if size > len(leaves) or size == 0:
        return "not-held"
    if root_from_leaf_hashes(leaves[:size]) != root:
        return "mismatch"
    if last is not None and last[0] > 0:
        proof = consistency_proof(leaves, last[0], size)
        try:
            verify_consistency(last[0], size, last[1], root, proof)
        except (CryptoError, ValueError):
            return "inconsistent"
    return "cosign"


class WitnessCore:
    """Checks heard cosignatures; keeps the counts and the replay and flood windows."""

    def __init__(self, own: str) -> None:
        self.own = own
        self.counts: Counter[str] = Counter()
        self._last: dict[tuple[str, str], int] = {}  # (witness feed, feed) -> timestamp
        self._sizes: dict[tuple[str, str, int], Heard] = {}  # (witness, feed, size) -> newest
        self._window: dict[bytes, deque[float]] = {}
        self.last_drop = ""  # why the last cosignature dropped was dropped

    def _drop(self, reason: str) -> None:
        self.counts[reason] += 1
        self.last_drop = reason

    def remember(self, h: Heard) -> None:
        """An accepted cosignature (heard now, or loaded from disk at start)."""
        key = (h.witness.feed, h.feed)
        self._last[key] = max(self._last.get(key, -1), h.timestamp)
        self._sizes[(h.witness.feed, h.feed, h.size)] = h

    def held(self, feed: str, size: int) -> list[Heard]:
        """The newest accepted cosignature of ``feed`` at ``size`` by each witness."""
        return [h for (_, f, s), h in self._sizes.items() if f == feed and s == size]

    def _flooded(self, key_id: bytes, now: float) -> bool:
        q = self._window.setdefault(key_id, deque())
        while q and q[0] <= now - WINDOW:
            q.popleft()
        if len(self._window) > 256:  # keys nobody knows must not grow this without bound
            self._window = {k: v for k, v in self._window.items() if v}
        if len(q) >= RATE:
            return True
        q.append(now)
        return False

    def hear(
        self,
        f: CosigFrame,
        now: float,
        witnesses: dict[bytes, Known],
        feeds: dict[bytes, tuple[str, str]],
        root_at: Callable[[str, int], bytes | None],
        fresh: bool = True,
    ) -> Heard | Conflict | None:
        """Check one cosignature. ``witnesses`` by key ID; ``feeds`` maps a feed id to
        ``(feed hex, origin)``; ``root_at(feed, size)`` is this hub's root of that feed
        at ``size``, ``None`` when it holds fewer entries. A frame tried again (``fresh``
        false: kept while early) was counted against the flood window when it came."""
        if fresh and self._flooded(f.key_id, now):
            self._drop("flood")
            return None
        w = witnesses.get(f.key_id)
        if w is None:
            self._drop("unknown-witness")
            return None
        found = feeds.get(f.feed_id)
        if found is None or found[0] == w.feed:
            self._drop("unknown-feed")
            return None
        feed, origin = found
        if f.timestamp > now + SKEW:
            self._drop("future")
            return None
        if f.timestamp <= self._last.get((w.feed, feed), -1):
            self._drop("replayed")
            return None
        body = Checkpoint(origin, f.size, f.root).body()
        try:
            w.cosigner.verify(body, f.timestamp, f.signature)
        except CryptoError:
            self._drop("bad-signature")
            return None
        heard = Heard(feed, w, f.size, f.root, f.timestamp, f.signature, body)
        earlier = self._sizes.get((w.feed, feed, f.size))
        if earlier is not None and earlier.root != f.root:
            self.counts["conflict-witness"] += 1
            old = f"{Checkpoint(origin, f.size, earlier.root).body()}\n{earlier.line()}"
            return Conflict("witness", feed, old, heard.note(), w.feed)
        ours = root_at(feed, f.size)
        if ours is None:
            self._drop("unknown-checkpoint")
            return None
        if ours != f.root:  # for the own feed too: someone holding its key showed another
            self.counts["conflict-split-view"] += 1
            mine = Checkpoint(origin, f.size, ours).body()
            return Conflict("split-view", feed, mine, heard.note(), w.feed)
        self.remember(heard)
        self.counts["accepted"] += 1
        return heard


def key_changes(heard: list[dict[str, Any]], federated: set[str]) -> list[Conflict]:
    """A radio that announced a federated hub's key and another key too: the hub changed
    its key (or someone else speaks with its radio). ``heard`` is sync's ``hubs_heard``
    (feed, name, node, at); node 0 (heard over MQTT, no radio) proves nothing."""
    by_node: dict[int, list[dict[str, Any]]] = {}
    for h in heard:
        node = h.get("node")
        if isinstance(node, int) and node > 0 and isinstance(h.get("feed"), str):
            by_node.setdefault(node, []).append(h)
    out = []
    for node, hubs in sorted(by_node.items()):
        for old in hubs:
            if old["feed"] not in federated:
                continue
            for new in hubs:
                if new["feed"] != old["feed"]:
                    said = [
                        f"radio !{node:08x} announced hub {h.get('name')} with key {h['feed']}\n"
                        for h in (old, new)
                    ]
                    out.append(Conflict("key-change", old["feed"], said[0], said[1]))
    return out
