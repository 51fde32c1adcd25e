"""One benchmark on this checkout and on another revision, in turns: A B B A, round after round.

This machine's speed swings by up to 1.7× within minutes, so a benchmark run after a change and
once on the code before it compares the machine as much as the code. In turns, ABBA, a steady
drift weighs on both sides alike. (Running the two at once, one process per core, was tried and
dropped: the same revision on both sides gave medians 50% apart, one side's bulk load slowing
the other's timed events.) The revision is checked out into a temporary worktree and run with
this checkout's virtualenv, its own code first on the path, so it must not need other packages;
the arguments go to both sides, so both must know them.

`python -m bench.compare --against 2d22e9d ranking --sizes 100000`
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import REPO_ROOT

BENCHMARKS = ("write_path", "freshness", "ranking", "replay", "startup")


def revision_label(tree: Path) -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=tree, check=True,
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=tree,
                           check=True, capture_output=True, text=True).stdout.strip()
    return head + (" with uncommitted changes" if dirty else "")


def run(tree: Path, name: str, args: list[str]) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-m", f"bench.{name}", *args], cwd=tree, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return done.returncode, done.stdout.rstrip()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", required=True, metavar="REV",
                        help="the git revision to run beside this checkout")
    parser.add_argument("--rounds", type=int, default=1, choices=range(1, 11), metavar="1..10",
                        help="ABBA rounds: each side runs twice a round (default 1)")
    parser.add_argument("name", choices=BENCHMARKS)
    parser.add_argument("args", nargs=argparse.REMAINDER,
                        help="passed to both sides, e.g. --sizes 100000")
    options = parser.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="pmo-compare-") as tmp:
        other = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(other),
                        options.against], cwd=REPO_ROOT, check=True)
        try:
            a = (f"A: this checkout ({revision_label(REPO_ROOT)})", REPO_ROOT)
            b = (f"B: {options.against} ({revision_label(other)})", other)
            for round_number in range(1, options.rounds + 1):
                for label, tree in (a, b, b, a):
                    code, output = run(tree, options.name, options.args)
                    failed = failed or code
                    print(f"=== round {round_number}, {label} (exit {code})\n{output}", flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=REPO_ROOT,
                           check=False)
    return failed


if __name__ == "__main__":
    sys.exit(main())
