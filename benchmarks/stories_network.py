"""Story groups on a simulated wire network: the copies of one Reuters story belong together
(issue #22's held-out kind "simulated wire network").

The corpus is ``benchmarks/syndication_generator.py``'s network (the one
``benchmarks/syndication.py`` scores chains on): per wire story, the wire itself (sometimes
absent), subscribers reprinting it, rewriters embedding a few of its paragraphs among their
own BASIL text, scrapers re-publishing a subscriber's version with scraper debris; and
control articles, unrelated Reuters stories with the same outlet furniture. The truth is
exact: an article's label is the wire story it carries; each control is its own event.

``dedup.pipeline.stories`` (the ``dedup stories`` path, defaults) runs on the corpus, and
its **event** level is scored against that truth: ARI, homogeneity (do the groups hold one
story each: merges lower it) and completeness (is each story in one group: splits lower
it), and the group counts. Beside it, the oracle-tuned baseline of ``quality.py`` (TF-IDF,
average linkage, its threshold chosen on the very corpus it is scored on).

Rules are chosen on the **dev** networks (``--split dev``: Reuters and BASIL texts of the
dev halves, seed 0) and reported on the **test** networks (``--split test``, seeds 1–3).
``--errors`` lists, for each run, the merges and splits by the articles' roles.

    python benchmarks/stories_network.py --split dev --seeds 0 --errors
    python benchmarks/stories_network.py --split test --seeds 1,2,3
"""

from __future__ import annotations

import argparse
import collections
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from quality import baseline, print_table  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    adjusted_rand_score,
    completeness_score,
    homogeneity_score,
)
from syndication_generator import generate_network  # noqa: E402

from dedup.pipeline import stories  # noqa: E402
from dedup.types import Record  # noqa: E402

STORIES = 140  # wire stories per network: about 1,000 articles, as in the held-out set


def truth_labels(truth: dict) -> dict[str, str]:
    """Article id → its label: the wire story it carries; each control alone."""
    out = {}
    for doc, info in truth["articles"].items():
        out[doc] = f"story{info['story']}" if info["story"] >= 0 else f"control-{doc}"
    return out


def network_records(records: list[dict]) -> list[Record]:
    return [
        Record(r["id"], r["text"], title=r.get("title"), date=r.get("date"),
               outlet=r.get("outlet"))
        for r in records
    ]  # fmt: skip


def score_network(split: str, seed: int, stories_count: int = STORIES) -> tuple[dict, dict]:
    """The table row of one network, and what the errors listing needs."""
    records, truth = generate_network(seed, split, stories=stories_count)
    start = time.perf_counter()
    result = stories(network_records(records))
    seconds = time.perf_counter() - start
    label = truth_labels(truth)
    found = {member: event.id for event in result.events for member in event.members}
    ids = [r["id"] for r in records]
    true = [label[doc] for doc in ids]
    pred = [found[doc] for doc in ids]
    rows = [{**r, "story": label[r["id"]]} for r in records]
    base_ari, base_threshold = baseline(rows)
    row = {
        "split": split,
        "seed": seed,
        "docs": len(ids),
        "true groups": len(set(true)),
        "events found": len(set(pred)),
        "ARI": adjusted_rand_score(true, pred),
        "homogeneity": homogeneity_score(true, pred),
        "completeness": completeness_score(true, pred),
        "stories found": len(result.stories),
        "baseline ARI": base_ari,
        "baseline threshold": base_threshold,
        "seconds": seconds,
    }
    return row, {"ids": ids, "true": true, "pred": pred, "truth": truth}


def errors(detail: dict) -> list[dict]:
    """Merges and splits by the roles of the articles involved.

    A *split off* article is one outside its label's main group (the event holding most of the
    label); a *merged* article is one in an event whose main label is another."""
    roles = {doc: info["role"] for doc, info in detail["truth"]["articles"].items()}
    by_label: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    by_event: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for t, p in zip(detail["true"], detail["pred"]):
        by_label[t][p] += 1
        by_event[p][t] += 1
    main_event = {t: c.most_common(1)[0][0] for t, c in by_label.items()}
    main_label = {p: c.most_common(1)[0][0] for p, c in by_event.items()}
    split_roles: collections.Counter = collections.Counter()
    merged_roles: collections.Counter = collections.Counter()
    for doc, t, p in zip(detail["ids"], detail["true"], detail["pred"]):
        if main_event[t] != p:
            split_roles[roles[doc]] += 1
        if main_label[p] != t:
            merged_roles[roles[doc]] += 1
    return [
        {"role": role, "split off": split_roles[role], "merged": merged_roles[role]}
        for role in sorted(set(roles.values()))
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--seeds", default="0", help="comma-separated generator seeds")
    parser.add_argument("--stories", type=int, default=STORIES, help="wire stories per network")
    parser.add_argument("--errors", action="store_true", help="merges and splits by role")
    args = parser.parse_args()
    print(f"command: python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}".rstrip())
    print(f"machine: Python {platform.python_version()}, {datetime.now(timezone.utc):%Y-%m-%d}")
    print()
    table, details = [], []
    for seed in (int(s) for s in args.seeds.split(",") if s):
        row, detail = score_network(args.split, seed, args.stories)
        table.append(row)
        details.append((seed, detail))
    print("Simulated wire networks, dedup stories event level (defaults) vs the tuned baseline:")
    print()
    print_table(table)
    if args.errors:
        for seed, detail in details:
            print(f"Errors by role, {args.split} seed {seed}:")
            print()
            print_table(errors(detail))


if __name__ == "__main__":
    main()
