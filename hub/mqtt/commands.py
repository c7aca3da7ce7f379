"""The command topic: parse ``cmd/send`` payloads, and rate limits for hostile publishers.

A command is JSON ``{"text": "...", "to": 305419896 | "!12345678" | null, "channel": 0}``,
all three fields present: text of 1-200 UTF-8 bytes that passes the hub's text policy
(:mod:`hub.log.text`; normalised to NFC), a destination node (``null`` for broadcast) and a
channel index 0-7. A missing field is refused, never filled in with a default. Who may
publish it is decided by the broker's ACL (deploy/mosquitto/); the hub additionally refuses
retained commands (a retained command would be re-sent on every reconnect) and more than a
few per minute.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hub.errors import InputError
from hub.log import clean_text
from hub.mesh import BROADCAST, MAX_TEXT_BYTES

FIELDS = frozenset({"text", "to", "channel"})


@dataclass(frozen=True, slots=True)
class SendText:
    text: str
    dest: int
    channel: int

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "to": f"!{self.dest:08x}", "channel": self.channel}


def _node(value: Any) -> int:
    if value is None:
        return BROADCAST
    if isinstance(value, str) and value.startswith("!") and len(value) == 9:
        try:
            num = int(value[1:], 16)
        except ValueError as e:
            raise InputError(f"bad node id {value!r}") from e
    elif isinstance(value, int) and not isinstance(value, bool):
        num = value
    else:
        raise InputError("'to' must be a node number, '!xxxxxxxx' or null")
    if not 0 < num <= BROADCAST:
        raise InputError(f"node number {num} out of range")
    return num


def parse_command(payload: bytes, max_bytes: int = 1024) -> SendText:
    """Parse a ``cmd/send`` payload; raises :class:`InputError` with the reason."""
    if len(payload) > max_bytes:
        raise InputError(f"command of {len(payload)} bytes is over {max_bytes}")
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise InputError(f"command is not UTF-8 JSON: {e}") from e
    if not isinstance(data, dict):
        raise InputError("command must be a JSON object")
    unknown = set(data) - FIELDS
    if unknown:
        raise InputError(f"unknown command field {sorted(unknown)[0]!r}")
    missing = [f for f in ("text", "to", "channel") if f not in data]
    if missing:  # a command is complete or refused: nothing is filled in with a default
        raise InputError(f"command needs {', '.join(repr(f) for f in missing)}")
    text = data["text"]
    if not isinstance(text, str) or not text.strip():
        raise InputError("command needs a non-empty 'text'")
    # the hub's one text policy: NFC, no control, invisible or lone-surrogate characters
    text = clean_text(text, name="text", multiline=True, max_bytes=MAX_TEXT_BYTES)
    channel = data["channel"]
    if isinstance(channel, bool) or not isinstance(channel, int) or not 0 <= channel <= 7:
        raise InputError("'channel' must be 0-7")
    return SendText(text, _node(data["to"]), channel)


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up; the caller passes ``now``."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._at: float | None = None

    def take(self, now: float) -> bool:
        if self._at is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False
