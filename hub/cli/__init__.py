"""The `canopy` command line."""

from hub.cli.main import main

__all__ = ["main"]
