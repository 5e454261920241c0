"""Daily placement against the batch run (issue #22, "daily use").

For each labelled set, the same articles are grouped twice:

* **batch**: ``dedup.pipeline.stories`` on all of them at once (the ``dedup stories`` path);
* **daily**: an index that keeps stories (``Index(..., keep_stories=True)``), the articles
  added in ``--days`` consecutive batches: the first batch is grouped by the batch path (the
  fit), each later one placed (``dedup.placement``), refitting the vocabulary when the index
  has doubled.

BASIL and Reuters-21578 are added in date order (sorted by date, then id, cut into equal
batches). Reuters-21578 has no story labels: it is taken whole (its articles with words)
whatever ``--split``, and only the agreement between batch and daily is printed for it.
GoogleNews-TS has no dates in our copy, so its articles are shuffled with a fixed seed
(``--seed``) and cut into equal batches; that is said in the output.

Printed per set: the ARI between the batch and the daily groups (event and story level),
the ARI of each against the labels (the labels are events), the seconds of the batch run,
how many adds were fits (the first, and each that doubled the index) and the longest, and
how many only placed their articles, with the median and longest of those.
``--no-refit`` fits on the first day only (placement alone from then on). ``--seed-check``
runs the batch a second time with its Leiden runs seeded otherwise (``random_state`` 1) and
prints the ARI between the two batch runs: agreement that daily placement cannot be asked to
exceed.

``--prefix-check`` asks how far a batch run is stable as the corpus grows, which bounds how
close the daily run can come (the daily index's last fit is a batch run on the articles it
held then): the batch on the first ``--prefix`` share of the articles (in the days' order)
against the batch on all, on that prefix's articles, at the event and story level; then the
same with the prefix run taking out the templates that the run on all learnt
(:func:`dedup.templates.learn_templates` on the texts the clusterer read), instead of
learning its own from the prefix: the part of the gap that templates explain.

``--split dev`` (or ``test``) keeps only the stories of that half (``quality.part_of``);
``JOIN_SHARE`` was chosen on ``--split dev``, the figures are reported on ``--split test``
and ``--split full``. ``--join-share`` overrides it for a dev sweep.

    python benchmarks/stories_daily.py --split test
    python benchmarks/stories_daily.py --split dev --join-share 0.3
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quality import load, part_of, print_table

import dedup.index_stories
import dedup.placement
from dedup.config import Config
from dedup.index import Index
from dedup.pipeline import stories, story_clusterer
from dedup.types import Record


def records_of(name: str, split: str) -> list[tuple[Record, str | None]]:
    """The records of a set and their labels (None for an unlabelled set, which is taken
    whole, its records without words left out)."""
    rows = load(name)
    labelled = all("story" in r for r in rows)
    if not labelled:
        rows = [r for r in rows if r["text"].strip()]
    elif split != "full":
        rows = [r for r in rows if part_of(str(r["story"])) == split]
    return [
        (
            Record(str(r["id"]), r["text"], title=r.get("title"), date=r.get("date"),
                   outlet=r.get("outlet")),
            str(r["story"]) if labelled else None,
        )
        for r in rows
    ]  # fmt: skip


def days_of(
    items: list[tuple[Record, str | None]], n_days: int, seed: int
) -> tuple[list[list], str]:
    """The batches, and how they were made."""
    undated = sum(1 for record, _ in items if not record.date)
    if undated < len(items):
        ordered = sorted(items, key=lambda item: (item[0].date or "", item[0].id))
        how = "date order" + (f", {undated} undated first" if undated else "")
    else:
        ordered = sorted(items, key=lambda item: item[0].id)
        random.Random(seed).shuffle(ordered)
        how = f"no dates: fixed shuffle (seed {seed})"
    size = -(-len(ordered) // n_days)
    return [ordered[k : k + size] for k in range(0, len(ordered), size)], how


def labels_of(groups) -> dict[str, str]:
    return {member: group.id for group in groups for member in group.members}


def run_set(
    name: str,
    split: str,
    n_days: int,
    seed: int,
    per_day: list | None = None,
    seed_check: bool = False,
    prefix: float | None = None,
) -> dict:
    """One set grouped in batch and day by day; the table row (and with ``per_day``, a row
    per day appended to it)."""
    items = records_of(name, split)
    records = [record for record, _ in items]
    true = [story for _, story in items]
    start = time.perf_counter()
    batch = stories(records)
    batch_seconds = time.perf_counter() - start
    days, how = days_of(items, n_days, seed)
    placed_seconds, fit_seconds = [], []
    with tempfile.TemporaryDirectory() as folder:
        index = Index(Path(folder) / "daily.idx", keep_stories=True)
        for day in days:
            start = time.perf_counter()
            counts = index.add([record for record, _ in day]).counts
            seconds = time.perf_counter() - start
            (fit_seconds if "stories_fitted" in counts else placed_seconds).append(seconds)
            if per_day is not None:
                per_day.append(day_row(name, len(per_day), day, counts, index, batch))
        daily = index.stories()
    b_event, d_event = labels_of(batch.events), labels_of(daily.events)
    b_story, d_story = labels_of(batch.stories), labels_of(daily.stories)
    # an unlabelled set is compared on the records both runs kept
    ids = [r.id for r in records if r.id in b_event and r.id in d_event]
    labelled = [(t, r.id) for t, r in zip(true, records) if t is not None and r.id in b_event]

    def against_labels(found: dict[str, str]) -> float:
        if not labelled:
            return float("nan")
        return adjusted_rand_score([t for t, _ in labelled], [found[i] for _, i in labelled])

    row = {
        "set": name,
        "part": split if labelled else "whole (no labels)",
        "docs": len(ids),
        "days": f"{len(days)} ({how})",
        "batch~daily ARI event": adjusted_rand_score(
            [b_event[i] for i in ids], [d_event[i] for i in ids]
        ),
        "batch~daily ARI story": adjusted_rand_score(
            [b_story[i] for i in ids], [d_story[i] for i in ids]
        ),
        "batch ARI": against_labels(b_event),
        "daily ARI": against_labels(d_event),
        "batch events": len(batch.events),
        "daily events": len(daily.events),
        "batch s": batch_seconds,
        "fit days": len(fit_seconds),
        "fit day s (max)": max(fit_seconds),
        "placed days": len(placed_seconds),
        "placed day s (median)": statistics.median(placed_seconds) if placed_seconds else 0.0,
        "placed day s (max)": max(placed_seconds) if placed_seconds else 0.0,
    }
    if prefix is not None:
        row.update(prefix_check(records, [r for day in days for r, _ in day], prefix, batch))
    if seed_check:  # the batch again, its Leiden runs seeded otherwise: how stable it is
        other = stories(records, clusterer=story_clusterer(Config()).set_params(random_state=1))
        for level, mine, theirs in (
            ("event", b_event, labels_of(other.events)),
            ("story", b_story, labels_of(other.stories)),
        ):
            row[f"batch~batch (seed 1) ARI {level}"] = adjusted_rand_score(
                [mine[i] for i in ids], [theirs[i] for i in ids]
            )
    return row


def prefix_check(records: list[Record], ordered: list[Record], share: float, batch) -> dict:
    """Batch on the first ``share`` of ``ordered`` against ``batch`` (the batch on all), on
    the prefix's articles; then with the templates of the run on all (see the docstring)."""
    import dedup.clustering
    from dedup.templates import apply_templates, learn_templates

    prefix = ordered[: int(share * len(ordered))]
    learnt: list = []
    strip = dedup.clustering.strip_templates

    def learning(texts, outlets, days):  # the run on all: keep what it learns
        learnt.append(learn_templates(texts, outlets, days))
        return strip(texts, outlets, days)

    def applying(texts, outlets, days):  # the prefix run: the templates of the run on all
        return apply_templates(texts, outlets, learnt[0])

    out = {}
    try:
        dedup.clustering.strip_templates = learning
        stories(records)
        for name, how in (("own templates", strip), ("templates of all", applying)):
            dedup.clustering.strip_templates = how
            part = stories(prefix)
            for level, groups in (("event", "events"), ("story", "stories")):
                mine, whole = labels_of(getattr(part, groups)), labels_of(getattr(batch, groups))
                ids = [r.id for r in prefix if r.id in mine and r.id in whole]
                out[f"prefix {share:.0%}~batch ARI {level}, {name}"] = adjusted_rand_score(
                    [mine[i] for i in ids], [whole[i] for i in ids]
                )
    finally:
        dedup.clustering.strip_templates = strip
    return out


def day_row(name: str, number: int, day: list, counts: dict, index: Index, batch) -> dict:
    """How the index's events so far, and today's articles alone, agree with the batch's."""
    daily, wanted = labels_of(index.stories().events), labels_of(batch.events)
    so_far = [i for i in daily if i in wanted]
    today = [r.id for r, _ in day if r.id in daily and r.id in wanted]
    true = {r.id: t for r, t in day}
    row = {
        "set": name,
        "day": number + 1,
        "add": "fit" if "stories_fitted" in counts else "placed",
        "docs so far": len(so_far),
        "batch~daily ARI so far": adjusted_rand_score(
            [wanted[i] for i in so_far], [daily[i] for i in so_far]
        ),
        "batch~daily ARI today": adjusted_rand_score(
            [wanted[i] for i in today], [daily[i] for i in today]
        ),
    }
    if all(true[i] is not None for i in today):
        row["daily ARI today (labels)"] = adjusted_rand_score(
            [true[i] for i in today], [daily[i] for i in today]
        )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "test", "full"], default="test")
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--join-share", type=float, default=None)
    parser.add_argument(
        "--no-refit",
        action="store_true",
        help="never fit again after the first day (placement alone, however small that day)",
    )
    parser.add_argument(
        "--sets",
        nargs="+",
        default=["basil", "googlenews-ts", "reuters21578"],
        help="Reuters-21578 has no labels: taken whole whatever --split, batch~daily only",
    )
    parser.add_argument(
        "--per-day", action="store_true", help="also a row per day: agreement so far and today's"
    )
    parser.add_argument(
        "--seed-check",
        action="store_true",
        help="also the batch run again with its Leiden runs seeded otherwise, against the first",
    )
    parser.add_argument(
        "--prefix-check",
        action="store_true",
        help="also the batch on the first --prefix of the articles against the batch on all",
    )
    parser.add_argument("--prefix", type=float, default=0.8)
    args = parser.parse_args()
    if args.join_share is not None:
        dedup.placement.JOIN_SHARE = args.join_share
    if args.no_refit:
        dedup.index_stories.REFIT_GROWTH = float("inf")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
        cwd=Path(__file__).resolve().parent,
    ).stdout.strip()  # fmt: skip
    print(f"command: python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}")
    print(
        f"machine: Python {platform.python_version()}, commit {commit}, "
        f"{datetime.now(timezone.utc):%Y-%m-%d}; JOIN_SHARE {dedup.placement.JOIN_SHARE}, "
        f"REFIT_GROWTH {dedup.index_stories.REFIT_GROWTH}"
    )
    print()
    per_day: list | None = [] if args.per_day else None
    rows = [
        run_set(
            name,
            args.split,
            args.days,
            args.seed,
            per_day,
            args.seed_check,
            args.prefix if args.prefix_check else None,
        )
        for name in args.sets
    ]
    print_table(rows)
    if per_day:
        print()
        print("Day by day (today: the articles of that day alone):")
        print()
        print_table(per_day)


if __name__ == "__main__":
    main()
