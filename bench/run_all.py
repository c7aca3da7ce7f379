"""Run every benchmark in bench/ in turn and report which met their budgets.

make bench        (or: .venv/bin/python bench/run_all.py [NAME ...])
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    wanted = set(sys.argv[1:])
    scripts = sorted(p for p in HERE.glob("bench_*.py") if not wanted or p.stem in wanted)
    failed = []
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        if code != 0:
            failed.append(script.stem)
    print("\nall budgets met" if not failed else f"\nover budget or failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
