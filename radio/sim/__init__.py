"""The virtual Meshtastic radio and the simulated LoRa mesh behind `canopy sim`.

Names are loaded on first use, so the sans-IO pieces (``radio.sim.stream``, the medium's
maths) can be imported without the asyncio servers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.lazy import lazy_exports

if TYPE_CHECKING:
    from radio.sim.airtime import UnknownPresetError as UnknownPresetError
    from radio.sim.airtime import duty_cycle_percent as duty_cycle_percent
    from radio.sim.airtime import packet_airtime_s as packet_airtime_s
    from radio.sim.airtime import preset_params as preset_params
    from radio.sim.cli import sim_cmd as sim_cmd
    from radio.sim.medium import Medium as Medium
    from radio.sim.packets import Delivery as Delivery
    from radio.sim.packets import frame_size as frame_size
    from radio.sim.packets import from_num as from_num
    from radio.sim.runner import SimError as SimError
    from radio.sim.runner import Simulation as Simulation
    from radio.sim.runner import run_sim as run_sim
    from radio.sim.runner import serve as serve
    from radio.sim.stream import Frame as Frame
    from radio.sim.stream import FrameDecoder as FrameDecoder
    from radio.sim.stream import FramingError as FramingError
    from radio.sim.stream import encode_frame as encode_frame
    from radio.sim.testing import RunningSim as RunningSim
    from radio.sim.testing import free_port_range as free_port_range
    from radio.sim.testing import running_sim as running_sim
    from radio.sim.topology import BROADCAST_NUM as BROADCAST_NUM
    from radio.sim.topology import Link as Link
    from radio.sim.topology import SimConfig as SimConfig
    from radio.sim.topology import TopologyError as TopologyError
    from radio.sim.topology import build_config as build_config
    from radio.sim.topology import config_from_dict as config_from_dict
    from radio.sim.topology import load_topology as load_topology
    from radio.sim.topology import node_id as node_id
    from radio.sim.topology import node_num as node_num

__all__ = [
    "BROADCAST_NUM",
    "Delivery",
    "Frame",
    "FrameDecoder",
    "FramingError",
    "Link",
    "Medium",
    "RunningSim",
    "SimConfig",
    "SimError",
    "Simulation",
    "TopologyError",
    "UnknownPresetError",
    "build_config",
    "config_from_dict",
    "duty_cycle_percent",
    "encode_frame",
    "frame_size",
    "free_port_range",
    "from_num",
    "load_topology",
    "node_id",
    "node_num",
    "packet_airtime_s",
    "preset_params",
    "run_sim",
    "running_sim",
    "serve",
    "sim_cmd",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "UnknownPresetError": "radio.sim.airtime",
        "duty_cycle_percent": "radio.sim.airtime",
        "packet_airtime_s": "radio.sim.airtime",
        "preset_params": "radio.sim.airtime",
        "sim_cmd": "radio.sim.cli",
        "Medium": "radio.sim.medium",
        "Delivery": "radio.sim.packets",
        "frame_size": "radio.sim.packets",
        "from_num": "radio.sim.packets",
        "SimError": "radio.sim.runner",
        "Simulation": "radio.sim.runner",
        "run_sim": "radio.sim.runner",
        "serve": "radio.sim.runner",
        "Frame": "radio.sim.stream",
        "FrameDecoder": "radio.sim.stream",
        "FramingError": "radio.sim.stream",
        "encode_frame": "radio.sim.stream",
        "RunningSim": "radio.sim.testing",
        "free_port_range": "radio.sim.testing",
        "running_sim": "radio.sim.testing",
        "BROADCAST_NUM": "radio.sim.topology",
        "Link": "radio.sim.topology",
        "SimConfig": "radio.sim.topology",
        "TopologyError": "radio.sim.topology",
        "build_config": "radio.sim.topology",
        "config_from_dict": "radio.sim.topology",
        "load_topology": "radio.sim.topology",
        "node_id": "radio.sim.topology",
        "node_num": "radio.sim.topology",
    },
)
