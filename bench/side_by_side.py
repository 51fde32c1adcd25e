"""One benchmark run on this checkout and on another revision at the same time.

This machine's speed swings by up to 1.7× within minutes, so a benchmark run after a change and
again on the code before it compares the machine as much as the code. Run side by side, one
process each, both see the same machine: the benchmarks named here run in one process (the
ranking's one per size, one after another), and the machine has two cores. The revision is
checked out into a temporary worktree and run with this checkout's virtualenv (its code first on
the path), so it must not need other packages.

`python -m bench.side_by_side --against 2d22e9d ranking --sizes 100000`
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import REPO_ROOT

SINGLE_PROCESS = ("ranking", "replay")  # the others start servers and load generators


def revision_label(tree: Path) -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=tree, check=True,
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=tree,
                           check=True, capture_output=True, text=True).stdout.strip()
    return head + (" with uncommitted changes" if dirty else "")


def start(tree: Path, name: str, args: list[str], output: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    with open(output, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", f"bench.{name}", *args], cwd=tree, env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.side_by_side", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", required=True, metavar="REV",
                        help="the git revision to run beside this checkout")
    parser.add_argument("name", choices=SINGLE_PROCESS)
    parser.add_argument("args", nargs=argparse.REMAINDER,
                        help="passed to both runs, e.g. --sizes 100000")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pmo-side-by-side-") as tmp:
        other = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(other),
                        options.against], cwd=REPO_ROOT, check=True)
        try:
            sides = [(f"this checkout ({revision_label(REPO_ROOT)})", REPO_ROOT),
                     (f"{options.against} ({revision_label(other)})", other)]
            outputs = [Path(tmp) / f"{n}.out" for n in range(len(sides))]
            runs = [start(tree, options.name, options.args, output)
                    for (_, tree), output in zip(sides, outputs)]
            codes = [run.wait() for run in runs]
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=REPO_ROOT,
                           check=False)
        for (label, _), output, code in zip(sides, outputs, codes):
            print(f"=== {label} (exit {code})")
            print(output.read_text().rstrip())
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
