"""`make bench`: every benchmark, one after the other (see docs/benchmarks.md)."""

from __future__ import annotations

import argparse
import subprocess
import sys

# About 15 minutes on 2 cores; each also runs alone (python -m bench.<name> --help).
RUNS = {"write_path": ["--postgres"], "freshness": [], "ranking": [], "replay": [], "startup": []}

if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Runs the benchmarks one after the other, each "
        "beside its baseline from the same run; `python -m bench.<name> --help` for one alone.")
    parser.add_argument("names", nargs="*", metavar="name",
                        help=f"only these, of {', '.join(RUNS)} (default: all)")
    chosen = parser.parse_args().names or list(RUNS)
    unknown = [name for name in chosen if name not in RUNS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(RUNS)}")
    failed = [name for name in chosen
              if subprocess.run([sys.executable, "-m", f"bench.{name}", *RUNS[name]]).returncode]
    sys.exit(f"failed: {', '.join(failed)}" if failed else 0)
