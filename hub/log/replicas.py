"""Replicas: other hubs' feeds, stored beside the own feed, verified before storage.

Only the daemon writes them (it holds the writer lock), and it never re-signs anything: a
replica file holds the origin hub's entries byte for byte, so its export verifies against
the origin's key exactly as the origin's own export does.

Rules of :meth:`Replicas.store`:

- an entry is stored only at the next position of its feed, after its signature verifies
  over the feed key, its position and the hash of the entry before it (the shadow header
  the air never carries), its framing is exact, its body decodes and it is at most
  :data:`MAX_ENTRY` bytes;
- entries at positions already held are compared with ours: the same bytes are a replay
  and are skipped; different bytes that verify at the same position are a **fork**, proof
  that the key signed two histories (:class:`ForkFound`); a forked feed takes no more;
- anything else is refused with :class:`EntryRejected` and nothing after it is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from crypto.entrysig import ZERO_HASH, FeedVerifier
from crypto.errors import CryptoError
from crypto.keys import PublicKey
from hub.errors import EntryError, InputError
from hub.local import DataDir, atomic_write
from hub.log.entry import Body, LoggedEntry, decode_body
from hub.log.store import FeedFile

MAX_ENTRY = 65_536


class EntryRejected(InputError):
    """An entry that does not verify at its claimed place; ``reason`` is a counter name."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


class ForkFound(InputError):
    """Two different entries, both validly signed, at one position of one feed."""

    def __init__(self, feed: str, index: int, ours: bytes, theirs: bytes, prev: bytes) -> None:
        super().__init__(f"feed {feed[:16]}… signed two different entries at {index}")
        self.feed, self.index, self.ours, self.theirs = feed, index, ours, theirs
        self.prev = prev  # the hash of the entry before, which both signatures cover


class Replicas:
    """The replica feeds of one data directory; opened lazily, one file per feed."""

    def __init__(self, datadir: DataDir) -> None:
        self.datadir = datadir
        self._files: dict[str, FeedFile] = {}
        self._verifiers: dict[str, FeedVerifier] = {}
        self.forked: set[str] = {p.name.split("-")[0] for p in self._evidence_dir().glob("*")}

    def _evidence_dir(self) -> Path:
        return self.datadir.root / "evidence"

    def file(self, feed: str) -> FeedFile:
        f = self._files.get(feed)
        if f is None:
            f = FeedFile(self.datadir.feed_path(feed))
            f.open()
            self._files[feed] = f
        return f

    def size(self, feed: str) -> int:
        return len(self.file(feed))

    def close(self) -> None:
        for f in self._files.values():
            f.close()
        self._files.clear()

    def store(
        self,
        feed: str,
        start: int,
        raws: list[bytes],
        on_entry: Callable[[LoggedEntry], None] | None = None,
    ) -> list[LoggedEntry]:
        """Verify and append what extends the feed; return the new entries.

        ``on_entry`` is called with each entry once it is durable, so what was stored before
        a bad entry is not lost to the caller when the bad one raises.

        :raises ForkFound: a different, valid entry at a position we hold (evidence kept).
        :raises EntryRejected: bad framing, signature, body, size, or a gap before ``start``.
        """
        if feed in self.forked:
            raise EntryRejected("forked", f"feed {feed[:16]}… is forked; it takes no more")
        f = self.file(feed)
        verifier = self._verifiers.get(feed)
        if verifier is None:
            verifier = self._verifiers[feed] = FeedVerifier(PublicKey(bytes.fromhex(feed)))
        if start > len(f):
            raise EntryRejected("gap", f"entries from {start}, but we hold {len(f)}")
        out: list[LoggedEntry] = []
        for i, raw in enumerate(raws, start):
            prev = f.leaves[i - 1] if i > 0 else ZERO_HASH
            if i < len(f):
                ours = f.read(i)
                if ours != raw:
                    self._check(verifier, feed, i, prev, raw)  # raises unless it verifies
                    self._keep_evidence(feed, i, ours, raw)
                    raise ForkFound(feed, i, ours, raw, prev)
                continue
            body = self._check(verifier, feed, i, prev, raw)
            index = f.append(raw)
            done = LoggedEntry(feed, index, raw, body)
            out.append(done)
            if on_entry is not None:
                on_entry(done)
        return out

    def _check(self, v: FeedVerifier, feed: str, i: int, prev: bytes, raw: bytes) -> Body:
        if len(raw) > MAX_ENTRY:
            raise EntryRejected("oversized", f"entry {i} is {len(raw)} bytes")
        try:
            return decode_body(v.verify(i, prev, raw))
        except CryptoError as e:
            raise EntryRejected("bad-signature", f"entry {i} of {feed[:16]}…: {e}") from e
        except EntryError as e:
            raise EntryRejected("bad-body", f"entry {i} of {feed[:16]}…: {e}") from e

    def _keep_evidence(self, feed: str, index: int, ours: bytes, theirs: bytes) -> None:
        d = self._evidence_dir()
        d.mkdir(mode=0o750, exist_ok=True)
        atomic_write(d / f"{feed}-{index}-ours.entry", ours)
        atomic_write(d / f"{feed}-{index}-theirs.entry", theirs)
        self.forked.add(feed)
