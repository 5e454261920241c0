"""Accuracy on real labelled data: story clustering (BASIL, GoogleNews-TS) and passage reuse
(Clough–Stevenson).

Story clustering runs ``dedup.pipeline.stories`` with its defaults, the same path as
``dedup stories`` (clean, passage links from scan, then ``StoryClusterer``). The defaults
were chosen on the **dev** half of each set (the stories whose id hashes to an even number)
and are reported on the **test** half (the other stories); the full sets are printed too.
Beside them is the baseline a careful user would build: ``TfidfVectorizer`` (sublinear tf,
English stop words, title + text) and average-linkage clustering on cosine distance, with
its distance threshold swept over 0.30–0.99 and the best ARI kept **on the very part it is
compared on** (an oracle-tuned upper bound for that method).

Passage reuse runs ``dedup.pipeline.scan`` with its defaults on all 100 Clough–Stevenson
texts; an answer counts as reuse detected when the pair (answer, its source text) is
reported. ``cut``, ``light`` and ``heavy`` answers are reuse, ``non`` answers are not.
Nothing was tuned on it.

    python benchmarks/quality.py
"""

from __future__ import annotations

import collections
import gzip
import hashlib
import json
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dedup.pipeline import scan, stories
from dedup.types import Record

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
THRESHOLDS = np.round(np.arange(0.30, 1.00, 0.01), 2)


def load(name: str) -> list[dict]:
    with gzip.open(DATA / name / f"{name}.jsonl.gz", "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def part_of(story: str) -> str:
    """``dev`` or ``test``: a fixed split of the stories (never of their articles)."""
    return "dev" if int(hashlib.sha256(story.encode()).hexdigest(), 16) % 2 == 0 else "test"


def bcubed(true: list, pred: list) -> tuple[float, float, float]:
    both = collections.Counter(zip(true, pred))
    in_true, in_pred = collections.Counter(true), collections.Counter(pred)
    precision = sum(both[(t, p)] / in_pred[p] for t, p in zip(true, pred)) / len(true)
    recall = sum(both[(t, p)] / in_true[t] for t, p in zip(true, pred)) / len(true)
    return precision, recall, 2 * precision * recall / (precision + recall)


def pairwise(true: list, pred: list) -> tuple[float, float, float]:
    def pairs(counter):
        return sum(n * (n - 1) / 2 for n in counter.values())

    same_both = pairs(collections.Counter(zip(true, pred)))
    same_pred, same_true = pairs(collections.Counter(pred)), pairs(collections.Counter(true))
    precision = same_both / same_pred if same_pred else 1.0
    recall = same_both / same_true if same_true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def measures(true: list, pred: list) -> dict[str, float]:
    b_p, b_r, b_f = bcubed(true, pred)
    p_p, p_r, p_f = pairwise(true, pred)
    return {
        "ARI": adjusted_rand_score(true, pred),
        "NMI": normalized_mutual_info_score(true, pred),
        "B3 P": b_p,
        "B3 R": b_r,
        "B3 F1": b_f,
        "pair P": p_p,
        "pair R": p_r,
        "pair F1": p_f,
    }


def baseline(rows: list[dict]) -> tuple[float, float]:
    """Best ARI of the tuned baseline on ``rows``, and its threshold."""
    texts = [(row.get("title") or "") + "\n" + row["text"] for row in rows]
    vectors = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)
    distance = 1.0 - (vectors @ vectors.T).toarray()
    np.fill_diagonal(distance, 0.0)
    distance = np.clip((distance + distance.T) / 2, 0.0, 2.0)
    condensed = distance[np.triu_indices(len(rows), k=1)]
    tree = linkage(condensed, method="average")
    true = [row["story"] for row in rows]
    best = max(
        (adjusted_rand_score(true, fcluster(tree, t, criterion="distance")), t) for t in THRESHOLDS
    )
    return best


def story_rows(name: str) -> list[dict]:
    table = []
    rows = load(name)
    for part in ("test", "dev", "full"):
        chosen = rows if part == "full" else [r for r in rows if part_of(str(r["story"])) == part]
        records = [
            Record(str(r["id"]), r["text"], title=r.get("title"), date=r.get("date"))
            for r in chosen
        ]
        start = time.perf_counter()
        result = stories(records)
        seconds = time.perf_counter() - start
        label = {member: s.id for s in result.stories for member in s.members}
        true = [str(r["story"]) for r in chosen]
        pred = [label[str(r["id"])] for r in chosen]
        base_ari, base_threshold = baseline(chosen)
        table.append(
            {
                "set": name,
                "part": part,
                "docs": len(chosen),
                "true stories": len(set(true)),
                "found": len(result.stories),
                **measures(true, pred),
                "baseline ARI": base_ari,
                "baseline threshold": base_threshold,
                "seconds": seconds,
            }
        )
    return table


def reuse_rows() -> list[dict]:
    rows = load("clough-stevenson")
    result = scan([Record(r["id"], r["text"]) for r in rows])
    linked = {(p.a, p.b) for p in result.pairs} | {(p.b, p.a) for p in result.pairs}
    by_category: dict[str, list[bool]] = collections.defaultdict(list)
    for row in rows:
        if row["category"] != "orig":
            by_category[row["category"]].append((row["id"], row["source_id"]) in linked)
    positives = [x for c in ("cut", "light", "heavy") for x in by_category[c]]
    negatives = by_category["non"]
    true_pos, false_pos = sum(positives), sum(negatives)
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 1.0
    recall = true_pos / len(positives)
    f1 = 2 * precision * recall / (precision + recall)
    out = [
        {"what": "reuse vs non-reuse: precision", "value": precision},
        {"what": "reuse vs non-reuse: recall", "value": recall},
        {"what": "reuse vs non-reuse: F1", "value": f1},
    ]
    for category in ("cut", "light", "heavy", "non"):
        found = by_category[category]
        out.append({"what": f"{category}: detected", "value": f"{sum(found)}/{len(found)}"})
    return out


def print_table(rows: list[dict]) -> None:
    columns = list(rows[0])
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        cells = []
        for column in columns:
            value = row[column]
            if isinstance(value, float):
                value = (
                    f"{value:.2f}"
                    if column in ("seconds", "baseline threshold")
                    else (f"{value:.3f}")
                )
            cells.append(str(value))
        print("| " + " | ".join(cells) + " |")
    print()


def main() -> None:
    print(f"command: python benchmarks/{Path(__file__).name}")
    print(f"machine: Python {platform.python_version()}, {datetime.now(timezone.utc):%Y-%m-%d}")
    print()
    print("Story clustering, dedup defaults (chosen on the dev halves) vs the tuned baseline:")
    print()
    table = story_rows("basil") + story_rows("googlenews-ts")
    print_table(table)
    print("Passage reuse on Clough–Stevenson (dedup scan defaults):")
    print()
    print_table(reuse_rows())


if __name__ == "__main__":
    main()
