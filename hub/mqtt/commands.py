"""The command topic: parse ``cmd/send`` payloads, and rate limits for hostile publishers.

A command is JSON ``{"text": "...", "to": 305419896 | "!12345678" | null, "channel": 0}``:
text of 1-200 UTF-8 bytes without control characters, an optional destination node
(broadcast when absent) and an optional channel index 0-7. Who may publish it is decided by
the broker's ACL (deploy/mosquitto/); the hub additionally refuses retained commands (a
retained command would be re-sent on every reconnect) and more than a few per minute.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hub.errors import InputError
from hub.mesh import BROADCAST, MAX_TEXT_BYTES


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
    unknown = set(data) - {"text", "to", "channel"}
    if unknown:
        raise InputError(f"unknown command field {sorted(unknown)[0]!r}")
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError("command needs a non-empty 'text'")
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise InputError(f"text is longer than {MAX_TEXT_BYTES} bytes")
    if any(not ch.isprintable() and ch not in "\n" for ch in text):
        raise InputError("text contains a control character")
    channel = data.get("channel", 0)
    if isinstance(channel, bool) or not isinstance(channel, int) or not 0 <= channel <= 7:
        raise InputError("'channel' must be 0-7")
    return SendText(text, _node(data.get("to")), channel)


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
