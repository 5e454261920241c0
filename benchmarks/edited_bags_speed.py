"""What the sentence-bag route for shuffled words (``min_shuffled_sentences``, issue #20)
costs: ``dedup.pipeline.scan`` of the same records with it off (0) and at 2 (the default),
in turn, ``--runs`` times each in this process (CPU seconds of the process, threads included,
and wall seconds; medians), and the route's own steps on the whole corpus (sentences, then
hits). Also the pairs each scan links, which should be the same on a corpus without shuffled
copies.

    python benchmarks/edited_bags_speed.py --corpus /tmp/dedup-process-bench/gen10000/corpus.jsonl
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import itertools
import json
import os
import statistics
import time

from dedup.bags import bag_hits
from dedup.config import Config
from dedup.pipeline import scan
from dedup.sentences import corpus_sentences
from dedup.shingle import tokenize
from dedup.types import Record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="a JSONL file: id, text")
    parser.add_argument("--docs", type=int, default=10_000, help="its first N documents")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with args.corpus.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in itertools.islice(handle, args.docs)]
    records = [Record(str(r["id"]), r["text"]) for r in rows]
    print(f"command: python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}")
    print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"corpus: {len(records):,} documents")
    scan(records[:200], Config(min_shuffled_sentences=2))  # kernels loaded from the cache
    times: dict[int, list[tuple[float, float]]] = {0: [], 2: []}
    pairs = {}
    for _ in range(args.runs):
        for n in (0, 2):
            wall, cpu = time.perf_counter(), time.process_time()
            result = scan(records, Config(min_shuffled_sentences=n))
            times[n].append((time.process_time() - cpu, time.perf_counter() - wall))
            pairs[n] = len(result.pairs)
    for n, found in times.items():
        cpu = statistics.median(c for c, _ in found)
        wall = statistics.median(w for _, w in found)
        runs = ", ".join(f"{c:.2f}" for c, _ in found)
        print(f"min_shuffled_sentences {n}: CPU {cpu:.2f} s, wall {wall:.2f} s "
              f"(runs: {runs} CPU s); {pairs[n]:,} pairs")  # fmt: skip
    texts = [r.text for r in records]
    tokens = tokenize(texts)
    cpu = time.process_time()
    starts, ptr = corpus_sentences(texts, tokens)
    sentences = time.process_time() - cpu
    hits = bag_hits(tokens.hashes, tokens.ends - tokens.starts, tokens.doc_ptr, starts, ptr)
    print(f"the route alone: sentences {sentences:.2f} CPU s ({len(starts):,}), hits "
          f"{time.process_time() - cpu - sentences:.2f} CPU s ({len(hits):,})")  # fmt: skip


if __name__ == "__main__":
    main()
