"""The virtual Meshtastic radio and the simulated LoRa mesh behind `canopy sim`.

Names are loaded on first use, so the sans-IO pieces (``radio.sim.stream``, the medium's
maths) can be imported without the asyncio servers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from radio.sim.medium import Medium as Medium
    from radio.sim.packets import Delivery as Delivery
    from radio.sim.runner import SimError as SimError
    from radio.sim.runner import Simulation as Simulation
    from radio.sim.runner import run_sim as run_sim
    from radio.sim.runner import serve as serve
    from radio.sim.topology import Link as Link
    from radio.sim.topology import SimConfig as SimConfig
    from radio.sim.topology import TopologyError as TopologyError
    from radio.sim.topology import build_config as build_config
    from radio.sim.topology import load_topology as load_topology
    from radio.sim.topology import node_id as node_id
    from radio.sim.topology import node_num as node_num

__all__ = [
    "Delivery",
    "Link",
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
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "Medium": "radio.sim.medium",
        "Delivery": "radio.sim.packets",
        "SimError": "radio.sim.runner",
        "Simulation": "radio.sim.runner",
        "run_sim": "radio.sim.runner",
        "serve": "radio.sim.runner",
        "Link": "radio.sim.topology",
        "SimConfig": "radio.sim.topology",
        "TopologyError": "radio.sim.topology",
        "build_config": "radio.sim.topology",
        "load_topology": "radio.sim.topology",
        "node_id": "radio.sim.topology",
        "node_num": "radio.sim.topology",
    },
)
