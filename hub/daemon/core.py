"""The hub's core for one writer: the log, the state folded from it, local records and ports.

Built cheaply, opened explicitly. The daemon plugs its services into the typed ports
(:mod:`hub.daemon.ports`) when they start; offline (a CLI write under the lock) they stay
``None`` and ops that need them say so. Ops live in :mod:`hub.daemon.ops`, which imports
this module, never the other way round.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from typing import TYPE_CHECKING

from hub.errors import DaemonError, HubError, StoreError
from hub.local import DataDir
from hub.log import HubLog, LoggedEntry, iter_entries

if TYPE_CHECKING:  # loaded on first use: a CLI write under the lock needs none of them
    from tinydb import TinyDB

    from hub.daemon.deliveries import DeliveryStore
    from hub.daemon.ports import MqttPort, RadioPort, StatusPort, SyncPort, WitnessPort
    from hub.daemon.webcodes import WebCodes
    from hub.local import NodeList
    from hub.privacy import PinKeyring
    from hub.state import HubState, Rules


class HubCore:
    """See the module docstring; every attribute is typed, nothing is looked up by name."""

    def __init__(self, datadir: DataDir, clock: Callable[[], float] = _time.time) -> None:
        self.datadir = datadir
        self.clock = clock
        self.log = HubLog(datadir, clock)
        self.radio: RadioPort | None = None
        self.mqtt: MqttPort | None = None
        self.sync: SyncPort | None = None
        self.witness: WitnessPort | None = None
        self.daemon: StatusPort | None = None
        self.online = False  # True inside the running daemon
        self._rules: Rules | None = None
        self._opened = False
        self._web_codes: WebCodes | None = None
        self._db: TinyDB | None = None
        self._state: HubState | None = None
        self._nodes: NodeList | None = None
        self._deliveries: DeliveryStore | None = None
        self._pins: PinKeyring | None = None

    def open(self) -> None:
        """Open the log; the local state file is opened when first needed."""
        from hub.privacy import Sealer

        sealer = Sealer(self.datadir)
        self._pins = sealer.pins
        self.log.prepare = sealer.prepare
        self.log.open()
        self._opened = True

    def close(self) -> None:
        if self._nodes is not None:
            self._nodes.flush()
        self.log.close()
        if self._db is not None:
            self._db.close()
            self._db = None
        self._opened = False

    @property
    def rules(self) -> Rules:
        """The assembly's settings (`canopy run` sets them; defaults otherwise)."""
        if self._rules is None:
            from hub.state import Rules

            self._rules = Rules()
        return self._rules

    @rules.setter
    def rules(self, value: Rules) -> None:
        self._rules = value

    @property
    def db(self) -> TinyDB:
        """The local state file (TinyDB), opened on first use while the core is open."""
        if self._db is None:
            if not self._opened:
                raise DaemonError("hub state is not open")
            from hub.local import open_db

            self._db = open_db(self.datadir.state)
        return self._db

    @property
    def web_codes(self) -> WebCodes:
        """Pending web check-in codes (in memory only), made on first use."""
        if self._web_codes is None:
            from hub.daemon.webcodes import WebCodes

            self._web_codes = WebCodes()
        return self._web_codes

    @property
    def state(self) -> HubState:
        """The hub's state, folded from the log on first use and kept current by a listener.

        The listener is registered before any service's, so a service told about an entry
        reads a state that already holds it.
        """
        if self._state is None:
            own = self.log.own
            if own is None:
                raise StoreError("log is not open")
            from hub.state import HubState

            ident = self.log.identity
            name = ident.name if ident is not None else ""
            self._state = HubState(self.log.feed_hex, name, self.pins, self.pins.learn)
            self._fold_all()
            self.log.listeners.insert(0, self._fold)
        return self._state

    @property
    def pins(self) -> PinKeyring:
        """This hub's pin secrets (hub.privacy): seal enrolments, open peers' pins."""
        if self._pins is None:
            from hub.privacy import PinKeyring

            self._pins = PinKeyring(self.datadir)
        return self._pins

    def _fold_all(self) -> None:
        """Fold every feed; again, from the start, while a fold learns a pin secret that
        opens an enrolment folded before it (once per new secret: they are kept)."""
        state = self._state
        assert state is not None
        learned = state.pins_learned
        self._fold_once()
        while state.pins_learned != learned:
            learned = state.pins_learned
            state.reset()
            self._fold_once()

    def _fold_once(self) -> None:
        state, own = self._state, self.log.own
        assert state is not None and own is not None
        for e in iter_entries(own, self.log.feed_hex):
            state.apply(e)
        for feed in list(state.peers):  # the own feed first: it says whose entries count
            if self.datadir.feed_path(feed).exists():
                for e in iter_entries(self.log.replicas.file(feed), feed):
                    state.apply(e)

    def _fold(self, e: LoggedEntry) -> None:
        """Fold a new entry; a change of federation folds everything again, in place, so
        the running hub counts exactly what a restarted one would."""
        assert self._state is not None
        learned = self._state.pins_learned
        self._state.apply(e)
        if self._state.pins_learned != learned or (
            e.feed == self._state.own and e.body.kind_name in ("peer", "unpeer")
        ):
            self._state.reset()
            self._fold_all()

    def tell_coordinators(self, text: str, who: str) -> None:
        """A direct message to every current coordinator's radio (evidence of a hub showing
        two histories, a rollback); one that can't be sent is logged by ``who`` and skipped."""
        if self.radio is None:
            return
        import logging

        from hub.state import COORDINATOR

        for m in self.state.roster.with_role(COORDINATOR, self.clock()):
            if m.node is not None:
                try:
                    self.radio.send_dm(m.node, text)
                except HubError as e:
                    logging.getLogger(f"canopy.{who}").info(
                        "%s: coordinator %s not told: %s", who, m.handle, e
                    )

    @property
    def nodes(self) -> NodeList:
        """The Meshtastic nodes heard (local bookkeeping), loaded on first use."""
        if self._nodes is None:
            from hub.local import NodeList

            self._nodes = NodeList(self.db, self.clock)
        return self._nodes

    @property
    def deliveries(self) -> DeliveryStore:
        """Alert delivery records (local bookkeeping), loaded on first use."""
        if self._deliveries is None:
            from hub.daemon.deliveries import DeliveryStore

            self._deliveries = DeliveryStore(self.db)
        return self._deliveries
