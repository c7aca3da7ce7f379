"""Pacing of sync frames across relays, sans-IO: one frame at a time, and quiet while
another hub's frames are arriving.

Where frames cross relays (a hop limit above 0), a hub handing the radio a whole answer at
once sends it back to back, and the relay beside it rebroadcasts the frames only after
the burst; a hub on the relay's other side hears nothing meanwhile, takes the channel for
free and its frames collide with the burst at the relay (hidden nodes). So, across relays:

- a frame is handed to the radio only once the one before has left and the relays have
  had the time to rebroadcast it (twice its airtime and a margin);
- after hearing a frame of another hub, a hub waits as long as that hub's next frame and
  its rebroadcast take (twice a full frame's airtime and a margin) before sending its own.

With a hop limit of 0 (every hub hears every other) frames go at once, as before: the
radio's own carrier sense is enough there.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from hub.sync import frames as fr
from hub.sync.records import Action, Send

MARGIN = 1.0  # seconds: the relays' random back-off before a rebroadcast, and then some


def spacing(air: float, paced: bool) -> float:
    """Seconds one frame of ``air`` seconds holds the channel: its airtime and, across
    relays (``paced``), the rebroadcast after it and the relays' back-off."""
    return 2 * air + MARGIN if paced else air


class Pacer:
    def __init__(self, airtime: Callable[[int], float], hop_limit: int) -> None:
        self.airtime = airtime
        self.on = hop_limit > 0
        self.queue: deque[Action] = deque()
        self.free_at = -1e18  # our last frame and its rebroadcast are done by then
        self.quiet_until = -1e18  # another hub's frames are arriving until then

    def heard(self, now: float) -> None:
        """A frame of another hub arrived: its next one (and the relays') may follow."""
        if self.on:
            self.quiet_until = max(
                self.quiet_until, now + spacing(self.airtime(fr.MAX_FRAME), True)
            )

    def put(self, actions: list[Action], now: float) -> list[Action]:
        """Frames to send: what may leave now (the rest waits for :meth:`release`)."""
        if not self.on:
            return actions
        self.queue.extend(actions)
        return self.release(now)

    def release(self, now: float) -> list[Action]:
        out: list[Action] = []
        while self.queue:
            a = self.queue[0]
            if isinstance(a, Send):
                if now < max(self.free_at, self.quiet_until):
                    break
                self.free_at = now + spacing(self.airtime(len(a.payload)), True)
            out.append(self.queue.popleft())
        return out

    def wake(self) -> float | None:
        return max(self.free_at, self.quiet_until) if self.queue else None

    def __len__(self) -> int:
        return len(self.queue)
