"""What the daemon's core can ask of the services plugged into it, as typed protocols.

The core never imports the radio or MQTT packages (``hub`` does not depend on ``radio``);
the services implement these protocols and the daemon plugs them in when they start.
Fakes in tests and benchmarks implement the same protocols.
"""

from __future__ import annotations

from typing import Any, Protocol


class RadioPort(Protocol):
    """The hub's radio, as ops and MQTT commands use it (on the daemon's loop thread)."""

    def send_text(self, text: str, dest: int = ..., channel: int | None = None) -> object:
        """Queue a text; raises a radio error when it cannot be taken."""
        ...

    def send_data(
        self, payload: bytes, port: int, dest: int = ..., hop_limit: int | None = ...
    ) -> object:
        """Queue a binary payload on a private port at bulk priority (after alerts and
        replies), relayed at most ``hop_limit`` hops (None: the radio's configured limit);
        raises a radio error when it cannot be taken."""
        ...

    def airtime(self, payload_len: int) -> float:
        """Seconds on air of one packet of ``payload_len`` bytes with the radio's preset."""
        ...

    def send_dm(self, node: int, text: str) -> None:
        """A DM to one node; raises :class:`hub.errors.DaemonError` when it cannot."""
        ...

    def wake(self) -> None:
        """Run the steward desk's timed work now (alerts changed)."""
        ...

    def handle_unauthenticated(self, event: object) -> None:
        """A text heard over an unauthenticated path (MQTT): logged, never obeyed."""
        ...


class SyncPort(Protocol):
    """The sync service, as the radio service hands it what it heard on the sync port."""

    def on_frame(self, payload: bytes, sender: int, relayed: bool = False) -> None:
        """``relayed``: it reached the radio through another node's rebroadcast."""
        ...

    def take_entries(self, feed: str, start: int, raws: list[bytes]) -> None:
        """Entries of ``feed`` (hex) heard another way (MQTT): verified, stored once."""
        ...

    def status(self) -> dict[str, Any]: ...


class WitnessPort(Protocol):
    """The witness service: cosignatures heard on the witness port or over MQTT."""

    WIRE_TYPES: frozenset[int]  # byte 0 of its frames (they share the sync topic on MQTT)

    def on_frame(self, payload: bytes, sender: int) -> None: ...

    def status(self) -> dict[str, Any]: ...


class MqttPort(Protocol):
    """The MQTT service, as the radio service uses it to share what it heard."""

    def publish_radio(self, event: object) -> None: ...

    def publish_sync(self, payload: bytes) -> None: ...


class StatusPort(Protocol):
    """Whoever can report the running hub's status (the daemon)."""

    def status(self) -> dict[str, Any]: ...
