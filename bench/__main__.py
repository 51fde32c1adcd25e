"""`make bench`: every benchmark, one after the other (see docs/benchmarks.md)."""

from __future__ import annotations

import subprocess
import sys

# About 15 minutes on 2 cores; each also runs alone (python -m bench.<name> --help).
RUNS = (["bench.write_path", "--postgres"], ["bench.freshness"], ["bench.ranking"],
        ["bench.replay"], ["bench.startup"])

if __name__ == "__main__":
    failed = [run[0] for run in RUNS if subprocess.run([sys.executable, "-m", *run]).returncode]
    sys.exit(f"failed: {', '.join(failed)}" if failed else 0)
