"""Errors raised by the radio adapter, split by whose fault they are.

- :class:`RadioInputError`: bad input from us or from outside (a text too long, a node
  number out of range, a malformed radio URL). Retrying the same call will fail again.
- :class:`RadioTransportError`: the link to the radio failed (cable pulled, TCP peer gone,
  the ``meshtastic`` library gave up or called ``sys.exit``). Retrying later may work.
- :class:`RadioBusyError`: the outgoing queue is full; try again once it drains.
"""

from __future__ import annotations


class RadioError(Exception):
    """Root of every error raised by ``radio`` adapter code."""


class RadioInputError(RadioError, ValueError):
    """Invalid input: a message, address or URL that can never be sent as given."""


class RadioTransportError(RadioError):
    """The connection to the radio failed or the radio library gave up."""


class RadioBusyError(RadioError):
    """The outgoing queue is full; nothing was accepted."""
