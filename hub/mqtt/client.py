"""The paho client as the MQTT service uses it, and the service's counters.

:func:`make_client` builds (never connects) a paho client from the settings: MQTT 3.1.1,
clean session, credentials, TLS, the Last Will, reconnect back-off and the in-flight window.
:class:`Counts` tallies what happened, thread-safely, and logs warnings without flooding.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from hub.errors import InputError
from hub.mqtt.settings import MqttSettings

log = logging.getLogger("canopy.mqtt")


def make_client(s: MqttSettings, default_id: str, will_topic: str, will: bytes) -> mqtt.Client:
    """A configured paho client; raises :class:`InputError` when TLS cannot be set up."""
    c = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=s.client_id or default_id,
        protocol=mqtt.MQTTv311,
        clean_session=True,
    )
    c.suppress_exceptions = True
    if s.username:
        c.username_pw_set(s.username, s.password)
    if s.tls:
        try:
            c.tls_set(
                ca_certs=str(s.tls_ca) if s.tls_ca else None,
                certfile=str(s.tls_cert) if s.tls_cert else None,
                keyfile=str(s.tls_key) if s.tls_key else None,
            )
        except (OSError, ValueError) as e:
            raise InputError(f"MQTT TLS setup failed: {e}") from e
    c.will_set(will_topic, will, 1, True)
    c.reconnect_delay_set(s.limits.reconnect_min, s.limits.reconnect_max)
    c.max_inflight_messages_set(s.limits.window + 16)
    return c


class Counts:
    """Counters by name, and the last error worth showing (safe from any thread)."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.last_error = ""

    def add(self, what: str, detail: str = "", warn: bool = False) -> None:
        with self._lock:
            self._counts[what] += 1
            n = self._counts[what]
        if detail:
            self.last_error = f"{what}: {detail}"[:300]
        if warn and (n <= 5 or n & (n - 1) == 0):  # 1-5, then powers of two: no log floods
            log.warning("mqtt: %s%s [%d so far]", what, f" ({detail})" if detail else "", n)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)
