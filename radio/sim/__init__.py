"""The virtual Meshtastic radio and the simulated LoRa mesh behind `canopy sim`."""

from __future__ import annotations

from radio.sim.medium import Medium
from radio.sim.packets import Delivery
from radio.sim.runner import SimError, Simulation, run_sim, serve
from radio.sim.topology import (
    SimConfig,
    TopologyError,
    build_config,
    load_topology,
    node_id,
    node_num,
)

__all__ = [
    "Delivery",
    "Medium",
    "SimConfig",
    "SimError",
    "Simulation",
    "TopologyError",
    "build_config",
    "load_topology",
    "node_id",
    "node_num",
    "run_sim",
    "serve",
]
