"""`dedup scan` beside rensa as a user runs them: each tool a whole process, from the JSONL
file on disk to its pairs on disk (start-up, reading, work and writing all timed).

Tools:

* **dedup -j N**: ``python -m dedup scan CORPUS -o OUT -q`` (``-j`` left at its default, and
  ``-j 1`` / ``-j 2``): words, signatures, document LSH, passage keys, verification and
  alignment; it writes ``pairs.jsonl``, ``passages.jsonl``, ``documents.jsonl``,
  ``rejects.jsonl`` and ``run.json``. Its pairs are verified pairs.
* **baseline-j1 / -j2**: the same command run from another checkout of dedup
  (``--baseline FOLDER``, e.g. a worktree of the main branch), to compare before and after in
  one run.
* **rensa**: a script of a few lines (``--child rensa``, run by ``--peers-python``, a venv
  with rensa installed, default ``/work/peers-venv/bin/python``) that reads the same JSONL
  with ``json.loads``, makes the same word 5-gram shingles as benchmarks/peers.py (lower-cased
  ``[^\\W_]+`` words), builds ``RMinHash.from_token_sets`` with 125 permutations, inserts them
  in an ``RMinHashLSH`` of 25 bands × 5 rows, ``query_all`` and writes the candidate pairs
  (``{"a", "b"}`` JSON lines, sorted). It does no verification, so it does less work than
  dedup.

Runs go round the tools in turn (run 1 of every tool, then run 2, …), each round starting one
tool further on, so a load that comes and goes on a shared machine falls on all of them and
no tool always follows the same one; the table gives the median wall time of
the runs, the median CPU time (user + system of the process and its threads), the highest
peak RSS, dedup's speed as a multiple of rensa's from the same round of runs, and rensa's CPU
time over dedup's (less swayed by other processes on the machine than wall time). Before the
timed runs, every tool runs once untimed on the first 200 documents (dedup's kernels are
then loaded from numba's cache, as on any run after the first). The children run with
``PYTHONDONTWRITEBYTECODE`` unset, so their modules load from ``__pycache__`` as a user's
do, not compiled from source at every start.

The corpus is benchmarks/generate.py's, written once into ``--work`` (``genN/corpus.jsonl``).

    python benchmarks/process.py --docs 10000,100000 --runs 3 [--tools dedup-j1,rensa]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORD = re.compile(r"[^\W_]+")
SHINGLE_WORDS = 5
BANDS, ROWS = 25, 5
SEED = 1
THRESHOLD = 0.5
PEERS_PYTHON = "/work/peers-venv/bin/python"
WARM_UP_DOCS = 200
TOOLS = ("dedup", "dedup-j1", "dedup-j2", "baseline-j1", "baseline-j2", "rensa")
LABELS = {
    "dedup": "dedup scan (default -j)",
    "dedup-j1": "dedup scan -j 1",
    "dedup-j2": "dedup scan -j 2",
    "baseline-j1": "baseline dedup scan -j 1",
    "baseline-j2": "baseline dedup scan -j 2",
    "rensa": "rensa RMinHash + RMinHashLSH",
}


# ---------------------------------------------------------------- child side: rensa


def shingles_of(text: str) -> list[str]:
    """Word 5-grams of ``text`` (a text shorter than 5 words is one shingle, as in dedup)."""
    words = WORD.findall(text.lower())
    if len(words) < SHINGLE_WORDS:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)]


def rensa_child(corpus: Path, out: Path) -> None:
    from rensa import RMinHash, RMinHashLSH

    ids, texts = [], []
    with open(corpus, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            ids.append(str(row["id"]))
            texts.append(row["text"])
    num_perm = BANDS * ROWS  # rensa needs num_perm divisible by the bands
    sketches = RMinHash.from_token_sets(
        (shingles_of(t) for t in texts), num_perm=num_perm, seed=SEED
    )
    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=num_perm, num_bands=BANDS)
    lsh.insert_many(sketches, start_key=0)
    pairs = set()
    for doc, others in enumerate(lsh.query_all(sketches)):
        for other in others:
            if other != doc:
                pairs.add((min(doc, other), max(doc, other)))
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "pairs.jsonl", "w", encoding="utf-8") as handle:
        for a, b in sorted(pairs):
            handle.write(json.dumps({"a": ids[a], "b": ids[b]}) + "\n")


# ---------------------------------------------------------------- parent side


def command(tool: str, corpus: Path, out: Path, peers_python: str) -> list[str]:
    """The command line of one run of ``tool``."""
    if tool == "rensa":
        script = str(Path(__file__).resolve())
        return [peers_python, script, "--child", "rensa", "--input", str(corpus), "--out", str(out)]
    jobs = [] if tool == "dedup" else ["-j", tool[-1]]
    return [sys.executable, "-m", "dedup", "scan", str(corpus), "-o", str(out), "-q", *jobs]


def run_once(tool: str, corpus: Path, out: Path, peers_python: str, baseline: Path | None) -> dict:
    """One process, timed from its start to its exit; its own CPU time and peak RSS."""
    shutil.rmtree(out, ignore_errors=True)
    checkout = baseline if tool.startswith("baseline") and baseline else ROOT
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    env.pop("DEDUP_FAULT", None)
    # as a user's Python runs: modules compiled once to __pycache__, not on every start
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    # run from the checkout: ``python -m`` puts the working folder first on the path
    child = subprocess.Popen(command(tool, corpus, out, peers_python), env=env, cwd=checkout)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{tool} failed on {corpus} (exit {os.waitstatus_to_exitcode(status)})")
    with open(out / "pairs.jsonl", encoding="utf-8") as handle:
        pairs = sum(1 for _ in handle)
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
        "pairs": pairs,
    }


def rotated(tools: list[str], round_number: int) -> list[str]:
    """The tools in the order of round ``round_number``: each round starts one tool further
    on, so that what the process before leaves behind (memory the kernel is still
    reclaiming, say) does not always fall on the same tool."""
    shift = round_number % len(tools)
    return tools[shift:] + tools[:shift]


def corpus_of(docs: int, work: Path) -> Path:
    """benchmarks/generate.py's corpus of ``docs`` documents (seed 0), generated once."""
    folder = work / f"gen{docs}"
    if not (folder / "corpus.jsonl").exists():
        generate = Path(__file__).resolve().parent / "generate.py"
        subprocess.run(
            [sys.executable, str(generate), "--docs", str(docs), "--seed", "0", "-o", str(folder)],
            check=True,
        )
    return folder / "corpus.jsonl"


def head(corpus: Path, lines: int, target: Path) -> Path:
    with open(corpus, encoding="utf-8") as source, open(target, "w", encoding="utf-8") as sink:
        for _, line in zip(range(lines), source):
            sink.write(line)
    return target


def table(docs: int, size_mb: float, tools: list[str], runs: dict[str, list[dict]]) -> str:
    """A markdown table: medians of the runs, and dedup's speed over rensa's."""
    rows = [
        f"**{docs:,} articles, {size_mb:,.0f} MB**",
        "",
        "| tool | wall s (median) | CPU s (median) | CPU ÷ wall | peak RSS MB | pairs "
        "| speed ÷ rensa (median of the rounds) | rensa's CPU s ÷ this CPU s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for tool in tools:
        timed = runs[tool]
        wall = statistics.median(r["wall"] for r in timed)
        cpu = statistics.median(r["cpu"] for r in timed)
        ratio = cpu_ratio = "–"
        if tool != "rensa" and "rensa" in runs:
            per_round = [p["wall"] / r["wall"] for r, p in zip(timed, runs["rensa"])]
            ratio = f"{statistics.median(per_round):.2f}×"
            cpu_ratio = f"{statistics.median(r['cpu'] for r in runs['rensa']) / cpu:.2f}×"
        rows.append(
            f"| {LABELS[tool]} | {wall:.2f} | {cpu:.2f} | {cpu / wall:.2f} "
            f"| {max(r['rss_mb'] for r in timed):,.0f} | {timed[0]['pairs']:,} "
            f"| {ratio} | {cpu_ratio} |"
        )
    for one, two in (("dedup-j1", "dedup-j2"), ("baseline-j1", "baseline-j2")):
        if {one, two} <= set(runs):
            speedup = statistics.median(a["wall"] / b["wall"] for a, b in zip(runs[one], runs[two]))
            rows += [
                "",
                f"{one.split('-')[0]}: -j 1 → -j 2 speed-up (median of the rounds) {speedup:.2f}×",
            ]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", default="10000,100000", help="comma-separated corpus sizes")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset")
    parser.add_argument("--peers-python", default=PEERS_PYTHON, help="python of rensa's venv")
    parser.add_argument("--work", type=Path, default=Path("/tmp/dedup-process-bench"))
    parser.add_argument("--baseline", type=Path, help="another checkout, for the baseline tools")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "rensa":
        rensa_child(args.input, args.out)
        return

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from scan_speed import provenance

    tools = [t for t in args.tools.split(",") if t]
    unknown = sorted(set(tools) - set(TOOLS))
    if unknown:
        parser.error(f"unknown tools {unknown}; choose from {', '.join(TOOLS)}")
    if any(t.startswith("baseline") for t in tools) and not args.baseline:
        parser.error("the baseline tools need --baseline")
    print(provenance(sys.argv[1:], Path(__file__).name))
    print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    args.work.mkdir(parents=True, exist_ok=True)
    for docs in (int(d) for d in args.docs.split(",")):
        corpus = corpus_of(docs, args.work)
        warm = head(corpus, WARM_UP_DOCS, args.work / "warm-up.jsonl")
        for tool in tools:
            run_once(tool, warm, args.work / f"out-{tool}", args.peers_python, args.baseline)
        runs: dict[str, list[dict]] = {tool: [] for tool in tools}
        for round_number in range(args.runs):
            for tool in rotated(tools, round_number):
                out = args.work / f"out-{tool}"
                runs[tool].append(run_once(tool, corpus, out, args.peers_python, args.baseline))
        size_mb = corpus.stat().st_size / 1e6
        print(table(docs, size_mb, tools, runs))
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n", flush=True)


if __name__ == "__main__":
    main()
