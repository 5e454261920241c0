"""Before and after in one run: the whole ``dedup stories`` path of two or more work trees on
the same generated corpus, alternating (one run of each tree, then again, …) so that all meet
the same machine load, with the median of the repeats.

Each run is ``stories_scale.py --child N --pipeline`` of that tree, as a process of its own
with the tree on ``PYTHONPATH`` (so peak RSS is that run's alone). The load average before
and after is printed beside the table, since the machine is shared.

    python benchmarks/stories_ab.py BEFORE_TREE AFTER_TREE [MORE_TREES] --docs 10000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path


def one_run(tree: Path, n_docs: int) -> dict:
    """One ``stories_scale.py --child`` of ``tree``: its JSON row."""
    script = tree / "benchmarks" / "stories_scale.py"
    command = [sys.executable, str(script), "--child", str(n_docs), "--pipeline"]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", type=Path, nargs="+", help="work trees, the first the oldest")
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    trees = {str(tree): tree.resolve() for tree in args.trees}
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for tree in trees.values():  # compiled kernels cached before the first timed run
        one_run(tree, 200)
    rows: dict[str, list[dict]] = {name: [] for name in trees}
    for _ in range(args.repeat):
        for name, tree in trees.items():
            rows[name].append(one_run(tree, args.docs))
            print(f"{name}: {rows[name][-1]['seconds']:.1f} s", file=sys.stderr, flush=True)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print("| tree | docs | runs (s) | median s | median peak RSS GB | stories |")
    print("|---|---|---|---|---|---|")
    for name, runs in rows.items():
        seconds = [r["seconds"] for r in runs]
        print(
            f"| {name} | {args.docs:,} | {', '.join(f'{s:.1f}' for s in seconds)} | "
            f"{statistics.median(seconds):.1f} | "
            f"{statistics.median(r['peak RSS GB'] for r in runs):.2f} | "
            f"{runs[0]['stories']:,} |"
        )


if __name__ == "__main__":
    main()
