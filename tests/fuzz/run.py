"""`python tests/fuzz/run.py TARGET [SECONDS]`: fuzz one target of tests/fuzz/targets.py with
atheris (libFuzzer, coverage-guided) for SECONDS (default 60), starting from its checked-in
seeds in tests/fuzz_corpus/TARGET/. What it learns goes to build/fuzz/TARGET/, never into the
checked-in corpus; a crash is written to build/fuzz/crash-TARGET-* and exits non-zero.

The hub's own modules are instrumented for coverage; the libraries under them are not."""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import atheris
except ImportError:  # pyproject.toml installs it on x86-64 Linux only
    sys.exit("tests/fuzz/run.py needs atheris (pip install atheris; x86-64 Linux wheels)")

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "stewards")]


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    name, seconds = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 60
    with atheris.instrument_imports(include=["hub", "radio", "crypto"]):
        from fuzz import targets

        # the hub's packages load their modules lazily: one empty input to each target
        # imports them here, instrumented, rather than at the first input, not
        for each in targets.TARGETS.values():
            each(b"")
    if name not in targets.TARGETS:
        print(f"unknown target {name!r}; one of: {', '.join(targets.TARGETS)}", file=sys.stderr)
        return 2
    target = targets.TARGETS[name]
    work = ROOT / "build" / "fuzz" / name
    work.mkdir(parents=True, exist_ok=True)
    seeds = targets.CORPUS / name
    args = [
        sys.argv[0],
        str(work),
        str(seeds),
        f"-max_total_time={seconds}",
        "-max_len=1024",
        "-rss_limit_mb=1024",
        f"-artifact_prefix={work.parent}/crash-{name}-",
        "-print_final_stats=1",
    ]
    atheris.Setup(args, target)
    atheris.Fuzz()  # exits the process: 0 when the time is up, non-zero on a crash
    return 0


if __name__ == "__main__":
    sys.exit(main())
