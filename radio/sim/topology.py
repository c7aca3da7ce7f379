"""Run configuration of a simulated mesh: nodes, links, preset, region, numbering and keys.

Node i has number 0x5EED0000 + i, id "!5eed00ii" (hex), long name "Sim Node i" and short
name "S{i:02d}" unless a topology file overrides the names. Its X25519 key is derived from
SHA-256("canopy-sim-key" || seed || i), so the same configuration always yields the same keys.
"""

from __future__ import annotations

import hashlib
import json
import math
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from meshtastic.protobuf import config_pb2
from nacl.public import PrivateKey

from hub.mesh import BROADCAST
from radio.sim.airtime import DUTY_CYCLE_WINDOW_S, duty_cycle_percent, preset_params

NODE_NUM_BASE = 0x5EED0000
BROADCAST_NUM = BROADCAST  # the simulator's name for it, kept for its callers
DEFAULT_HOP_LIMIT = 3
MAX_HOP_LIMIT = 7


class TopologyError(ValueError):
    """A run configuration or topology file that cannot describe a mesh."""


def node_num(index: int) -> int:
    """The node number of virtual node `index`."""
    return NODE_NUM_BASE + index


def node_id(num: int) -> str:
    """Meshtastic's text form of a node number, e.g. "!5eed0001"."""
    return f"!{num:08x}"


Span = tuple[float, float]


def _time(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise TopologyError(f"{what}: {value!r} is not a time in seconds")
    return float(value)


def down_spans(raw: object, what: str = "link") -> tuple[Span, ...]:
    """Validated `down` intervals [t0, t1) in simulated seconds, sorted and merged.

    Each is a pair of numbers with 0 <= t0 < t1 (t1 may be math.inf: down for good);
    overlapping or touching intervals are merged. Raises TopologyError otherwise.
    """
    if not isinstance(raw, list | tuple):
        raise TopologyError(f"{what}: down must be a list of [t0, t1] pairs, got {raw!r}")
    spans: list[Span] = []
    for item in raw:
        if not isinstance(item, list | tuple) or len(item) != 2:
            raise TopologyError(f"{what}: down interval {item!r} is not a [t0, t1] pair")
        t0, t1 = _time(item[0], what), _time(item[1], what)
        span = list(item)
        if not 0.0 <= t0 < math.inf:
            raise TopologyError(f"{what}: down interval {span} must start at a finite time >= 0")
        if not t0 < t1:
            raise TopologyError(f"{what}: down interval {span} needs t0 < t1")
        spans.append((t0, t1))
    merged: list[Span] = []
    for t0, t1 in sorted(spans):
        if merged and t0 <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], t1))
        else:
            merged.append((t0, t1))
    return tuple(merged)


@dataclass(frozen=True, slots=True)
class Link:
    """What receiver `dst` gets of what `src` transmits.

    `down`: intervals [t0, t1) of simulated time (seconds since the simulation started)
    during which a transmission started is not heard over this link.
    """

    loss: float = 0.0
    snr: float = 6.0
    rssi: int = -80
    down: tuple[Span, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "down", down_spans(self.down))

    def is_up(self, t: float) -> bool:
        """Whether a transmission started at simulated time `t` can be heard over the link."""
        i = bisect_right(self.down, t, key=lambda span: span[0]) - 1
        return i < 0 or t >= self.down[i][1]


@dataclass(slots=True)
class NodeSpec:
    """One virtual node."""

    index: int
    long_name: str
    short_name: str
    legacy: bool = False
    spoof_as: int | None = None  # index of the node whose number this node claims
    private_key: bytes = b""
    public_key: bytes = b""

    @property
    def num(self) -> int:
        return node_num(self.index)

    @property
    def tx_num(self) -> int:
        """The number this node puts in `from` of what it sends."""
        return node_num(self.spoof_as) if self.spoof_as is not None else self.num

    @property
    def uses_pki(self) -> bool:
        return not self.legacy and self.spoof_as is None


@dataclass(slots=True)
class SimConfig:
    """Everything that determines a simulation run (except ports and the wall clock)."""

    nodes: list[NodeSpec]
    links: dict[tuple[int, int], Link]
    preset: str = "LONG_FAST"
    region: str = "US"
    hop_limit: int = DEFAULT_HOP_LIMIT
    speed: float = 1.0
    seed: int = 0
    duty_cycle_percent: float | None = None
    duty_cycle_window_s: float = DUTY_CYCLE_WINDOW_S
    extra: dict[str, Any] = field(default_factory=dict)

    def link_down(
        self, a: int, b: int, t0: float, t1: float = math.inf, *, directed: bool = False
    ) -> None:
        """Take the link a->b, and b->a unless `directed`, down during [t0, t1).

        Times are simulated seconds since the simulation started; t1 = math.inf keeps it
        down. Adds to the link's earlier intervals. Raises TopologyError for a bad interval
        or when no such link exists.
        """
        pairs = [(a, b)] if directed else [(a, b), (b, a)]
        found = [p for p in pairs if p in self.links]
        if not found:
            raise TopologyError(f"no link {a}->{b} to take down")
        for src, dst in found:
            link = self.links[(src, dst)]
            spans = down_spans([*link.down, (t0, t1)], f"link {src}->{dst}")
            self.links[(src, dst)] = replace(link, down=spans)

    def partition(self, side: Iterable[int], t0: float, t1: float = math.inf) -> None:
        """Cut every link between the nodes in `side` and the rest during [t0, t1)."""
        inside = set(side)
        unknown = inside - set(range(len(self.nodes)))
        if unknown:
            raise TopologyError(f"partition names unknown nodes {sorted(unknown)}")
        for src, dst in list(self.links):
            if (src in inside) != (dst in inside):
                self.link_down(src, dst, t0, t1, directed=True)

    def neighbours(self, src: int) -> list[tuple[int, Link]]:
        """Receivers that hear node `src`, with their links (partitions not considered)."""
        return [(dst, link) for (s, dst), link in self.links.items() if s == src]

    def hops_away(self, src: int) -> dict[int, int]:
        """Hop distance from `src` to every node it can reach (breadth first), on the
        static topology: links that are down for a while still count."""
        dist = {src: 0}
        frontier = [src]
        while frontier:
            nxt: list[int] = []
            for n in frontier:
                for dst, link in self.neighbours(n):
                    if dst not in dist and link.loss < 1.0:
                        dist[dst] = dist[n] + 1
                        nxt.append(dst)
            frontier = nxt
        return dist


def derive_key(seed: int, index: int) -> tuple[bytes, bytes]:
    """Deterministic X25519 (private, public) key pair of node `index` under `seed`."""
    material = b"canopy-sim-key" + seed.to_bytes(8, "big", signed=True) + index.to_bytes(4, "big")
    private = PrivateKey(hashlib.sha256(material).digest())
    return bytes(private), bytes(private.public_key)


def _validate(cfg: SimConfig) -> SimConfig:
    preset_params(cfg.preset)
    regions = set(config_pb2.Config.LoRaConfig.RegionCode.keys())
    if cfg.region.upper() not in regions:
        raise TopologyError(f"unknown region {cfg.region!r}")
    cfg.region = cfg.region.upper()
    cfg.preset = cfg.preset.upper()
    if not 0 <= cfg.hop_limit <= MAX_HOP_LIMIT:
        raise TopologyError("hop_limit must be 0..7")
    if cfg.speed <= 0:
        raise TopologyError("speed must be > 0")
    if cfg.duty_cycle_percent is None:
        cfg.duty_cycle_percent = duty_cycle_percent(cfg.region)
    if cfg.duty_cycle_window_s <= 0:
        raise TopologyError("duty_cycle_window_s must be > 0")
    n = len(cfg.nodes)
    if n < 1:
        raise TopologyError("a mesh needs at least one node")
    for (a, b), link in cfg.links.items():
        if not (0 <= a < n and 0 <= b < n) or a == b:
            raise TopologyError(f"bad link {a}->{b}")
        if not 0.0 <= link.loss <= 1.0:
            raise TopologyError(f"loss of link {a}->{b} must be within 0..1")
    for spec in cfg.nodes:
        if spec.spoof_as is not None and not 0 <= spec.spoof_as < n:
            raise TopologyError(f"node {spec.index} spoofs unknown node {spec.spoof_as}")
        spec.private_key, spec.public_key = derive_key(cfg.seed, spec.index)
    return cfg


def _default_node(i: int) -> NodeSpec:
    return NodeSpec(index=i, long_name=f"Sim Node {i}", short_name=f"S{i:02d}")


def build_config(
    nodes: int,
    topology: str,
    *,
    loss: float = 0.0,
    spoof: dict[int, int] | None = None,
    **options: Any,
) -> SimConfig:
    """Config for a named topology: "chain" (i hears i-1 and i+1) or "full" (all hear all)."""
    if nodes < 1:
        raise TopologyError("--nodes must be >= 1")
    specs = [_default_node(i) for i in range(nodes)]
    for i, j in (spoof or {}).items():
        if not 0 <= i < nodes:
            raise TopologyError(f"spoofing node {i} does not exist")
        specs[i].spoof_as = j
    links: dict[tuple[int, int], Link] = {}
    if topology == "chain":
        pairs = [(i, i + 1) for i in range(nodes - 1)]
    elif topology == "full":
        pairs = [(i, j) for i in range(nodes) for j in range(i + 1, nodes)]
    else:
        raise TopologyError(f"unknown topology {topology!r} (chain, full or a JSON file)")
    for a, b in pairs:
        links[(a, b)] = Link(loss=loss)
        links[(b, a)] = Link(loss=loss)
    settings = {k: v for k, v in options.items() if v is not None}
    return _validate(SimConfig(nodes=specs, links=links, **settings))


def load_topology(path: Path, *, loss: float | None = None, **options: Any) -> SimConfig:
    """Config from a JSON topology file (format in docs/sim.md); raises TopologyError."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise TopologyError(f"cannot read topology file {path}: {e}") from e
    if not isinstance(doc, dict):
        raise TopologyError("topology file must hold a JSON object")
    return config_from_dict(doc, loss=loss, **options)


def config_from_dict(
    doc: dict[str, Any], *, loss: float | None = None, **options: Any
) -> SimConfig:
    """Config from the parsed topology document; CLI `options` override the file."""
    try:
        raw_nodes = doc.get("nodes", [])
        if isinstance(raw_nodes, int):
            raw_nodes = [{} for _ in range(raw_nodes)]
        specs: list[NodeSpec] = []
        for i, item in enumerate(raw_nodes):
            spec = _default_node(i)
            spec.long_name = str(item.get("long_name", spec.long_name))
            spec.short_name = str(item.get("short_name", spec.short_name))[:4]
            spec.legacy = bool(item.get("legacy", False))
            spoof = item.get("spoof")
            spec.spoof_as = None if spoof is None else int(spoof)
            specs.append(spec)
        default_loss = float(doc.get("loss", 0.0)) if loss is None else loss
        links: dict[tuple[int, int], Link] = {}
        for item in doc.get("links", []):
            a, b = int(item["a"]), int(item["b"])
            link = Link(
                loss=float(item.get("loss", default_loss)),
                snr=float(item.get("snr", 6.0)),
                rssi=int(item.get("rssi", -80)),
                down=down_spans(item.get("down", []), f"link {a}-{b}"),
            )
            links[(a, b)] = link
            if not item.get("directed", False):
                links[(b, a)] = link
        settings: dict[str, Any] = {}
        for key in ("preset", "region"):
            if key in doc:
                settings[key] = str(doc[key])
        for key in ("hop_limit", "seed"):
            if key in doc:
                settings[key] = int(doc[key])
        for key in ("speed", "duty_cycle_percent", "duty_cycle_window_s"):
            if key in doc:
                settings[key] = float(doc[key])
    except TopologyError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError) as e:
        raise TopologyError(f"malformed topology: {e}") from e
    settings.update({k: v for k, v in options.items() if v is not None})
    return _validate(SimConfig(nodes=specs, links=links, **settings))
