"""Story clustering as the corpus grows, on dev stories only: the data the defaults were
chosen on (``part_of`` in ``quality.py``), never the test half.

For 25, 50 and 75 % of the dev stories of GoogleNews-TS (8 random draws of stories each, a
fixed seed) and for all of them, and for BASIL dev and BASIL dev + GoogleNews-TS dev together
(snippets and long articles in one corpus), it runs ``dedup stories``' path with its defaults
and prints the mean ARI (and the lowest draw) of

- ``divided``: the stories as ``StoryClusterer`` gives them (communities divided until each
  holds, see ``dedup.communities.split_communities``, then boundary articles placed by their
  stories' centroids, ``dedup.story_refine``),
- ``divided only``: the same division of the same graph and seed without the placing of
  boundary articles (what ``StoryClusterer`` gave before it), and
- ``whole-graph modularity``: the method before it, Leiden modularity (resolution 1.0, the
  same consensus of 5 runs and seed) over the whole graph of the same fit.

    python benchmarks/stories_dev_scale.py
    python benchmarks/stories_dev_scale.py --min-conductance 0.02 --draws 0   # whole dev sets only
    python benchmarks/stories_dev_scale.py --seed 2 --draws 0
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quality import load, part_of

from dedup.communities import consensus_communities, split_communities
from dedup.config import Config
from dedup.pipeline import stories
from dedup.types import Record

FRACTIONS = (0.25, 0.5, 0.75)
DRAWS = 8


def both(rows: list[dict], config: Config) -> tuple[float, float, int, int, float]:
    """ARI of the divided stories and of whole-graph modularity on ``rows``, stories found,
    and the ARI of the division alone (no placing of boundary articles)."""
    # sorted by id, as dedup.pipeline.stories and the clusterer order them: labels_ and
    # graph_ rows then follow this list
    records = sorted(
        (Record(str(r["id"]), r["text"], title=r.get("title"), date=r.get("date")) for r in rows),
        key=lambda r: r.id,
    )
    truth = {str(r["id"]): str(r["story"]) for r in rows}
    true = [truth[r.id] for r in records]
    result = stories(records, config)
    clusterer = result.clusterer
    upper = sp.triu(clusterer.graph_, k=1).tocoo()
    whole = consensus_communities(
        len(records),
        upper.row.astype(np.int64),
        upper.col.astype(np.int64),
        upper.data.astype(np.float64),
        clusterer.resolution,
        clusterer.n_consensus,
        np.random.RandomState(config.seed),
    )
    # the clusterer's first draws from its seed are the division's, so this is its division
    divided = split_communities(
        sp.csr_matrix(clusterer.graph_),
        clusterer.resolution,
        clusterer.min_conductance,
        clusterer.n_consensus,
        np.random.RandomState(config.seed),
    )
    return (
        adjusted_rand_score(true, clusterer.labels_),
        adjusted_rand_score(true, whole),
        clusterer.n_clusters_,
        len(set(whole.tolist())),
        adjusted_rand_score(true, divided),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--min-conductance", type=float, default=Config.story_min_conductance)
    parser.add_argument("--seed", type=int, default=Config.seed)
    parser.add_argument("--draws", type=int, default=DRAWS, help="draws per share of stories")
    args = parser.parse_args()
    config = Config(story_min_conductance=args.min_conductance, seed=args.seed)
    print(f"command: python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}".rstrip())
    print(f"machine: Python {platform.python_version()}, {datetime.now(timezone.utc):%Y-%m-%d}")
    print()
    gnews = [r for r in load("googlenews-ts") if part_of(str(r["story"])) == "dev"]
    basil = [r for r in load("basil") if part_of(str(r["story"])) == "dev"]
    story_ids = sorted({str(r["story"]) for r in gnews})
    rng = np.random.default_rng(2)
    sets: list[tuple[str, list[list[dict]]]] = [("basil dev", [basil])]
    for fraction in FRACTIONS if args.draws else ():
        draws = []
        for _ in range(args.draws):
            chosen = set(
                rng.choice(story_ids, size=round(fraction * len(story_ids)), replace=False)
            )
            draws.append([r for r in gnews if str(r["story"]) in chosen])
        sets.append((f"googlenews-ts dev, {fraction:.0%} of stories", draws))
    sets.append(("googlenews-ts dev", [gnews]))
    both_sets = [{**r, "id": f"b{r['id']}", "story": f"b{r['story']}"} for r in basil] + [
        {**r, "id": f"g{r['id']}", "story": f"g{r['story']}"} for r in gnews
    ]
    sets.append(("basil dev + googlenews-ts dev", [both_sets]))
    print(
        "| set | draws | docs | true stories | divided ARI (lowest) | found "
        "| divided only ARI (lowest) | draws not worse "
        "| whole-graph modularity ARI (lowest) | found | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, draws in sets:
        start = time.perf_counter()
        runs = [both(rows, config) for rows in draws]
        seconds = time.perf_counter() - start
        new, old = np.array([r[0] for r in runs]), np.array([r[1] for r in runs])
        only = np.array([r[4] for r in runs])
        docs = np.mean([len(rows) for rows in draws])
        true = np.mean([len({str(r["story"]) for r in rows}) for rows in draws])
        print(
            f"| {name} | {len(draws)} | {docs:.0f} | {true:.0f} "
            f"| {new.mean():.3f} ({new.min():.3f}) "
            f"| {np.mean([r[2] for r in runs]):.0f} | {only.mean():.3f} ({only.min():.3f}) "
            f"| {int((new >= only).sum())}/{len(runs)} | {old.mean():.3f} ({old.min():.3f}) "
            f"| {np.mean([r[3] for r in runs]):.0f} | {seconds:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
