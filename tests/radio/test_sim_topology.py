"""Run configurations: named topologies, topology files, and what they refuse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from radio.sim import TopologyError, build_config, config_from_dict, load_topology


def test_chain_and_full_links() -> None:
    chain = build_config(4, "chain")
    assert sorted(chain.links) == [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)]
    assert chain.hops_away(0) == {0: 0, 1: 1, 2: 2, 3: 3}
    full = build_config(4, "full")
    assert len(full.links) == 12 and full.hops_away(2) == {2: 0, 0: 1, 1: 1, 3: 1}


def test_file_settings_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    doc = {
        "preset": "LONG_SLOW",
        "region": "eu_868",
        "seed": 5,
        "nodes": [{"long_name": "Hub", "short_name": "HUBXX"}, {"spoof": 0}],
        "links": [{"a": 0, "b": 1, "loss": 0.25}],
    }
    path.write_text(json.dumps(doc))
    cfg = load_topology(path, preset="SHORT_FAST")
    assert (cfg.preset, cfg.region, cfg.seed) == ("SHORT_FAST", "EU_868", 5)
    assert cfg.duty_cycle_percent == 10.0 and cfg.duty_cycle_window_s == 3600.0
    assert (cfg.nodes[0].long_name, cfg.nodes[0].short_name) == ("Hub", "HUBX")
    assert cfg.nodes[1].spoof_as == 0 and not cfg.nodes[1].uses_pki
    assert cfg.links[(1, 0)].loss == 0.25


@pytest.mark.parametrize(
    "doc",
    [
        {"nodes": 0},
        {"nodes": 2, "links": [{"a": 0, "b": 0}]},
        {"nodes": 2, "links": [{"a": 0, "b": 1, "loss": 2}]},
        {"nodes": 2, "links": [{"a": 0}]},
        {"nodes": [{"spoof": 7}]},
        {"nodes": "three"},
        {"nodes": 1, "preset": "HYPER"},
        {"nodes": 1, "region": "ATLANTIS"},
        {"nodes": 1, "hop_limit": 8},
        {"nodes": 1, "duty_cycle_window_s": 0},
    ],
)
def test_bad_topologies_raise(doc: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # TopologyError or UnknownPresetError, both ValueErrors
        config_from_dict(doc)


def test_unreadable_file_raises(tmp_path: Path) -> None:
    with pytest.raises(TopologyError):
        load_topology(tmp_path / "nope.json")
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(TopologyError):
        load_topology(tmp_path / "list.json")
    (tmp_path / "junk.json").write_text("{not json")
    with pytest.raises(TopologyError):
        load_topology(tmp_path / "junk.json")
