"""One story carried by thousands of outlets (issue #23): peak memory and time of
``dedup scan FILE -o OUT`` on a generated corpus with and without the copies, and on runs of
identical short items, each run a process of its own that reads the file itself.

* **story**: ``--copies`` copies of one 300-word generated story, each with 1–5 words
  substituted, inside ``--others`` generated articles (benchmarks/generate.py), against the
  same articles without the copies.
* **stock**: ``--stock`` counts (10k, 30k, 100k) of one short item ("Markets closed.", its
  spacing varied), beside 1,000 generated articles; linear if the time and memory per item
  stay flat.

Each run is ``python -m dedup scan FILE -o OUT -q -j JOBS`` in a child (``--spill auto``, as
a user runs it); peak memory is the child's ``VmHWM`` (read by a wrapper that execs nothing:
the child runs the CLI in-process and reports its own peak). ``--tree`` runs another
checkout of dedup (for example ``git archive`` of main, for the before figures).

    python benchmarks/generate.py --docs 100000 --seed 0 -o /tmp/gen100k
    python benchmarks/copies.py --corpus /tmp/gen100k --copies 10000 --stock 10000,30000,100000
    python benchmarks/copies.py --corpus /tmp/gen100k --others 2000 --copies 600 --tree /tmp/main
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STORY_WORDS = 300
STOCK_OTHERS = 1000


def read_lines(corpus: Path, n: int) -> list[str]:
    lines = []
    with open(corpus / "corpus.jsonl", encoding="utf-8") as handle:
        for line in handle:
            if len(lines) == n:
                break
            lines.append(line)
    return lines


def story_copies(lines: list[str], copies: int, seed: int) -> list[str]:
    """``copies`` records of one story made from the words of the corpus, each with 1 to 5
    words substituted (ids ``copy-…``, dates spread over a month)."""
    rng = random.Random(seed)
    vocabulary = [w for line in lines[:200] for w in json.loads(line)["text"].split()]
    story = [rng.choice(vocabulary) for _ in range(STORY_WORDS)]
    out = []
    for k in range(copies):
        words = list(story)
        for _ in range(rng.randint(1, 5)):
            words[rng.randrange(len(words))] = rng.choice(vocabulary)
        record = {
            "id": f"copy-{k:07d}",
            "text": " ".join(words),
            "date": f"2016-12-{1 + k % 28:02d}",
        }
        out.append(json.dumps(record) + "\n")
    return out


def stock_items(count: int, text: str) -> list[str]:
    spacing = ["", " ", "  ", "\n"]
    return [
        json.dumps({"id": f"stock-{k:07d}", "text": f"{text}{spacing[k % 4]}"}) + "\n"
        for k in range(count)
    ]


def write(path: Path, lines: list[str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    with open(path / "corpus.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(lines)
    return path / "corpus.jsonl"


def run(tree: Path, corpus: Path, jobs: int, expand: bool) -> dict:
    """``dedup scan`` of ``corpus`` in a child process; its seconds, peak RSS and counts."""
    with tempfile.TemporaryDirectory(dir=corpus.parent) as work:
        out, result = Path(work) / "out", Path(work) / "result.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--child", str(corpus)]
        command += ["--out", str(out), "--result", str(result), "--jobs", str(jobs)]
        command += ["--expand"] if expand else []
        env = {**os.environ, "PYTHONPATH": str(tree)}
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if done.returncode or not result.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return {"error": f"exit {done.returncode}: " + " / ".join(tail)}
        found = json.loads(result.read_text(encoding="utf-8"))
        run_json = json.loads((out / "run.json").read_text(encoding="utf-8"))
        found["counts"] = run_json["counts"]
        found["outputs"] = run_json["outputs"]
        found["pairs_mb"] = (out / "pairs.jsonl").stat().st_size / 1e6
        return found


def child(args: argparse.Namespace) -> None:
    from dedup.cli import main

    start = time.perf_counter()
    command = ["scan", args.child, "-o", args.out, "-q", "-j", str(args.jobs)]
    try:
        main([*command, *(["--expand-pairs"] if args.expand else [])], standalone_mode=False)
    except SystemExit as done:
        if done.code:
            raise
    seconds = time.perf_counter() - start
    with open("/proc/self/status", encoding="ascii") as handle:
        peak = next(int(line.split()[1]) for line in handle if line.startswith("VmHWM:"))
    Path(args.result).write_text(json.dumps({"seconds": seconds, "peak_rss_kb": peak}))


def show(name: str, docs: int, found: dict) -> None:
    if "error" in found:
        print(f"{name:<28} {docs:>9,}  {found['error']}", flush=True)
        return
    counts = found["counts"]
    print(
        f"{name:<28} {docs:>9,} {found['seconds']:>8.1f} s {found['peak_rss_kb'] / 1e6:>6.2f} GB"
        f" {counts['pairs']:>9,} pairs ({found['pairs_mb']:.1f} MB)"
        f" {counts.get('copy_groups', 0):>3} groups"
        f" {counts.get('pairs_implied_by_groups', 0):>12,} implied",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="a benchmarks/generate.py folder")
    parser.add_argument("--others", type=int, default=100_000)
    parser.add_argument("--copies", type=int, default=10_000)
    parser.add_argument("--stock", default="10000,30000,100000")
    parser.add_argument("--stock-text", default="Markets closed.")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--tree", type=Path, default=HERE.parent, help="dedup checkout to run")
    parser.add_argument("--work", type=Path, default=None, help="folder for the corpora")
    parser.add_argument("--expand", action="store_true", help="scan with --expand-pairs")
    parser.add_argument("--skip-story", action="store_true")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="dedup-copies-"))
    commit = subprocess.run(
        ["git", "-C", str(args.tree), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    print(f"$ {' '.join(sys.argv)}", flush=True)
    print(
        f"{time.strftime('%Y-%m-%d %H:%M')}, dedup from {args.tree} ({commit or 'no git'}), "
        f"-j {args.jobs}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, corpora in {work}",
        flush=True,
    )
    figures: dict[str, dict] = {}
    if not args.skip_story:
        others = read_lines(args.corpus, args.others)
        copies = story_copies(others, args.copies, seed=0)
        mixed = sorted(others + copies, key=lambda line: json.loads(line)["id"])
        for name, lines in (("without copies", others), (f"with {args.copies:,} copies", mixed)):
            corpus = write(work / name.replace(" ", "-").replace(",", ""), lines)
            figures[name] = run(args.tree, corpus, args.jobs, args.expand)
            show(name, len(lines), figures[name])
    base = read_lines(args.corpus, STOCK_OTHERS) if args.corpus else []
    for count in [int(c) for c in args.stock.split(",") if c]:
        name = f"stock x {count:,}"
        corpus = write(work / f"stock-{count}", base + stock_items(count, args.stock_text))
        figures[name] = run(args.tree, corpus, args.jobs, args.expand)
        show(name, count + len(base), figures[name])
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
