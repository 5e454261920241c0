"""Speed and size of the persistent index (``dedup index``).

Builds an index of ``--docs`` generated documents (benchmarks/generate.py) in batches of
``--batch`` through ``dedup.pipeline.index_add`` and reports:

* **add throughput**: documents/s and MB/s (UTF-8 bytes of text / 1e6) over the whole build,
  each batch one transaction;
* **query latency**: ``index_query`` of one new article at a time against the full index,
  p50 and p99 over ``--queries`` articles, half of them planted copies or passage carriers
  of indexed documents (so candidates are found, loaded and aligned), half unrelated;
* **bytes on disk per document**: the index file with its WAL, after a checkpoint.

    python benchmarks/index_speed.py --docs 10000 100000 [--batch 10000] [--queries 200]

1M documents are run only with ``--docs 1000000``: the build took 33 minutes here (498
documents/s, against about 1,500 at 100k), plus about 3 minutes to generate the corpus.

"planted found" counts planted queries with at least one pair; a planted query whose
counterpart is itself a query, or beyond the indexed documents, has nothing to find.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generate import generate

from dedup.pipeline import index_add, index_query
from dedup.store import disk_size
from dedup.types import Record


def measure(n_docs: int, batch: int, n_queries: int, folder: Path) -> dict:
    rows, truth = generate(n_docs + n_queries, seed=0)
    records = [Record(r["id"], r["text"]) for r in rows]
    # queries: documents left out of the index; the planted ones share text with indexed ones
    linked = set()
    for pair in truth.near_duplicates:
        linked.update((pair["a"], pair["b"]))
    for passage in truth.passages:
        linked.update(w["doc"] for w in passage["witnesses"])
    planted = [r for r in records if r.id in linked][: n_queries // 2]
    plain = [r for r in records if r.id not in linked][: n_queries - len(planted)]
    queried = {r.id for r in planted + plain}
    indexed = [r for r in records if r.id not in queried][:n_docs]

    path = folder / f"index-{n_docs}.idx"
    started = time.perf_counter()
    for first in range(0, len(indexed), batch):
        index_add(path, indexed[first : first + batch])
    add_seconds = time.perf_counter() - started
    text_mb = sum(len(r.text.encode("utf-8")) for r in indexed) / 1e6
    connection = sqlite3.connect(str(path))
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    size = disk_size(path)

    latencies, found = [], 0
    for record in planted + plain:
        clock = time.perf_counter()
        result = index_query(path, [record])
        latencies.append(time.perf_counter() - clock)
        found += bool(result.pairs) and record in planted
    latencies_ms = np.array(latencies) * 1000
    return {
        "docs": len(indexed),
        "add_s": add_seconds,
        "docs_per_s": len(indexed) / add_seconds,
        "mb_per_s": text_mb / add_seconds,
        "p50_ms": float(np.percentile(latencies_ms, 50)),
        "p99_ms": float(np.percentile(latencies_ms, 99)),
        "bytes_per_doc": size / len(indexed),
        "text_bytes_per_doc": text_mb * 1e6 / len(indexed),
        "planted_found": f"{found}/{len(planted)}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--dir", type=Path, default=None, help="Where to build the indexes.")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="dedup-index-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"indexes in {folder}; batches of {args.batch:,}; {args.queries} single-article queries")
    header = (
        "| indexed docs | add (s) | docs/s | MB/s | query p50 (ms) | query p99 (ms) "
        "| bytes/doc on disk | text bytes/doc | planted found |"
    )
    print(header)
    print("|---:" * 9 + "|")
    for n_docs in args.docs:
        row = measure(n_docs, args.batch, args.queries, folder)
        print(
            f"| {row['docs']:,} | {row['add_s']:.1f} | {row['docs_per_s']:,.0f} "
            f"| {row['mb_per_s']:.2f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} "
            f"| {row['bytes_per_doc']:,.0f} | {row['text_bytes_per_doc']:,.0f} "
            f"| {row['planted_found']} |",
            flush=True,
        )
    if 1_000_000 not in args.docs:
        print(
            "1M documents not run (about 35 minutes here); run with --docs 1000000 to measure it."
        )


if __name__ == "__main__":
    main()
