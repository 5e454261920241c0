"""`dedup clean --drop-duplicates` on Reuters-21578, checked against its exact-duplicate groups.

The data marks 282 groups of 566 documents whose bodies are identical after white-space
normalisation (``exact_dup_group``). This prints what clean removed, how many documents of
those groups it dropped, how many groups kept more than one document (should be none), how
many near-duplicates it dropped beyond them, and the throughput.

    python benchmarks/clean_reuters.py
"""

from __future__ import annotations

import collections
import gzip
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dedup.ingest import read_corpus
from dedup.pipeline import clean

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "reuters21578"


def main() -> None:
    path = DATA / "reuters21578.jsonl.gz"
    corpus = read_corpus([path])
    size = sum(len(r.text.encode()) for r in corpus.records) / 1e6
    start = time.perf_counter()
    result = clean(corpus.records, drop_duplicates=True)
    seconds = time.perf_counter() - start

    groups = collections.defaultdict(list)
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row.get("exact_dup_group") and row["text"].strip():
                groups[row["exact_dup_group"]].append(row["id"])
    kept = {d.record.id for d in result.documents if d.duplicate_of is None}
    in_groups = {i for ids in groups.values() for i in ids}
    dropped = {d.dropped for d in result.duplicates}

    print(f"command: python benchmarks/{Path(__file__).name}")
    print(
        f"input: {len(corpus.records):,} documents with text ({len(corpus.rejects):,} skipped: "
        f"empty), {size:.1f} MB"
    )
    print()
    print("| figure | value |")
    print("|---|---|")
    rows = [
        ("exact-duplicate groups (documents)", f"{len(groups)} ({len(in_groups)})"),
        (
            "groups keeping more than one document",
            sum(1 for ids in groups.values() if sum(i in kept for i in ids) > 1),
        ),
        ("documents of those groups dropped", len(dropped & in_groups)),
        ("near-duplicates dropped beyond them", len(dropped - in_groups)),
        ("documents kept", f"{len(kept):,}"),
        *[
            (f"characters removed: {k.removeprefix('removed:')}", f"{v:,}")
            for k, v in result.counts.items()
            if k.startswith("removed:")
        ],
        ("time (s)", f"{seconds:.1f}"),
        ("throughput (MB/s)", f"{size / seconds:.2f}"),
    ]
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
