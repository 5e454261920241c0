"""The jobs on one story carried many times over (issue #23): time and peak memory of
``dedup.clean(drop_duplicates=True)`` (``--job clean``), ``dedup.stories`` (``--job
stories``) or ``dedup.chains`` (``--job chains``) for growing numbers of exact copies
(spacing varied) of one 300-word generated story beside 200 generated articles, each run a
process of its own. The first copy is published by a wire agency (outlet ``Reuters``), the
others by an outlet each, dated over four weeks.

Linear if seconds and memory per copy stay flat as the copies grow: the copies form one copy
group, so clean drops each against the earliest without any pair among them, stories fits
the group as one record, and chains hangs each copy from the agency's article without
comparing the copies with one another. ``--edited`` changes 1 to 5 words in each copy (a
near-copy group).

    python benchmarks/copy_jobs.py --job clean --copies 500,2000,8000
    python benchmarks/copy_jobs.py --job clean --copies 200,400 --pairwise  # without groups
    python benchmarks/copy_jobs.py --job stories --copies 500,2000
    python benchmarks/copy_jobs.py --job chains --copies 500,2000,8000 --edited
    python benchmarks/copy_jobs.py --job chains --copies 200,400 --edited --pairwise
    python benchmarks/copy_jobs.py --job clean --copies 500,2000,8000 --edited  # near copies
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


def corpus(copies: int, seed: int = 0, edited: bool = False) -> list[dict]:
    """Rows of ``copies`` copies of one story (with ``edited``, each with 1 to 5 words
    substituted) and ``OTHERS`` other articles."""
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(3000)]
    story = [rng.choice(vocabulary) for _ in range(STORY_WORDS)]
    rows = []
    for i in range(copies):
        words = list(story)
        for _ in range(rng.randint(1, 5) if edited else 0):
            words[rng.randrange(len(words))] = rng.choice(vocabulary)
        text = "".join(word + rng.choice([" ", "  ", "\n"]) for word in words)
        outlet = "Reuters" if i == 0 else f"outlet-{i:06d}"
        date = f"2016-12-{1 + i % 28:02d}"
        rows.append({"id": f"copy-{i:06d}", "text": text, "date": date, "outlet": outlet})
    for i in range(OTHERS):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(100, 400))]
        rows.append({"id": f"other-{i:06d}", "text": " ".join(words), "date": "2016-12-01"})
    return rows


def child(job: str, copies: int, pairwise: bool, edited: bool) -> None:
    import functools

    from dedup import inmemory, jobs
    from dedup.types import Record

    if pairwise:
        jobs.scan = functools.partial(inmemory.scan, group_copies=False)  # type: ignore[assignment]
    rows = corpus(copies, edited=edited)
    records = [Record(r["id"], r["text"], outlet=r.get("outlet"), date=r["date"]) for r in rows]
    start = time.perf_counter()
    if job == "clean":
        done = len(jobs.clean(records, drop_duplicates=True).duplicates)
    elif job == "chains":
        done = jobs.chains(records).counts["edges"]
    else:
        done = jobs.stories(records).counts["stories"]
    seconds = time.perf_counter() - start
    with open("/proc/self/status", encoding="ascii") as handle:
        peak = next(int(line.split()[1]) for line in handle if line.startswith("VmHWM:"))
    found = {"seconds": seconds, "peak_rss_kb": peak, "done": done}
    print(json.dumps(found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--job", choices=["clean", "stories", "chains"], default="clean")
    parser.add_argument("--copies", default="500,2000")
    parser.add_argument("--pairwise", action="store_true", help="scan without copy groups")
    parser.add_argument("--edited", action="store_true", help="1-5 words changed in each copy")
    parser.add_argument("--tree", type=Path, default=HERE.parent, help="dedup checkout to run")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.job, args.child, args.pairwise, args.edited)
        return
    what = {"clean": "dropped", "stories": "stories", "chains": "edges"}[args.job]
    print(f"{'copies':>8} {'seconds':>8} {'peak GB':>8} {what:>8} {'ms/copy':>8}")
    for copies in [int(c) for c in args.copies.split(",")]:
        command = [sys.executable, str(Path(__file__).resolve()), "--child", str(copies)]
        command += ["--job", args.job]
        command += ["--pairwise"] if args.pairwise else []
        command += ["--edited"] if args.edited else []
        env = {**os.environ, "PYTHONPATH": str(args.tree)}
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        found = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{copies:>8,} {found['seconds']:>8.1f} {found['peak_rss_kb'] / 1e6:>8.2f}"
            f" {found['done']:>8,} {1000 * found['seconds'] / copies:>8.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
