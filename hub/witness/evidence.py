"""Split-view evidence that proves itself, before it is logged.

Every hub that folds a ``split-view`` entry checks its statements itself
(:func:`crypto.evidence.split_view_flaw`, in :class:`hub.state.HubState`): ``a`` signed by
the accused hub's key, ``b`` signed by it too or cosigned by a third witness ``by``. What
the witness service finds is often one signed statement against a root computed from this
hub's replica (unsigned: only this hub's word). Before logging, :class:`EvidenceDesk` puts
a signed statement in its place where this hub holds one:

- the hub's own checkpoint at that size, for the own feed (it signs it now);
- a kept checkpoint note of that hub (``DIR/checkpoints/``) or its held signed head, at that
  size with the replica's root;
- else, when the other statement is the hub's signed note, a third witness's cosignature of
  the replica's root at that size (``a`` becomes the note, ``b`` the cosignature).

Evidence that still proves nothing is kept in the evidence file only, counted as
``unproven-<why>``, and tried again every tick while new checkpoints and cosignatures
arrive; no entry is written (it would mark no hub anywhere, this one included).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from crypto.cosignature import Cosigner
from crypto.errors import CryptoError
from crypto.evidence import split_view_flaw
from crypto.keys import PublicKey
from crypto.note import Checkpoint, parse_note
from hub.errors import HubError
from hub.log import FieldValue
from hub.witness.core import Conflict

if TYPE_CHECKING:
    from hub.witness.service import WitnessService

log = logging.getLogger("canopy.witness")
PENDING = 16  # unproven conflicts kept to try again (one per accused hub)


def bare_body(text: str) -> Checkpoint | None:
    """The checkpoint ``text`` states when it is a bare body (no signature), else None."""
    try:
        parse_note(text)
        return None
    except CryptoError:
        pass
    try:
        return Checkpoint.parse(text)
    except CryptoError:
        return None


class EvidenceDesk:
    def __init__(self, svc: WitnessService) -> None:
        self.svc = svc
        self.pending: dict[str, Conflict] = {}

    def _hub_signed(self, feed: str, size: int, root: bytes) -> str | None:
        """A statement signed by ``feed``'s hub that its log had ``root`` at ``size``."""
        svc = self.svc
        core = svc._core
        if feed == core.log.feed_hex:
            if svc._root_at(feed, size) != root:
                return None
            try:
                return core.log.checkpoint_at(size)
            except HubError:
                return None
        cps = core.log.checkpoints
        if size in cps.sizes(feed):
            try:
                note = cps.note(feed, size)
                if Checkpoint.parse(parse_note(note).text).root == root:
                    return note
            except (OSError, CryptoError):
                pass
        head = svc.heads.book.get(feed)
        if head is not None and head.size == size and head.root == root:
            return head.note()
        return None

    def _third_cosignature(self, feed: str, size: int, root: bytes) -> tuple[str, str] | None:
        """A held cosignature of ``root`` at ``size`` by a witness other than this hub and
        the accused one: (the cosigned note, the witness's feed)."""
        mine = self.svc._core.log.feed_hex
        for h in self.svc.wc.held(feed, size):
            if h.root == root and h.witness.feed not in (mine, feed):
                return h.note(), h.witness.feed
        return None

    def provable(self, c: Conflict) -> Conflict:
        """``c`` with a signed statement in place of a root computed from a replica, where
        this hub holds one (see the module docstring)."""
        body = bare_body(c.a)
        if body is None:
            return c
        signed = self._hub_signed(c.feed, body.size, body.root)
        if signed is not None:
            return dataclasses.replace(c, a=signed)
        if not c.witness:
            found = self._third_cosignature(c.feed, body.size, body.root)
            if found is not None:
                return dataclasses.replace(c, a=c.b, b=found[0], witness=found[1])
        return c

    def flaw(self, c: Conflict) -> str:
        """What a reader folding ``c`` as an entry of this hub would find (HubState)."""
        st = self.svc._core.state
        witness = None
        if c.witness:
            if c.witness in (self.svc._core.log.feed_hex, c.feed):
                return "witness-self"
            known = st.witnesses.get(c.witness)
            if known is None:
                return "witness-unknown"
            witness = Cosigner(known[0], PublicKey(known[1]))
        peer = st.peers.get(c.feed)
        origin = peer.origin if peer is not None else ""
        return split_view_flaw(PublicKey(bytes.fromhex(c.feed)), c.a, c.b, witness, origin)

    def log_split(self, c: Conflict, again: bool = False) -> None:
        """Log ``c`` as a ``split-view`` entry when it proves itself; else hold it."""
        core = self.svc._core
        c = self.provable(c)
        try:
            why = self.flaw(c)
        except CryptoError:
            why = "bad-key"
        if why:
            if not again:
                self.svc.wc.counts[f"unproven-{why}"] += 1
                log.warning("witness: split view of %s not logged yet: %s", c.feed[:16], why)
            if c.feed in self.pending or len(self.pending) < PENDING:
                self.pending[c.feed] = c
            return
        self.pending.pop(c.feed, None)
        fields: dict[str, FieldValue] = {
            "feed": bytes.fromhex(c.feed),
            "a": c.a.encode()[:4000],
            "b": c.b.encode()[:4000],
            "by": bytes.fromhex(c.witness) if c.witness else None,
        }
        try:
            core.log.append("split-view", fields)
        except HubError as e:
            log.error("witness: split-view evidence not logged: %s", e)

    def retry(self) -> None:
        """Held conflicts again: a checkpoint, head or cosignature may have arrived."""
        st = self.svc._core.state
        for feed, c in list(self.pending.items()):
            if feed in st.split_views:
                del self.pending[feed]
            else:
                self.log_split(c, again=True)

    def status(self) -> dict[str, Any]:
        """Peers' split-view entries that prove nothing (reported, not proven), and this
        hub's own findings not logged yet."""
        st = self.svc._core.state
        return {
            "unproven": [
                {
                    "feed": u.feed,
                    "name": st.hub_name(u.feed),
                    "by": st.hub_name(u.by),
                    "why": u.what,
                }
                for u in st.unproven.values()
            ],
            "unproven_count": st.unproven_count,
            "held_unproven": sorted(self.pending),
        }
