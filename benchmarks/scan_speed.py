"""Throughput of `dedup scan` beside datasketch on the same shingles, with recall of the truth.

For each corpus (the generated one with planted copies and passages, and Reuters-21578):

* **dedup**: ``dedup.pipeline.scan`` end to end from records in memory (reading files is not
  timed): words, signatures, both candidate indexes, verification and alignment of every
  candidate, passage clusters.
* **datasketch**: ``MinHash.bulk`` over dedup's own 32-bit shingle values (shingling is not
  in its time), then ``MinHashLSH`` with the same bands × rows, insert all and query all:
  candidate document pairs, unverified, no passages.
* **dedup clean**: ``dedup.pipeline.clean(records, drop_duplicates=True)``, for its MB/s.

Times are the median of ``--runs`` runs in this process. MB are UTF-8 bytes of text. The
ratio is dedup's MB/s over datasketch's. Recall is against the planted truth: a planted copy
is found when the pair is reported (dedup) or a candidate (datasketch); a planted passage is
found when some dedup passage cluster overlaps at least half of two of its witnesses
(dedup), or when a pair of its witness documents is a candidate (datasketch). Precision is
the share of reported pairs that the truth explains (a planted copy, two copies of one
document, or two carriers of one planted passage); every dedup pair is verified on the words,
so an unexplained one is text the generator happened to repeat.

    python benchmarks/scan_speed.py [--docs 10000] [--runs 3] [--skip-reuters]
"""

from __future__ import annotations

import argparse
import collections
import gzip
import itertools
import json
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generate import DATA, generate

from dedup.config import Config
from dedup.pipeline import clean, scan, shingle_corpus
from dedup.sketch import shingle_values
from dedup.types import Record


def timed(function, runs: int):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run_datasketch(records: list[Record], config: Config):
    from datasketch import MinHash, MinHashLSH

    shingled = shingle_corpus([r.text for r in records], config.shingle_size)
    values = shingle_values(shingled.shingles)
    ptr = shingled.shingle_ptr
    per_doc = [values[ptr[d] : ptr[d + 1]].tolist() for d in range(len(records))]

    def job():
        sketches = MinHash.bulk(per_doc, num_perm=config.num_perm, seed=config.seed, hashfunc=int)
        lsh = MinHashLSH(num_perm=config.num_perm, params=(config.bands, config.rows))
        for doc, sketch in enumerate(sketches):
            lsh.insert(doc, sketch)
        pairs = set()
        for doc, sketch in enumerate(sketches):
            for other in lsh.query(sketch):
                if other != doc:
                    pairs.add((min(doc, other), max(doc, other)))
        return pairs

    return job


def truth_sets(records: list[Record], truth: dict):
    index = {r.id: k for k, r in enumerate(records)}
    copies = {tuple(sorted((index[p["a"]], index[p["b"]]))) for p in truth["near_duplicates"]}
    family = collections.defaultdict(set)
    for a, b in copies:
        family[a].add(b)
    related = set(copies)
    for base, members in family.items():
        related |= {tuple(sorted(p)) for p in itertools.combinations(members | {base}, 2)}
    passage_pairs = []
    for passage in truth["passages"]:
        docs = sorted(index[w["doc"]] for w in passage["witnesses"])
        pairs = set(itertools.combinations(docs, 2))
        passage_pairs.append(pairs)
        related |= pairs
    return copies, related, passage_pairs


def passage_found(result, passage: dict) -> bool:
    spans = collections.defaultdict(list)
    for cluster in result.passages:
        for w in cluster.witnesses:
            spans[(cluster.id, w.doc)].append((w.start, w.end))
    by_cluster = collections.defaultdict(int)
    for witness in passage["witnesses"]:
        length = witness["end"] - witness["start"]
        for cluster in result.passages:
            for start, end in spans.get((cluster.id, witness["doc"]), []):
                overlap = min(end, witness["end"]) - max(start, witness["start"])
                if overlap >= 0.5 * length:
                    by_cluster[cluster.id] += 1
                    break
    return any(count >= 2 for count in by_cluster.values())


def evaluate(name, records, truth, runs, config, rows):
    size = sum(len(r.text.encode()) for r in records) / 1e6
    seconds, result = timed(lambda: scan(records, config), runs)
    ds_seconds, ds_pairs = timed(run_datasketch(records, config), runs)
    clean_seconds, _ = timed(lambda: clean(records, config, drop_duplicates=True), runs)
    index = {r.id: k for k, r in enumerate(records)}
    ours = {tuple(sorted((index[p.a], index[p.b]))) for p in result.pairs}
    row = {
        "corpus": name,
        "docs": len(records),
        "MB": size,
        "dedup s": seconds,
        "dedup MB/s": size / seconds,
        "dedup docs/s": len(records) / seconds,
        "datasketch s": ds_seconds,
        "datasketch MB/s": size / ds_seconds,
        "ratio": (size / seconds) / (size / ds_seconds),
        "clean MB/s": size / clean_seconds,
        "dedup pairs": len(ours),
        "dedup passages": len(result.passages),
        "datasketch pairs": len(ds_pairs),
    }
    if truth is not None:
        copies, related, passage_pairs = truth_sets(records, truth)
        row["copy recall dedup"] = len(copies & ours) / len(copies)
        row["copy recall datasketch"] = len(copies & ds_pairs) / len(copies)
        found = [passage_found(result, p) for p in truth["passages"]]
        row["passage recall dedup"] = sum(found) / len(found)
        row["passage recall datasketch"] = sum(bool(p & ds_pairs) for p in passage_pairs) / len(
            passage_pairs
        )
        row["pair precision dedup"] = len(ours & related) / max(len(ours), 1)
        row["pair precision datasketch"] = len(ds_pairs & related) / max(len(ds_pairs), 1)
    rows.append(row)


def load_reuters() -> list[Record]:
    records = []
    with gzip.open(DATA / "reuters21578" / "reuters21578.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["text"].strip():
                records.append(Record(row["id"], row["text"], outlet="Reuters", date=row["date"]))
    return records


def print_table(rows: list[dict]) -> None:
    speed = [
        "corpus",
        "docs",
        "MB",
        "dedup s",
        "dedup MB/s",
        "dedup docs/s",
        "datasketch s",
        "datasketch MB/s",
        "ratio",
        "dedup pairs",
        "dedup passages",
        "datasketch pairs",
        "clean MB/s",
    ]
    quality = [
        "corpus",
        "copy recall dedup",
        "copy recall datasketch",
        "passage recall dedup",
        "passage recall datasketch",
        "pair precision dedup",
        "pair precision datasketch",
    ]
    for columns in (speed, quality):
        shown = [r for r in rows if all(c in r for c in columns)]
        if not shown:
            continue
        print("| " + " | ".join(columns) + " |")
        print("|" + "---|" * len(columns))
        for r in shown:
            print("| " + " | ".join(_fmt(r[c]) for c in columns) + " |")
        print()


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-reuters", action="store_true")
    args = parser.parse_args()

    import datasketch

    print(f"command: python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}")
    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}, datasketch {datasketch.__version__}, "
        f"{datetime.now(timezone.utc):%Y-%m-%d}"
    )
    config = Config()
    print(
        f"settings: shingle {config.shingle_size}, {config.num_perm} permutations, "
        f"{config.bands} bands × {config.rows} rows, median of {args.runs} runs, one process"
    )
    print()
    rows: list[dict] = []
    raw, truth = generate(args.docs, args.seed)
    records = [Record(r["id"], r["text"], outlet=r["outlet"], date=r["date"]) for r in raw]
    evaluate(f"generated {args.docs:,}", records, vars(truth), args.runs, config, rows)
    if not args.skip_reuters:
        evaluate("reuters21578", load_reuters(), None, args.runs, config, rows)
    print_table(rows)


if __name__ == "__main__":
    main()
