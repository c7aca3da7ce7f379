"""The sync engine's view of a hub's feeds: the own feed and the federated replicas.

Implements :class:`hub.sync.store_port.SyncStore` over the daemon's core: sizes and roots from
the feed files, reads for answers, and :meth:`hub.log.own.HubLog.store_replica` (verify,
then store, then tell the listeners) for what arrives.
"""

from __future__ import annotations

from crypto.note import Checkpoint, parse_note
from hub.daemon import HubCore
from hub.errors import InputError
from hub.log import FeedFile, binary_signature


class LogStore:
    def __init__(self, core: HubCore) -> None:
        self.core = core
        self.own = bytes.fromhex(core.log.feed_hex)

    def feeds(self) -> list[bytes]:
        forked = self.core.log.replicas.forked
        peers = [f for f in self.core.state.federated() if f not in forked]
        return [self.own, *(bytes.fromhex(f) for f in peers)]

    def _file(self, feed: bytes) -> FeedFile:
        if feed == self.own:
            own = self.core.log.own
            assert own is not None, "the log is open while the daemon runs"
            return own
        return self.core.log.replicas.file(feed.hex())

    def size(self, feed: bytes) -> int:
        return len(self._file(feed))

    def root(self, feed: bytes) -> bytes:
        return self._file(feed).compact.root()

    def read(self, feed: bytes, start: int, stop: int) -> list[bytes]:
        return self._file(feed).read_range(start, stop)

    def signed_checkpoint(self) -> tuple[int, bytes, bytes]:
        cp_note = self.core.log.checkpoint()
        cp = Checkpoint.parse(parse_note(cp_note).text)
        return cp.size, cp.root, binary_signature(cp_note)

    def take_checkpoint(self, feed: bytes, size: int, root: bytes, sig: bytes) -> bool:
        peer = self.core.state.peers.get(feed.hex())
        if peer is None or not peer.origin:
            raise InputError("no origin known for this feed: its peer entry names none")
        return self.core.log.checkpoints.take(feed.hex(), peer.origin, size, root, sig)

    def store(self, feed: bytes, start: int, raws: list[bytes]) -> int:
        self.core.log.store_replica(feed.hex(), start, raws)
        return self.size(feed)
