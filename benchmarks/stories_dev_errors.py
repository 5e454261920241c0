"""Where ``dedup stories`` goes wrong on the dev half of GoogleNews-TS (never the test half).

Runs ``dedup stories``' path with its defaults on the dev stories (``part_of`` in
``quality.py``) and prints

- the **merges**: groups found holding 3 or more articles of each of two or more labelled
  stories, with the tie between those stories in the graph (the link weight between their
  articles as a share of the smaller one's whole link weight, the measure of the join rule,
  whose default is 3%);
- the **splits**: labelled stories with 3 or more articles in each of two or more groups,
  with the tie between the largest piece and the rest of its story;
- the **cost** of each: the ARI the run would have if that one story were put right (the
  others taken out of its largest group, or all its articles put in that group, whichever
  scores higher), to read beside the run's ARI.

    python benchmarks/stories_dev_errors.py
"""

from __future__ import annotations

import collections
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

from dedup.pipeline import stories
from dedup.types import Record

#: Articles of a story in a group for it to count in a merge or a split.
MIN_PIECE = 3


def tie(graph: sp.csr_matrix, a: np.ndarray, b: np.ndarray) -> float:
    """Link weight between the articles ``a`` and ``b`` (boolean masks) as a share of the
    smaller one's whole link weight."""
    volume = np.asarray(graph.sum(axis=1)).ravel()
    between = float(graph[a][:, b].sum())
    return between / max(min(volume[a].sum(), volume[b].sum()), 1e-12)


def main() -> None:
    print(f"command: python benchmarks/{Path(__file__).name}")
    print(f"machine: Python {platform.python_version()}, {datetime.now(timezone.utc):%Y-%m-%d}")
    print()
    # sorted by id, as dedup.pipeline.stories orders them: graph_'s rows then follow ``rows``
    rows = sorted(
        (r for r in load("googlenews-ts") if part_of(str(r["story"])) == "dev"),
        key=lambda r: str(r["id"]),
    )
    records = [Record(str(r["id"]), r["text"]) for r in rows]
    result = stories(records)
    found = {m: s.id for s in result.stories for m in s.members}
    graph = sp.csr_matrix(result.clusterer.graph_)
    true = np.array([str(r["story"]) for r in rows])
    pred = np.array([found[r.id] for r in records])
    base = adjusted_rand_score(true, pred)
    pieces = collections.Counter(zip(pred.tolist(), true.tolist()))

    def cost_of(story: str) -> float:
        mine = true == story
        main = collections.Counter(pred[mine].tolist()).most_common(1)[0][0]
        apart = pred.astype(object)
        apart[(pred == main) & ~mine] = "others"
        whole = pred.astype(object)
        whole[mine] = main
        return max(adjusted_rand_score(true, apart), adjusted_rand_score(true, whole))

    merges = []
    for group in sorted(set(pred.tolist())):
        held = sorted(((n, t) for (g, t), n in pieces.items() if g == group), reverse=True)
        held = [(n, t) for n, t in held if n >= MIN_PIECE]
        if len(held) < 2:
            continue
        (_, a), (_, b) = held[0], held[1]
        merges.append({
            "group": group, "stories (articles in it)": ", ".join(f"{t} ({n})" for n, t in held),
            "tie of the two largest": float(tie(graph, true == a, true == b)),
            "ARI with the smaller put right": cost_of(b),
        })  # fmt: skip
    splits = []
    for story in sorted(set(true.tolist())):
        held = sorted(((n, g) for (g, t), n in pieces.items() if t == story), reverse=True)
        held = [(n, g) for n, g in held if n >= MIN_PIECE]
        if len(held) < 2:
            continue
        mine = true == story
        largest = mine & (pred == held[0][1])
        splits.append({
            "story": story, "groups (articles in each)": ", ".join(f"{g} ({n})" for n, g in held),
            "tie of the largest piece to the rest": float(tie(graph, largest, mine & ~largest)),
            "ARI with it put right": cost_of(story),
        })  # fmt: skip
    print(f"GoogleNews-TS dev, dedup defaults: ARI {base:.3f}, {len(set(pred.tolist()))} groups")
    print()
    print("Merges:")
    print()
    print_table(merges)
    print("Splits:")
    print()
    print_table(splits)


if __name__ == "__main__":
    main()
