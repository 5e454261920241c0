"""``clean --drop-duplicates`` on one story carried many times over (issue #23): time and
peak memory of ``dedup.clean`` for growing numbers of exact copies (spacing varied) of one
300-word generated story beside 200 generated articles, each run a process of its own.

Linear if seconds and memory per copy stay flat as the copies grow; the copies form one
copy group, so each is dropped against the earliest without any pair among them.

    python benchmarks/clean_copies.py --copies 500,2000
    python benchmarks/clean_copies.py --copies 200 --pairwise   # the pairwise path, to compare
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STORY_WORDS = 300
OTHERS = 200


def corpus(copies: int, seed: int = 0) -> list[dict]:
    """Rows of ``copies`` copies of one story and ``OTHERS`` other articles."""
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(3000)]
    story = [rng.choice(vocabulary) for _ in range(STORY_WORDS)]
    rows = []
    for i in range(copies):
        text = "".join(word + rng.choice([" ", "  ", "\n"]) for word in story)
        rows.append({"id": f"copy-{i:06d}", "text": text, "date": f"2016-12-{1 + i % 28:02d}"})
    for i in range(OTHERS):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(100, 400))]
        rows.append({"id": f"other-{i:06d}", "text": " ".join(words), "date": "2016-12-01"})
    return rows


def child(copies: int, pairwise: bool) -> None:
    import functools

    from dedup import inmemory, jobs
    from dedup.types import Record

    if pairwise:
        jobs.scan = functools.partial(inmemory.scan, group_copies=False)  # type: ignore[assignment]
    records = [Record(r["id"], r["text"], date=r["date"]) for r in corpus(copies)]
    start = time.perf_counter()
    result = jobs.clean(records, drop_duplicates=True)
    seconds = time.perf_counter() - start
    with open("/proc/self/status", encoding="ascii") as handle:
        peak = next(int(line.split()[1]) for line in handle if line.startswith("VmHWM:"))
    found = {"seconds": seconds, "peak_rss_kb": peak, "dropped": len(result.duplicates)}
    print(json.dumps(found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", default="500,2000")
    parser.add_argument("--pairwise", action="store_true", help="scan without copy groups")
    parser.add_argument("--tree", type=Path, default=HERE.parent, help="dedup checkout to run")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.pairwise)
        return
    print(f"{'copies':>8} {'seconds':>8} {'peak GB':>8} {'dropped':>8} {'ms/copy':>8}")
    for copies in [int(c) for c in args.copies.split(",")]:
        command = [sys.executable, str(Path(__file__).resolve()), "--child", str(copies)]
        command += ["--pairwise"] if args.pairwise else []
        env = {**os.environ, "PYTHONPATH": str(args.tree)}
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        found = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{copies:>8,} {found['seconds']:>8.1f} {found['peak_rss_kb'] / 1e6:>8.2f}"
            f" {found['dropped']:>8,} {1000 * found['seconds'] / copies:>8.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
