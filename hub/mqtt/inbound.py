"""What comes in over MQTT: commands for the radio, and Meshtastic traffic.

Runs on the MQTT client's thread up to validation and decoding (cheap, bounded by rate
limits); anything that touches hub state is queued to the daemon loop with ``call_soon``.
Nothing here writes the log: commands only ask the radio service to send a text, and
Meshtastic traffic only updates the node list and reaches the command handler as
*unauthenticated* events.
"""

from __future__ import annotations

import logging
import time as _time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from hub.errors import InputError
from hub.mqtt.commands import SendText, TokenBucket, parse_command
from hub.mqtt.settings import MqttSettings

if TYPE_CHECKING:
    from hub.daemon import Daemon


class HeardNode(Protocol):
    """A node's announced names (``radio.events.NodeSeen``)."""

    @property
    def num(self) -> int: ...

    @property
    def long_name(self) -> str | None: ...

    @property
    def short_name(self) -> str | None: ...


class MeshDecoded(Protocol):
    """One decoded Meshtastic envelope (``radio.mqttcodec.Decoded``)."""

    @property
    def from_num(self) -> int: ...

    @property
    def duplicate(self) -> bool: ...

    @property
    def nodes(self) -> Sequence[HeardNode]: ...

    @property
    def texts(self) -> Sequence[object]: ...


class MeshDecoder(Protocol):
    """Decodes Meshtastic MQTT messages (``radio.mqttcodec.MeshMqttDecoder``); built by the
    caller so that ``hub`` never loads ``radio`` itself. Raises ``ValueError`` (with a short
    ``reason`` attribute) for a message it cannot use."""

    def decode(self, topic: str, payload: bytes, now: float) -> MeshDecoded: ...


log = logging.getLogger("canopy.mqtt")
Count = Callable[..., None]


class Inbound:
    """Commands and Meshtastic packets; ``count(what, detail="", warn=False)`` tallies."""

    def __init__(
        self,
        settings: MqttSettings,
        count: Count,
        result: Callable[[dict[str, Any]], None],
        decoder: MeshDecoder | None = None,
    ) -> None:
        self.settings = settings
        self._count = count
        self._result = result
        self.daemon: Daemon | None = None
        self.decoder = decoder if settings.meshtastic_root else None
        lim = settings.limits
        self._cmd_bucket = TokenBucket(lim.commands_per_minute / 60.0, 5)
        self._mesh_bucket = TokenBucket(lim.mesh_per_second, lim.mesh_per_second * 4)

    def on_command(self, payload: bytes, retained: bool) -> None:
        """A ``cmd/send`` message (client thread): check it, then run it on the loop."""
        if retained:  # re-delivered on every reconnect: never act on it
            self._count("refused_retained_command", "retained command ignored", warn=True)
            return
        if not self._cmd_bucket.take(_time.monotonic()):
            self._count("refused_command_flood", "too many commands", warn=True)
            return
        try:
            cmd = parse_command(payload, self.settings.limits.max_command_bytes)
        except InputError as e:
            self._count("refused_bad_command", str(e), warn=True)
            self._result({"ok": False, "error": str(e)})
            return
        assert self.daemon is not None
        self.daemon.call_soon(lambda: self._run_command(cmd))

    def _run_command(self, cmd: SendText) -> None:
        assert self.daemon is not None
        radio = self.daemon.core.radio
        if radio is None:
            self._count("refused_no_radio", "no radio to send a command's text", warn=True)
            self._result({"ok": False, "error": "this hub has no radio", **cmd.to_json()})
            return
        try:
            radio.send_text(cmd.text, dest=cmd.dest, channel=cmd.channel)
        except Exception as e:
            self._count("refused_send_failed", str(e), warn=True)
            self._result({"ok": False, "error": str(e)[:200], **cmd.to_json()})
            return
        self._count("commands_sent")
        log.info("mqtt: command sent to %s: %r", f"!{cmd.dest:08x}", cmd.text)
        self._result({"ok": True, **cmd.to_json()})

    def on_mesh_message(self, topic: str, payload: bytes) -> None:
        """A Meshtastic message (client thread): decode it, then act on the loop."""
        if self.decoder is None:  # subscribed only when there is one
            return
        if not self._mesh_bucket.take(_time.monotonic()):
            self._count("mesh_flood", "Meshtastic messages over the rate limit", warn=True)
            return
        try:
            dec = self.decoder.decode(topic, payload, _time.time())
        except ValueError as e:  # MeshMqttError is a RadioInputError, a ValueError
            reason = getattr(e, "reason", "bad")
            self._count(f"mesh_{reason}", str(e)[:200], warn=reason not in ("ignored", "no_key"))
            return
        if dec.duplicate:
            self._count("mesh_duplicates")
            return
        self._count("mesh_decoded")
        assert self.daemon is not None
        self.daemon.call_soon(lambda: self._on_mesh_packet(dec))

    def _on_mesh_packet(self, dec: MeshDecoded) -> None:
        assert self.daemon is not None
        core = self.daemon.core
        nodes = core.nodes
        nodes.seen(dec.from_num, via="mqtt")
        for node in dec.nodes:
            nodes.seen(node.num, via="mqtt", long_name=node.long_name, short_name=node.short_name)
        for text in dec.texts:
            self._count("mesh_texts")
            if core.radio is None:
                log.info("mqtt: text from !%08x over MQTT (no radio to hand it to)", dec.from_num)
                continue
            try:
                core.radio.handle_unauthenticated(text)
            except Exception:
                log.exception("mqtt: the radio service failed on a text from MQTT")
