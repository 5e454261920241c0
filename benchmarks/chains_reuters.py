"""How `dedup chains` decides the copies of Reuters-21578 (one wire agency: no outlet can
order anything, only dates and times can): directed, undirected and dropped edges, and why.

    python benchmarks/chains_reuters.py

Prints a markdown table (docs/accuracy-chains.md) and checks the issue's rule: no directed
edge without evidence that orders it, and no evidence line favouring the other side
without saying it was outweighed.
"""

from __future__ import annotations

import collections
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dedup.config import Config
from dedup.ingest import read_corpus
from dedup.pipeline import chains

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "reuters21578"
ORDERING = ("agency", "date", "outlet")


def main() -> None:
    path = DATA / "reuters21578.jsonl.gz"
    corpus = read_corpus([path])
    start = time.perf_counter()
    result = chains(corpus.records, Config())
    seconds = time.perf_counter() - start
    rows: collections.Counter[str] = collections.Counter()
    unordered_directed = against = 0
    for edge in result.edges:
        if edge.directed:
            kinds = [e.kind for e in edge.evidence if e.favours == edge.source]
            by = next((k for k in ORDERING if k in kinds), None)
            rows[f"directed, ordered by {by or 'nothing'}"] += 1
            unordered_directed += by is None
        else:
            order = next((e.detail for e in edge.evidence if e.kind == "order"), "")
            match = re.match(r"undirected \(([^)]*)\)", order)
            rows[f"undirected, {match.group(1) if match else 'no reason'}"] += 1
        against += sum(
            1
            for e in edge.evidence
            if e.favours not in (None, edge.source) and "outweighed" not in e.detail
        )
    counts = result.counts
    print(f"command: python benchmarks/{Path(__file__).name}")
    print(
        f"input: {len(corpus.records):,} documents; chains in {seconds:.0f} s; "
        f"{counts['reuse_passages']:,} reused passages, "
        f"{counts['boilerplate_passages']:,} boilerplate passages"
    )
    print()
    print("| edges | count |")
    print("|---|---:|")
    for key in sorted(rows):
        print(f"| {key} | {rows[key]:,} |")
    print(f"| inferred common sources (nodes) | {counts['common_sources']:,} |")
    print(
        f"| candidate edges dropped: explained by a closer version (via) | "
        f"{counts['via_dropped']:,} |"
    )
    print()
    print(f"directed edges without evidence that orders them: {unordered_directed}")
    print(f"evidence lines favouring the other side without saying so: {against}")


if __name__ == "__main__":
    main()
