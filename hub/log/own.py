"""The hub's writable log: its own signed feed plus replica feeds, for the single writer.

Only one process holds a :class:`HubLog` for a data directory at a time (see
:class:`hub.local.datadir.WriterLock`). Appends are signed, durable and O(1); listeners are
told about every new entry after it is durable (MQTT, radio sync and the portal cache
hang off that).
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable

from crypto.entrysig import ZERO_HASH, FeedVerifier, sign_entry, split_entry
from crypto.errors import CryptoError
from crypto.keys import SigningKey
from crypto.merkle import root_from_leaf_hashes
from crypto.note import Checkpoint, sign_note
from hub.errors import EntryError, StoreError
from hub.local import DataDir, Identity, load_identity, load_signing_key
from hub.log.checkpoints import Checkpoints
from hub.log.entry import FieldValue, LoggedEntry, TimeSource, decode_body, encode_body, make_body
from hub.log.replicas import EntryRejected, Replicas
from hub.log.store import FeedFile, FeedReader

AppendListener = Callable[[LoggedEntry], None]
PrepareFn = Callable[[str, dict[str, FieldValue], int], tuple[str, dict[str, FieldValue]]]


class HubLog:
    """Own feed (signed here) and replicas; constructed cheaply, opened explicitly."""

    def __init__(self, datadir: DataDir, clock: Callable[[], float] = _time.time) -> None:
        self.datadir = datadir
        self.clock = clock
        self.identity: Identity | None = None
        self._key: SigningKey | None = None
        self.own: FeedFile | None = None
        self.replicas = Replicas(datadir)
        self.checkpoints = Checkpoints(datadir)
        self._last_time = 0
        self.listeners: list[AppendListener] = []
        # Called with (kind, fields, time) before the body is built: sealing (hub.privacy).
        self.prepare: PrepareFn | None = None
        # Where claimed times come from; the daemon swaps in its never-backwards clock.
        self.wall: Callable[[], tuple[float, TimeSource]] = lambda: (
            self.clock(),
            TimeSource.UNSYNCED,
        )

    def open(self) -> None:
        self.identity = load_identity(self.datadir)
        self._key = load_signing_key(self.datadir, self.identity)
        self.datadir.feeds.mkdir(exist_ok=True)
        feed = FeedFile(self.datadir.feed_path(self.identity.feed.hex()))
        feed.open()
        self.own = feed
        if len(feed):
            try:
                self._last_time = decode_body(split_entry(feed.read(len(feed) - 1))[0]).time
            except Exception as e:
                raise StoreError(f"last entry of the own feed does not decode: {e}") from e

    def close(self) -> None:
        if self.own is not None:
            self.own.close()
        self.replicas.close()

    def store_replica(self, feed: str, start: int, raws: list[bytes]) -> list[LoggedEntry]:
        """Verify and store another hub's entries (:meth:`Replicas.store`); listeners are
        told about each new one, as about the own feed's."""
        if feed == self.feed_hex:
            raise EntryRejected("own-feed", "entries of this hub's own feed come only from it")

        def tell(e: LoggedEntry) -> None:
            for listener in list(self.listeners):
                listener(e)

        return self.replicas.store(feed, start, raws, tell)

    def recover_own(self, raws: list[bytes]) -> list[LoggedEntry]:
        """Put back entries of the own feed that this hub signed and lost (its data
        restored from an old copy), from another copy of its history (a peer's export of
        its replica). Entries already held must be identical (else it is not this log's
        history: refused, nothing stored); each new one must verify against the own key and
        the chain. Listeners are told as for an append. Raises :class:`EntryRejected`."""
        if self.own is None or self.identity is None:
            raise StoreError("log is not open")
        own = self.own
        for i, raw in enumerate(raws[: len(own)]):
            if own.read(i) != raw:
                raise EntryRejected("fork", f"entry {i} differs from this hub's: another history")
        verifier = FeedVerifier(self.identity.feed)
        out: list[LoggedEntry] = []
        for i in range(len(own), len(raws)):
            prev = own.last_leaf if i else ZERO_HASH
            try:
                body = decode_body(verifier.verify(i, prev, raws[i]))
            except (CryptoError, EntryError) as e:
                raise EntryRejected("bad-signature", f"entry {i}: {e}") from e
            own.append(raws[i])
            self._last_time = max(self._last_time, body.time)
            done = LoggedEntry(self.feed_hex, i, raws[i], body)
            out.append(done)
            for listener in list(self.listeners):
                listener(done)
        return out

    @property
    def feed_hex(self) -> str:
        assert self.identity is not None
        return self.identity.feed.hex()

    def append(
        self,
        kind: str,
        fields: dict[str, FieldValue] | list[FieldValue],
        *,
        author: str = "",
        time_source: TimeSource | None = None,
        sync: bool = True,
    ) -> LoggedEntry:
        """Sign and durably append an entry to the own feed.

        Claimed time never goes backwards within the feed: a clock that jumped back is
        clamped to the previous entry's time. Raises :class:`hub.errors.EntryError` for a
        bad entry and :class:`hub.errors.StoreError` when it cannot be stored.
        """
        if self.own is None or self._key is None:
            raise StoreError("log is not open")
        wall, source = self.wall()
        now = max(int(wall), self._last_time)
        if self.prepare is not None and isinstance(fields, dict):
            kind, fields = self.prepare(kind, fields, now)
        body = make_body(
            kind,
            fields,
            time=now,
            time_source=source if time_source is None else time_source,
            author=author,
        )
        seq = len(self.own)
        prev = self.own.last_leaf if seq else ZERO_HASH
        entry = sign_entry(self._key, seq, prev, encode_body(body))
        index = self.own.append(entry, sync=sync)
        self._last_time = now
        done = LoggedEntry(self.feed_hex, index, entry, body)
        for listener in list(self.listeners):
            listener(done)
        return done

    def checkpoint(self, size: int | None = None) -> str:
        """The signed C2SP checkpoint note of the own feed's current state (or of its first
        ``size`` entries: an export that holds back entries not yet public)."""
        if self.own is None or self._key is None or self.identity is None:
            raise StoreError("log is not open")
        if size is None or size >= len(self.own):
            cp = Checkpoint(self.identity.origin, len(self.own), self.own.compact.root())
        else:
            reader = FeedReader(self.own.path)
            reader.refresh()
            leaves = reader.leaves[: max(0, size)]
            cp = Checkpoint(self.identity.origin, len(leaves), root_from_leaf_hashes(leaves))
        return sign_note(cp.body(), self.identity.origin, self._key)

    def checkpoint_at(self, size: int) -> str:
        """The signed checkpoint note of the own feed's first ``size`` entries (an earlier
        state: what witnesses cosigned)."""
        if self.own is None or self._key is None or self.identity is None:
            raise StoreError("log is not open")
        if not 0 < size <= len(self.own):
            raise StoreError(f"the own feed has no state of size {size}")
        root = root_from_leaf_hashes(self.own.leaves[:size])
        cp = Checkpoint(self.identity.origin, size, root)
        return sign_note(cp.body(), self.identity.origin, self._key)
