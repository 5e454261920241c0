"""How `dedup chains` decides the copies of Reuters-21578 (one wire agency: no outlet can
order anything, only dates and times can): directed, undirected and dropped edges, and why.

    python benchmarks/chains_reuters.py [--compare]

Prints a markdown table (docs/accuracy-chains.md) and checks the issue's rule: no directed
edge without evidence that orders it, and no evidence line favouring the other side
without saying it was outweighed.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dedup.config import Config
from dedup.ingest import read_corpus
from dedup.pipeline import chains, scan, stories

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "reuters21578"
ORDERING = ("agency", "date", "outlet")


def ancestors(parent: dict[str, str], doc: str) -> set[str]:
    """Every document above ``doc`` along directed edges."""
    found: set[str] = set()
    while doc in parent and parent[doc] not in found:
        doc = parent[doc]
        found.add(doc)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--compare", action="store_true", help="also time scan and stories on the same input"
    )
    args = parser.parse_args()
    path = DATA / "reuters21578.jsonl.gz"
    corpus = read_corpus([path])
    start = time.perf_counter()
    result = chains(corpus.records, Config())
    seconds = time.perf_counter() - start
    parent = {e.target: e.source for e in result.edges if e.directed}
    dropped: collections.Counter[str] = collections.Counter()
    for edge in result.edges:
        for item in edge.evidence:
            match = re.match(r"(\S+) → (\S+) dropped", item.detail) if item.kind == "via" else None
            if match:
                above = match.group(1) in ancestors(parent, match.group(2))
                dropped["transitive" if above else "not an ancestor"] += 1
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
    print(f"command: python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}".rstrip())
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
        f"| candidate edges dropped as transitive (via: the source's own ancestor) | "
        f"{dropped['transitive']:,} |"
    )
    print(
        f"| candidate edges dropped, explained by the source but not its ancestor (a sibling "
        f"or a copy of it) | {dropped['not an ancestor']:,} |"
    )
    print()
    print(f"directed edges without evidence that orders them: {unordered_directed}")
    print(f"evidence lines favouring the other side without saying so: {against}")
    if args.compare:
        start = time.perf_counter()
        scan(corpus.records, Config())
        scan_seconds = time.perf_counter() - start
        start = time.perf_counter()
        stories(corpus.records, Config())
        stories_seconds = time.perf_counter() - start
        print(
            f"seconds, one worker: chains {seconds:.0f}, scan {scan_seconds:.0f}, "
            f"stories {stories_seconds:.0f}"
        )


if __name__ == "__main__":
    main()
