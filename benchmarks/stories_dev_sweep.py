"""How the story settings move ARI, on dev stories only (``part_of`` in ``quality.py``).

Each row changes one ``StoryClusterer`` parameter from its default and runs ``dedup stories``'
path (clean, passage links from scan, the clusterer) on the dev half of GoogleNews-TS and of
BASIL. It shows how far retuning can go on the data the defaults were chosen on; the test
halves are never read.

    python benchmarks/stories_dev_sweep.py
    python benchmarks/stories_dev_sweep.py --graph mutual   # an idea tried, dev halves only

``--graph mutual`` or ``--graph mean`` runs the defaults once with the neighbour graph made
symmetric another way than the clusterer's (an edge's weight is the larger of its two
directions): ``mutual`` keeps a word edge only where each article is among the other's
nearest neighbours (the smaller of the two directions), ``mean`` takes their mean. Passage
links are kept as they are.
"""

from __future__ import annotations

import argparse
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quality import load, part_of, print_table

import dedup.clustering
from dedup import story_graph
from dedup.config import Config
from dedup.pipeline import stories, story_clusterer
from dedup.types import Record

#: Values tried for each parameter, the default among them.
GRID: dict[str, tuple] = {
    "n_neighbors": (5, 10, 20),
    "similarity_power": (1.5, 2.0, 3.0),
    "min_lift": (2.0, 3.0, 4.0),
    "resolution": (0.5, 1.0, 2.0),
    "min_conductance": (0.02, 0.03, 0.05),
    "ngram_range": ((1, 1), (1, 2)),
    "max_df": (0.1, 0.5, 0.9),
    "window_days": (None, 3.0, 7.0, 14.0),
}


def dev_records(name: str) -> tuple[list[Record], list[str]]:
    rows = [r for r in load(name) if part_of(str(r["story"])) == "dev"]
    records = [
        Record(str(r["id"]), r["text"], title=r.get("title"), date=r.get("date")) for r in rows
    ]
    return records, [str(r["story"]) for r in rows]


def ari(records: list[Record], true: list[str], **params) -> tuple[float, int]:
    clusterer = story_clusterer(Config()).set_params(**params)
    result = stories(records, Config(), clusterer=clusterer)
    label = {member: s.id for s in result.stories for member in s.members}
    return adjusted_rand_score(true, [label[r.id] for r in records]), len(result.stories)


def symmetric_graph(how: str):
    """``weighted_graph`` with the word edges made symmetric by ``how`` (mutual, mean)."""

    def weighted(graph, vectors, days, pairs, *, window_days, min_lift, similarity_power):
        if window_days is not None:
            graph = story_graph.decay_by_date(graph, days, float(window_days))
        graph = story_graph.keep_above_background(graph, vectors, min_lift)
        graph.data **= similarity_power
        graph = graph.minimum(graph.T) if how == "mutual" else (graph + graph.T) / 2
        if pairs is not None and len(pairs):
            ones = np.ones(len(pairs), dtype=np.float32)
            links = sp.csr_matrix((ones, (pairs[:, 0], pairs[:, 1])), shape=graph.shape)
            if window_days is not None:
                links = story_graph.decay_by_date(links, days, float(window_days))
            graph = graph.maximum(links)
        return sp.csr_matrix(graph.maximum(graph.T), dtype=np.float32)

    return weighted


def graph_rows(how: str, sets: dict) -> list[dict]:
    rows = []
    for label, builder in (("max (the clusterer's)", None), (how, symmetric_graph(how))):
        original = dedup.clustering.weighted_graph
        if builder is not None:
            dedup.clustering.weighted_graph = builder
        try:
            row = {"graph": label}
            for name, (records, true) in sets.items():
                row[f"{name} dev ARI"], row[f"{name} dev stories"] = ari(records, true)
        finally:
            dedup.clustering.weighted_graph = original
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graph", choices=("mutual", "mean"), help="the idea tried instead")
    args = parser.parse_args()
    print(f"command: python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}".rstrip())
    print(f"machine: Python {platform.python_version()}, {datetime.now(timezone.utc):%Y-%m-%d}")
    print()
    sets = {name: dev_records(name) for name in ("googlenews-ts", "basil")}
    if args.graph:
        print("The neighbour graph made symmetric two ways, defaults otherwise, dev halves:")
        print()
        print_table(graph_rows(args.graph, sets))
        return
    defaults = story_clusterer(Config()).get_params()
    rows = []
    for parameter, values in GRID.items():
        for value in values:
            row = {"parameter": parameter, "value": str(value)}
            row["default"] = "yes" if value == defaults[parameter] else ""
            for name, (records, true) in sets.items():
                score, found = ari(records, true, **{parameter: value})
                row[f"{name} dev ARI"] = score
                row[f"{name} dev stories"] = found
            rows.append(row)
            print(".", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print("One parameter changed at a time from the defaults, dev halves only:")
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
