"""Canopy's MQTT topic tree and the JSON payloads published on it.

Every topic lives under ``canopy/v1/<hub>/`` where ``<hub>`` is the first 16 hex digits of
the hub's own feed key. See docs/mqtt.md for the full tree; in short:

==============================  ====  ========  =========================================
topic                           QoS   retained  payload
==============================  ====  ========  =========================================
``log/<feed16>``                1     no        one entry of a feed the hub holds
``status``                      1     yes       hub status; the Last Will sets it offline
``alerts``                      1     yes       active alerts of the hub's own feed
``radio/<event>``               0     no        decoded radio traffic (dashboards)
``cmd/send``                    in    (refused) a text for the mesh; writable per ACL only
``cmd/result``                  0     no        outcome of each command
``sync``                        0     no        sync frames this hub sends (docs/sync.md)
==============================  ====  ========  =========================================
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from crypto.entrysig import split_entry
from crypto.errors import CryptoError
from hub.errors import EntryError
from hub.log import Body, decode_body

PREFIX = "canopy/v1"


class Topics:
    """The topic names of one hub."""

    def __init__(self, feed_hex: str) -> None:
        self.hub = feed_hex[:16]
        self.base = f"{PREFIX}/{self.hub}"

    @property
    def status(self) -> str:
        return f"{self.base}/status"

    @property
    def alerts(self) -> str:
        return f"{self.base}/alerts"

    @property
    def cmd_send(self) -> str:
        return f"{self.base}/cmd/send"

    @property
    def cmd_result(self) -> str:
        return f"{self.base}/cmd/result"

    @property
    def sync(self) -> str:
        return f"{self.base}/sync"

    def log(self, feed_hex: str) -> str:
        return f"{self.base}/log/{feed_hex[:16]}"

    def radio(self, event: str) -> str:
        safe = "".join(c for c in event.lower() if c.isalnum() or c == "_")[:32] or "event"
        return f"{self.base}/radio/{safe}"


Redact = Callable[[Body], tuple[tuple[str, ...], bool]]


def dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_jsonable).encode()


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def entry_payload(
    feed_hex: str,
    index: int,
    raw: bytes,
    body: Body | None = None,
    redact: Redact | None = None,
) -> bytes:
    """JSON of one entry: feed, index, kind, time, author, the kind's fields, raw bytes.

    ``entry`` is the signed entry in base64, so a subscriber can verify it itself. An entry
    whose body does not decode is still published (with ``error``), never dropped or
    invented: the cursor must not skip it silently. ``redact(body)`` (the privacy policy,
    hub.privacy) names the fields to withhold and whether the signed bytes may go out.
    """
    data: dict[str, Any] = {"feed": feed_hex, "index": index}
    with_raw = True
    try:
        if body is None:
            body = decode_body(split_entry(raw)[0])
        data.update(body.to_json())
        if redact is not None:
            hide, with_raw = redact(body)
            for name in hide:
                data.pop(name, None)
            if hide:
                data["withheld"] = list(hide)
    except (CryptoError, EntryError) as e:
        data["error"] = f"entry does not decode: {e}"
    if with_raw:
        data["entry"] = base64.b64encode(raw).decode("ascii")
    return dumps(data)
