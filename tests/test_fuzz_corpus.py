"""Every fuzz target (tests/fuzz/targets.py) over its checked-in seed corpus: what the
coverage-guided fuzzer (`make fuzz`) starts from is a regression test of the suite, and a
crashing input it finds, once added to the corpus, stays fixed."""

from __future__ import annotations

import pytest
from fuzz.targets import CORPUS, TARGETS


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_every_seed_of_the_corpus_passes_its_target(name: str) -> None:
    seeds = sorted((CORPUS / name).iterdir())
    assert seeds, f"tests/fuzz_corpus/{name}/ holds no seed"
    for seed in seeds:
        assert seed.stat().st_size <= 4096, f"{seed}: seeds stay small"
        TARGETS[name](seed.read_bytes())


def test_every_target_has_a_corpus_and_no_stray_folder() -> None:
    assert {p.name for p in CORPUS.iterdir()} == set(TARGETS)


def test_make_fuzz_runs_every_target() -> None:
    from pathlib import Path

    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    listed = makefile.split("FUZZ_TARGETS :=")[1].split("\nfuzz:")[0].replace("\\", " ").split()
    assert sorted(listed) == sorted(TARGETS)
