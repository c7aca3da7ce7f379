"""The port through which the sync engine reaches a hub's feeds (sans-IO)."""

from __future__ import annotations

from typing import Protocol


class SyncStore(Protocol):
    """The feeds a hub keeps, as the engine sees them (32-byte feed keys)."""

    def feeds(self) -> list[bytes]:
        """The own feed first, then every feed this hub replicates."""
        ...

    def size(self, feed: bytes) -> int: ...

    def root(self, feed: bytes) -> bytes:
        """The RFC 9162 root of the feed at its size (32 zero bytes when empty)."""
        ...

    def read(self, feed: bytes, start: int, stop: int) -> list[bytes]: ...

    def store(self, feed: bytes, start: int, raws: list[bytes]) -> int:
        """Verify and store; return the new size. Raises :class:`hub.errors.InputError`
        with a ``reason`` (bad entry) or :class:`hub.log.replicas.ForkFound`."""
        ...

    def signed_checkpoint(self) -> tuple[int, bytes, bytes]:
        """The own feed's checkpoint now: size, root and its Ed25519 signature."""
        ...

    def take_checkpoint(self, feed: bytes, size: int, root: bytes, sig: bytes) -> bool:
        """Check and keep another hub's checkpoint; raises :class:`hub.errors.InputError`
        when it does not verify."""
        ...
