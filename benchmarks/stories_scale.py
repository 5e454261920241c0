"""Story clustering at scale: time and peak memory of ``StoryClusterer`` at 10k and 100k
articles on the generated corpus (``generate.py``), and of the whole ``dedup stories`` path
(clean, scan links, clustering) where asked.

Each size runs in its own process, so peak RSS is that size's alone. The generated
documents are random draws of real news words (no real stories), which is the hard case
for neighbour search: every document is a little similar to every other. As a check that
the clustering still means something there, the table gives the share of planted
near-duplicate copies (1–10 % of words edited) that land in the story of their original.

    python benchmarks/stories_scale.py                       # 10k and 100k, clusterer only
    python benchmarks/stories_scale.py --docs 10000 --pipeline
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def child(n_docs: int, pipeline: bool) -> dict:
    from generate import generate

    from dedup.pipeline import stories
    from dedup.stories import StoryClusterer
    from dedup.types import Record

    rows, truth = generate(n_docs, 0)
    records = [Record(r["id"], r["text"], outlet=r["outlet"], date=r["date"]) for r in rows]
    megabytes = sum(len(r.text.encode("utf-8")) for r in records) / 1e6
    start = time.perf_counter()
    if pipeline:
        result = stories(records)
        labels = {m: s.id for s in result.stories for m in s.members}
        n_stories = len(result.stories)
    else:
        clusterer = StoryClusterer().fit(records)
        labels = {r.id: int(label) for r, label in zip(records, clusterer.labels_)}
        n_stories = clusterer.n_clusters_
    seconds = time.perf_counter() - start
    copies = truth.to_dict()["near_duplicates"]
    together = sum(labels[c["a"]] == labels[c["b"]] for c in copies)
    return {
        "docs": n_docs,
        "MB": megabytes,
        "what": "dedup stories (clean + scan links + clusterer)"
        if pipeline
        else "StoryClusterer.fit",
        "seconds": seconds,
        "docs/s": n_docs / seconds,
        "peak RSS GB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
        "stories": n_stories,
        "copies with their original": f"{together}/{len(copies)}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--pipeline", action="store_true", help="time the whole stories path")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.pipeline)))
        return
    import sklearn
    from scan_speed import provenance

    print(provenance(sys.argv[1:], Path(__file__).name))
    print(f"stories: scikit-learn {sklearn.__version__}")
    print()
    print(
        "| docs | MB | what is timed | seconds | docs/s | peak RSS GB | stories | "
        "planted copies in their original's story |"
    )
    print("|---|---|---|---|---|---|---|---|")
    rows = []
    for n_docs in args.docs:
        command = [sys.executable, __file__, "--child", str(n_docs)]
        if args.pipeline:
            command.append("--pipeline")
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        row = rows[-1]
        print(
            f"| {row['docs']:,} | {row['MB']:.0f} | {row['what']} | {row['seconds']:.1f} | "
            f"{row['docs/s']:,.0f} | {row['peak RSS GB']:.2f} | {row['stories']:,} | "
            f"{row['copies with their original']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
