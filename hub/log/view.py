"""Read-only access to the feeds of a data directory, for the CLI and the portal.

Readers never take the writer lock: feed files are append-only and a reader only ever
sees complete records (:class:`hub.log.store.FeedReader`).
"""

from __future__ import annotations

from collections.abc import Iterator

from crypto.entrysig import split_entry
from crypto.errors import CryptoError
from crypto.merkle import consistency_proof, inclusion_proof, root_from_leaf_hashes
from hub.errors import EntryError, InputError, StoreError
from hub.local import DataDir, Identity, load_identity
from hub.log.entry import LoggedEntry, decode_body
from hub.log.store import FeedReader


class LogView:
    """All feeds in a data directory, refreshed on demand."""

    def __init__(self, datadir: DataDir) -> None:
        self.datadir = datadir
        self.identity: Identity = load_identity(datadir)
        self._readers: dict[str, FeedReader] = {}

    @property
    def own_feed(self) -> str:
        return self.identity.feed.hex()

    def feeds(self) -> list[str]:
        found = {p.stem for p in self.datadir.feeds.glob("*.log")} | {self.own_feed}
        return sorted(found, key=lambda f: (f != self.own_feed, f))

    def reader(self, feed: str | None = None) -> FeedReader:
        feed = (feed or self.own_feed).lower()
        if len(feed) != 64 or any(c not in "0123456789abcdef" for c in feed):
            raise InputError(f"feed must be 64 hex characters, got {feed[:70]!r}")
        r = self._readers.get(feed)
        if r is None:
            path = self.datadir.feed_path(feed)
            if feed != self.own_feed and not path.exists():
                raise InputError(f"this hub holds no feed {feed[:16]}…")
            r = FeedReader(path)
            self._readers[feed] = r
        r.refresh()
        return r

    def entry(self, index: int, feed: str | None = None) -> LoggedEntry:
        r = self.reader(feed)
        return _decode(feed or self.own_feed, index, r.read(index))

    def entries(
        self, feed: str | None = None, start: int = 0, stop: int | None = None
    ) -> Iterator[LoggedEntry]:
        return iter_entries(self.reader(feed), feed or self.own_feed, start, stop)

    def root(self, feed: str | None = None, size: int | None = None) -> bytes:
        leaves = self.reader(feed).leaves
        return root_from_leaf_hashes(leaves[: len(leaves) if size is None else size])

    def inclusion(self, index: int, size: int | None, feed: str | None = None) -> list[bytes]:
        leaves = self.reader(feed).leaves
        n = len(leaves) if size is None else size
        if not 0 < n <= len(leaves):
            raise InputError(f"tree size must be between 1 and {len(leaves)}")
        if not 0 <= index < n:
            raise InputError(f"index must be between 0 and {n - 1}")
        return inclusion_proof(leaves, index, n)

    def consistency(self, first: int, second: int | None, feed: str | None = None) -> list[bytes]:
        leaves = self.reader(feed).leaves
        n = len(leaves) if second is None else second
        if not 0 < n <= len(leaves):
            raise InputError(f"--to must be between 1 and {len(leaves)}")
        if not 0 < first <= n:
            raise InputError(f"--from must be between 1 and {n}")
        return consistency_proof(leaves, first, n)


def iter_entries(
    reader: FeedReader, feed: str, start: int = 0, stop: int | None = None
) -> Iterator[LoggedEntry]:
    """Decoded entries ``[start, stop)`` of a feed, read in batches; raises StoreError."""
    stop = len(reader) if stop is None else min(stop, len(reader))
    for i in range(start, stop, 512):
        for j, raw in enumerate(reader.read_range(i, min(i + 512, stop))):
            yield _decode(feed, i + j, raw)


def _decode(feed: str, index: int, raw: bytes) -> LoggedEntry:
    try:
        body = decode_body(split_entry(raw)[0])
    except (CryptoError, EntryError) as e:
        raise StoreError(f"entry {index} of feed {feed[:16]}… does not decode: {e}") from e
    return LoggedEntry(feed, index, raw, body)
