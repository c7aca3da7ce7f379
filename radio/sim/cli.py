"""`canopy sim`: run a simulated LoRa mesh of virtual Meshtastic nodes until SIGINT/SIGTERM."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from radio.sim.airtime import PRESETS
from radio.sim.runner import SimError, run_sim
from radio.sim.topology import SimConfig, TopologyError, build_config, load_topology


def _parse_spoof(values: tuple[str, ...]) -> dict[int, int]:
    spoof: dict[int, int] = {}
    for value in values:
        try:
            i, j = (int(x) for x in value.split(":"))
        except ValueError as e:
            raise click.BadParameter(f"expected I:J, got {value!r}", param_hint="--spoof") from e
        spoof[i] = j
    return spoof


@click.command("sim")
@click.option("--nodes", "-n", type=int, default=3, show_default=True, help="Number of nodes.")
@click.option(
    "--topology",
    default="chain",
    show_default=True,
    help="chain (i hears i-1 and i+1), full (all hear all) or a JSON topology file.",
)
@click.option("--base-port", type=int, default=4403, show_default=True, help="Node i on P+i.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--preset",
    type=click.Choice(sorted(PRESETS), case_sensitive=False),
    default=None,
    help="Modem preset [default: LONG_FAST].",
)
@click.option("--region", default=None, help="LoRa region, e.g. US, EU_868 [default: US].")
@click.option("--loss", type=click.FloatRange(0.0, 1.0), default=None, help="Loss per link.")
@click.option("--speed", type=float, default=None, help="Simulated time runs K× faster.")
@click.option("--hop-limit", type=click.IntRange(0, 7), default=None, help="Default hop limit.")
@click.option("--seed", type=int, default=None, help="Seed of keys and randomness [default: 0].")
@click.option("--spoof", multiple=True, metavar="I:J", help="Node I claims node J's number.")
@click.option(
    "--stats",
    "stats_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Write statistics JSON here on exit.",
)
@click.option(
    "--reuse-port",
    is_flag=True,
    help="Let a replacement process bind the same ports before this one exits.",
)
@click.option("--log-level", default="WARNING", show_default=True, help="Python log level.")
def sim_cmd(
    nodes: int,
    topology: str,
    base_port: int,
    host: str,
    preset: str | None,
    region: str | None,
    loss: float | None,
    speed: float | None,
    hop_limit: int | None,
    seed: int | None,
    spoof: tuple[str, ...],
    stats_path: Path | None,
    reuse_port: bool,
    log_level: str,
) -> None:
    """Run a simulated LoRa mesh; node i is a Meshtastic TCP node on BASE_PORT+i.

    Prints "ready" once every port listens; runs until SIGINT/SIGTERM.
    """
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    options = {
        "preset": preset.upper() if preset else None,
        "region": region,
        "speed": speed,
        "hop_limit": hop_limit,
        "seed": seed,
    }
    try:
        config: SimConfig
        if topology in ("chain", "full"):
            config = build_config(
                nodes, topology, loss=loss or 0.0, spoof=_parse_spoof(spoof), **options
            )
        else:
            config = load_topology(Path(topology), loss=loss, **options)
            for i, j in _parse_spoof(spoof).items():
                if not 0 <= i < len(config.nodes) or not 0 <= j < len(config.nodes):
                    raise TopologyError(f"--spoof {i}:{j}: no such node")
                config.nodes[i].spoof_as = j
        if not 0 < base_port <= 65535 - len(config.nodes) + 1:
            raise TopologyError("--base-port out of range")
        run_sim(config, base_port, host, stats_path, reuse_port=reuse_port)
    except (TopologyError, SimError, ValueError) as e:
        raise click.ClickException(str(e)) from e
