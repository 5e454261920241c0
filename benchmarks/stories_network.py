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
``--errors`` lists, for each run, the merges and splits by the articles' roles;
``--before`` also runs each network with the rule that loosely tied members leave their
event turned off (``dedup.events.LOOSE_TIE_SHARE`` 0), the figures before it.
``--shares`` sweeps that rule's share on the dev networks and on BASIL's dev half (event
level), the sweep its default was chosen from; it refuses the test split.

    python benchmarks/stories_network.py --split dev --seeds 0,1 --errors --before
    python benchmarks/stories_network.py --split test --seeds 1,2,3 --before
    python benchmarks/stories_network.py --split dev --seeds 0,1 --shares 0,0.01,0.02,0.03,0.05
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

from quality import baseline, load, part_of, print_table  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    adjusted_rand_score,
    completeness_score,
    homogeneity_score,
)
from syndication_generator import generate_network  # noqa: E402

import dedup.events  # noqa: E402
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


def basil_dev_ari() -> float:
    """Event-level ARI of the ``dedup stories`` path on BASIL's dev half."""
    rows = [r for r in load("basil") if part_of(str(r["story"])) == "dev"]
    result = stories(network_records([{**r, "id": str(r["id"])} for r in rows]))
    found = {member: event.id for event in result.events for member in event.members}
    return adjusted_rand_score([str(r["story"]) for r in rows], [found[str(r["id"])] for r in rows])


def sweep(shares: list[float], seeds: list[int], stories_count: int) -> list[dict]:
    """Event-level ARI of each dev network and of BASIL's dev half at each loose-tie share."""
    default = dedup.events.LOOSE_TIE_SHARE
    out = []
    try:
        for share in shares:
            dedup.events.LOOSE_TIE_SHARE = share
            row: dict = {"share": share, "default": "yes" if share == default else ""}
            for seed in seeds:
                row[f"dev network {seed} ARI"] = score_network("dev", seed, stories_count)[0]["ARI"]
            row["basil dev ARI"] = basil_dev_ari()
            out.append(row)
    finally:
        dedup.events.LOOSE_TIE_SHARE = default
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--seeds", default="0", help="comma-separated generator seeds")
    parser.add_argument("--stories", type=int, default=STORIES, help="wire stories per network")
    parser.add_argument("--errors", action="store_true", help="merges and splits by role")
    parser.add_argument("--before", action="store_true", help="also without the loose-tie rule")
    parser.add_argument(
        "--shares", help="comma-separated loose-tie shares to sweep (dev only, with BASIL dev)"
    )
    args = parser.parse_args()
    if args.shares and args.split != "dev":
        parser.error("--shares sweeps on the dev networks only")
    print(f"command: python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}".rstrip())
    print(f"machine: Python {platform.python_version()}, {datetime.now(timezone.utc):%Y-%m-%d}")
    print()
    seeds = [int(s) for s in args.seeds.split(",") if s]
    if args.shares:
        print("Event-level ARI by the loose-tie share, dev networks and BASIL's dev half:")
        print()
        print_table(sweep([float(s) for s in args.shares.split(",")], seeds, args.stories))
        return
    table, details = [], []
    share = dedup.events.LOOSE_TIE_SHARE
    for seed in seeds:
        for rule in ("off", "on") if args.before else ("on",):
            dedup.events.LOOSE_TIE_SHARE = share if rule == "on" else 0.0
            row, detail = score_network(args.split, seed, args.stories)
            table.append({"loose-tie rule": rule, **row} if args.before else row)
            details.append((f"{seed}, rule {rule}", detail))
    dedup.events.LOOSE_TIE_SHARE = share
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
