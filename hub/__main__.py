"""`python -m hub` is the `canopy` command."""

from hub.cli import main

main()
