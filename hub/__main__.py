"""`python -m hub` is the `canopy` command."""

from hub.cli.main import main

main()
