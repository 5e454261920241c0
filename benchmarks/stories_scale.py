"""Story clustering at scale: time and peak memory of ``StoryClusterer`` at 10k and 100k
articles on the generated corpus (``generate.py``), and of the whole ``dedup stories`` path
(clean, scan links, clustering) where asked.

Each size runs in its own process, so peak RSS is that size's alone. The generated
documents are random draws of real news words (no real stories), which is the hard case
for neighbour search: every document is a little similar to every other. As a check that
the clustering still means something there, the table gives the share of planted
near-duplicate copies (1–10 % of words edited) that land in the story of their original.

With ``--reuters`` it runs the whole ``dedup stories`` path on the real wire copy of
Reuters-21578 (its articles with a body) instead, and reports what can be checked there
without story labels: whether the re-sent items (``exact_dup_group``) land in one story, how
many articles stand alone, the largest story, and how many articles sit in stories whose
dates span more than 30 days; and at the event level (one happening, reported within days),
the share of dated articles in events spanning more than 7 days and whether each group of
re-sent items is inside one event.

    python benchmarks/stories_scale.py                       # 10k and 100k, clusterer only
    python benchmarks/stories_scale.py --docs 10000 --pipeline
    python benchmarks/stories_scale.py --reuters
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
    from datetime import date

    from generate import generate

    from dedup.clustering import StoryClusterer
    from dedup.pipeline import stories
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
    day = {r.id: date.fromisoformat(r.date).toordinal() for r in records}
    apart = [abs(day[c["a"]] - day[c["b"]]) for c in copies if labels[c["a"]] != labels[c["b"]]]
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
        "days apart, copies left out": f"{min(apart)}–{max(apart)}" if apart else "",
    }


def reuters_child() -> dict:
    from datetime import date

    from quality import load

    from dedup.pipeline import stories
    from dedup.types import Record

    rows = [r for r in load("reuters21578") if r["text"].strip()]
    records = [
        Record(str(r["id"]), r["text"], title=r.get("title"), date=r.get("date"),
               outlet=r.get("outlet"))
        for r in rows
    ]  # fmt: skip
    megabytes = sum(len(r.text.encode("utf-8")) for r in records) / 1e6
    start = time.perf_counter()
    result = stories(records)
    seconds = time.perf_counter() - start
    story_of = {m: s.id for s in result.stories for m in s.members}
    groups: dict[str, list[str]] = {}
    for r in rows:
        if r.get("exact_dup_group") is not None:
            groups.setdefault(str(r["exact_dup_group"]), []).append(str(r["id"]))
    whole = sum(len({story_of[m] for m in members}) == 1 for members in groups.values())
    event_of = {m: e.id for e in result.events for m in e.members}
    in_one_event = sum(len({event_of[m] for m in members}) == 1 for members in groups.values())
    dated = sum(1 for r in records if r.date)

    def span(story) -> int:
        if not story.first_date:
            return 0
        first, last = date.fromisoformat(story.first_date), date.fromisoformat(story.last_date)
        return (last - first).days

    long_events = sum(len(e.members) for e in result.events if span(e) > 7)
    return {
        "docs": len(records),
        "MB": megabytes,
        "seconds": seconds,
        "peak RSS GB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
        "stories": len(result.stories),
        "alone": sum(len(s.members) == 1 for s in result.stories),
        "largest": max(len(s.members) for s in result.stories),
        "in stories over 30 days": sum(len(s.members) for s in result.stories if span(s) > 30),
        "re-sent groups in one story": f"{whole}/{len(groups)}",
        "events": len(result.events),
        "largest event": max(len(e.members) for e in result.events),
        "dated in events over 7 days": f"{long_events / dated:.1%}",
        "re-sent groups in one event": f"{in_one_event}/{len(groups)}",
    }


def reuters() -> None:
    command = [sys.executable, __file__, "--child", "0", "--reuters"]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    row = json.loads(done.stdout.strip().splitlines()[-1])
    print("| " + " | ".join(row) + " |")
    print("|" + "---|" * len(row))
    cells = [
        f"{value:,.2f}"
        if isinstance(value, float)
        else f"{value:,}"
        if isinstance(value, int)
        else value
        for value in row.values()
    ]
    print("| " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--pipeline", action="store_true", help="time the whole stories path")
    parser.add_argument(
        "--reuters", action="store_true", help="the stories path on Reuters-21578 instead"
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        out = reuters_child() if args.reuters else child(args.child, args.pipeline)
        print(json.dumps(out))
        return
    import sklearn
    from scan_speed import provenance

    print(provenance(sys.argv[1:], Path(__file__).name))
    print(f"stories: scikit-learn {sklearn.__version__}")
    print()
    if args.reuters:
        reuters()
        return
    print(
        "| docs | MB | what is timed | seconds | docs/s | peak RSS GB | stories | "
        "planted copies in their original's story | days from their original, copies left out |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
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
            f"{row['copies with their original']} | {row['days apart, copies left out']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
