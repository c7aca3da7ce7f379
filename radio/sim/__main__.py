"""`python -m radio.sim`: the same as `canopy sim`."""

from __future__ import annotations

from radio.sim.cli import sim_cmd

if __name__ == "__main__":
    sim_cmd(prog_name="python -m radio.sim")
