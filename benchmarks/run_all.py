"""Run every benchmark (``benchmarks/bench_*.py``) in turn; ``make bench`` calls this.

    python benchmarks/run_all.py              # print each benchmark's figures
    python benchmarks/run_all.py --record     # and let each one record them in docs/

Arguments after the script name are passed to every benchmark.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(script), *args], cwd=HERE.parent)
        print(f"== {script.name}: {'ok' if rc == 0 else f'failed ({rc})'} in {time.perf_counter() - t0:.0f}s\n",
              flush=True)
        if rc:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
