"""Peak memory and time of a whole scan from a corpus file, beside rensa and datasketch,
each run of each tool a process of its own that reads the file itself.

* **dedup**: ``dedup scan CORPUS -o OUT -q -j N`` as a user runs it (``--spill auto``: a
  corpus whose text passes 256 MB is held on disk), from reading the JSON lines to the
  written files, verification and passages included. ``dedup-memory-jN`` is the same with
  ``--spill never`` (everything in memory), ``dedup-spilled-jN`` with ``--spill always``.
* **rensa** and **datasketch**: a careful user's streaming version, keeping only the sketches:
  the JSON lines are read in batches of 10,000 documents, each batch's word 5-grams
  (``[^\\W_]+`` on the lower-cased text, as in peers.py) sketched with
  ``RMinHash.from_token_sets`` (125 permutations, 25 bands × 5 rows) or ``MinHash.bulk``
  (128 permutations, kept as ``LeanMinHash``) and inserted in ``RMinHashLSH`` or
  ``MinHashLSH(threshold=0.5)``; then every document is queried. Their pairs are candidates,
  not verified; they find no passages.

Every figure is the child's own: wall time from start to exit (for dedup, the command as a
user runs it, reading and writing included; the peers' time includes reading too), and
peak RSS as ``VmHWM`` (getrusage's ``ru_maxrss`` would carry over the parent's peak across
``exec``). Recall and precision use benchmarks/scan_speed.py's ``planted_sets`` and
``passages_found`` against the generated corpus' truth.

    python benchmarks/generate.py --docs 1000000 --seed 0 -o /tmp/gen1m     # about 6 min
    python benchmarks/memory.py --corpus /tmp/gen1m --runs 1 --tools dedup-j2,rensa
    python benchmarks/memory.py --corpus /tmp/gen100k --tools dedup-j1,dedup-j2,dedup-memory-j2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from peers import (  # noqa: E402
    BANDS,
    NUM_PERM,
    ROWS,
    SEED,
    THRESHOLD,
    own_peak_rss_kb,
    pairs_from_neighbours,
    shingles_of,
)

TOOLS = ("dedup-j1", "dedup-j2", "dedup-memory-j2", "rensa", "datasketch-bulk")
PEER_BATCH = 10_000  # documents a peer sketches at a time


# ---------------------------------------------------------------- child side: one tool, one run


def batches(corpus: Path):
    texts: list[str] = []
    with open(corpus, encoding="utf-8") as handle:
        for line in handle:
            texts.append(json.loads(line)["text"])
            if len(texts) == PEER_BATCH:
                yield texts
                texts = []
    if texts:
        yield texts


def run_rensa(corpus: Path) -> list[tuple[int, int]]:
    from rensa import RMinHash, RMinHashLSH

    num_perm = BANDS * ROWS  # rensa needs num_perm divisible by the bands
    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=num_perm, num_bands=BANDS)
    sketches: list = []
    for texts in batches(corpus):
        batch = RMinHash.from_token_sets(
            (shingles_of(t) for t in texts), num_perm=num_perm, seed=SEED
        )
        lsh.insert_many(batch, start_key=len(sketches))
        sketches.extend(batch)
    return sorted(pairs_from_neighbours(enumerate(lsh.query_all(sketches))))


def run_datasketch(corpus: Path) -> list[tuple[int, int]]:
    from datasketch import LeanMinHash, MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    sketches: list = []
    for texts in batches(corpus):
        batch = MinHash.bulk(
            ([s.encode("utf-8") for s in shingles_of(t)] for t in texts),
            num_perm=NUM_PERM,
            seed=SEED,
        )
        for sketch in batch:
            lean = LeanMinHash(sketch)
            lsh.insert(len(sketches), lean)
            sketches.append(lean)
    return sorted(pairs_from_neighbours((doc, lsh.query(s)) for doc, s in enumerate(sketches)))


def child(tool: str, corpus: Path, result: Path, out: Path) -> None:
    start = time.perf_counter()
    found: dict = {}
    if tool.startswith("dedup"):
        from dedup.cli import main

        workers = tool.rsplit("-j", 1)[1]
        spill = "never" if "memory" in tool else "always" if "spilled" in tool else "auto"
        args = ["scan", str(corpus), "-o", str(out), "-q", "-j", workers, "--spill", spill]
        try:
            main(args, standalone_mode=False)
        except SystemExit as done:
            if done.code:
                raise
    elif tool == "rensa":
        found["pairs"] = run_rensa(corpus)
    elif tool == "datasketch-bulk":
        found["pairs"] = run_datasketch(corpus)
    else:
        raise SystemExit(f"unknown tool {tool}")
    found["seconds"] = time.perf_counter() - start
    found["peak_rss_kb"] = own_peak_rss_kb()
    result.write_text(json.dumps(found), encoding="utf-8")


# ---------------------------------------------------------------- parent side


def run_tool(tool: str, corpus: Path, truth: dict, ids: list[str]) -> dict:
    with tempfile.TemporaryDirectory(dir=corpus.parent) as work:
        result, out = Path(work) / "result.json", Path(work) / "out"
        command = [sys.executable, str(Path(__file__).resolve()), "--child", tool]
        command += ["--corpus", str(corpus), "--result", str(result), "--out", str(out)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not result.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return {"error": f"exit {done.returncode}: " + " / ".join(tail)}
        found = json.loads(result.read_text(encoding="utf-8"))
        if tool.startswith("dedup"):
            found.update(dedup_outcome(out, truth, ids))
        else:
            found["pairs"] = [tuple(p) for p in found["pairs"]]
        return found


def dedup_outcome(out: Path, truth: dict, ids: list[str]) -> dict:
    """dedup's pairs (as positions in the file) and which planted passages it found."""
    from scan_speed import passages_found

    from dedup.types import PassageCluster, Witness

    position = {doc_id: k for k, doc_id in enumerate(ids)}
    pairs = []
    with open(out / "pairs.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            pairs.append(tuple(sorted((position[row["a"]], position[row["b"]]))))
    passages = []
    with open(out / "passages.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            witnesses = tuple(Witness(w["doc"], w["start"], w["end"]) for w in row["witnesses"])
            passages.append(PassageCluster(row["id"], "", witnesses))
    found = passages_found(SimpleNamespace(passages=passages), truth)
    return {"pairs": pairs, "passages_found": found}


def read_ids(corpus: Path) -> list[str]:
    with open(corpus, encoding="utf-8") as handle:
        return [json.loads(line)["id"] for line in handle]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="folder written by generate.py")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.corpus, args.result, args.out)
        return

    from scan_speed import planted_sets

    corpus = args.corpus / "corpus.jsonl"
    truth = json.loads((args.corpus / "truth.json").read_text(encoding="utf-8"))
    ids = read_ids(corpus)
    copies, explained, _ = planted_sets(
        SimpleNamespace(records=[SimpleNamespace(id=i) for i in ids], truth=truth)
    )
    megabytes = corpus.stat().st_size / 1e6
    print(f"$ python benchmarks/memory.py {' '.join(sys.argv[1:])}")
    print(f"date {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {commit()}")
    print(f"machine: nproc {os.cpu_count()}, {platform.processor() or platform.machine()}")
    print(f"corpus: {args.corpus}, {len(ids):,} documents, {megabytes:,.1f} MB of JSON lines")
    print()
    print(
        "| tool | runs | median s | MB/s | peak RSS MB | pairs | copies recall "
        "| passages recall | precision |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for tool in args.tools.split(","):
        outcomes = [run_tool(tool, corpus, truth, ids) for _ in range(args.runs)]
        failed = [o["error"] for o in outcomes if "error" in o]
        if failed:
            print(f"| {tool} | failed: {failed[0]} |")
            continue
        seconds = statistics.median(o["seconds"] for o in outcomes)
        peak = max(o["peak_rss_kb"] for o in outcomes) / 1024
        pairs = set(outcomes[0]["pairs"])
        recall = len(pairs & copies) / len(copies)
        precision = len(pairs & explained) / len(pairs) if pairs else 1.0
        found = outcomes[0].get("passages_found")
        passages = f"{sum(found) / len(found):.3f}" if found else "0 (finds none)"
        print(
            f"| {tool} | {args.runs} | {seconds:.1f} | {megabytes / seconds:.1f} | {peak:,.0f} "
            f"| {len(pairs):,} | {recall:.3f} | {passages} | {precision:.3f} |"
        )


def commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "-C", str(HERE), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    )
    return f"dedup {done.stdout.strip()}{' + changes' if dirty.stdout.strip() else ''}"


if __name__ == "__main__":
    main()
