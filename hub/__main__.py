"""`python -m hub`: the `canopy` program (:mod:`hub.cli.entry`)."""

from hub.cli.entry import entry

entry()
