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

With ``--corpus FILE --baseline ROOT`` it runs ``python -m dedup stories FILE`` as a whole
process (after an untimed run on its first 200 articles, which fills numba's cache), first
with ``PYTHONPATH=ROOT`` (a checkout of another revision), then with this
tree, one after the other, and prints for each the wall seconds, the CPU seconds (user +
system, of the process and its threads), the load average before and after (the machine
may be shared: CPU seconds are the figure that load does not inflate), the peak RSS and the
sha256 of ``stories.jsonl`` (equal when the two trees give the same stories):

    python benchmarks/stories_scale.py --corpus CORPUS --baseline BASE --baseline-python PY
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
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
    from quality import days_spanned, reuters_checks, reuters_records

    from dedup.pipeline import stories

    rows, records = reuters_records()
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
    checks = reuters_checks(rows, result)
    return {
        "docs": len(records),
        "MB": megabytes,
        "seconds": seconds,
        "peak RSS GB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
        "stories": len(result.stories),
        "alone": sum(len(s.members) == 1 for s in result.stories),
        "largest": max(len(s.members) for s in result.stories),
        "in stories over 30 days": sum(
            len(s.members) for s in result.stories if days_spanned(s) > 30
        ),
        "re-sent groups in one story": f"{whole}/{len(groups)}",
        "events": checks["events"],
        "largest event": checks["largest event"],
        "dated in events over 7 days": checks["dated in events over 7 days"],
        "re-sent groups in one event": checks["re-sent groups in one event"],
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


def run_tree(root: Path, corpus: Path, out: Path, workers: int, python: str) -> dict:
    """``python -m dedup stories CORPUS`` with ``root`` first on the path, measured."""
    env = dict(os.environ, PYTHONPATH=str(root))
    command = [python, "-m", "dedup", "stories", str(corpus), "-o", str(out), "-q"]
    command += ["-j", str(workers)]
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=root, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code:
        error = child.stderr.read().decode(errors="replace") if child.stderr else ""
        raise SystemExit(f"{root}: dedup stories exit {code}\n{error[-2000:]}")
    stories_file = out / "stories.jsonl"
    done = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return {
        "tree": f"{root.name} ({done.stdout.strip() or '?'})",
        "wall s": seconds,
        "CPU s": usage.ru_utime + usage.ru_stime,
        "load before": load_before,
        "load after": os.getloadavg()[0],
        "peak RSS GB": usage.ru_maxrss / 1e6,
        "stories.jsonl sha256": hashlib.sha256(stories_file.read_bytes()).hexdigest()[:16],
    }


def before_after(corpus: Path, baseline: Path, workers: int, baseline_python: str) -> None:
    """Baseline tree, then this one, on the same corpus: one table."""
    import tempfile

    print(f"corpus: {corpus} ({corpus.stat().st_size / 1e6:,.0f} MB), -j {workers}")
    print()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        trees = [(baseline.resolve(), baseline_python), (HERE.parent, sys.executable)]
        # untimed, on the first 200 articles: fills numba's cache of compiled kernels
        small = Path(folder) / "warmup.jsonl"
        with corpus.open(encoding="utf-8") as handle:
            small.write_text("".join(line for _, line in zip(range(200), handle)))
        for k, (root, python) in enumerate(trees):
            run_tree(root, small, Path(folder) / f"warmup{k}", workers, python)
        for k, (root, python) in enumerate(trees):
            rows.append(run_tree(root, corpus, Path(folder) / f"out{k}", workers, python))
            print(json.dumps(rows[-1]), flush=True)
    print()
    print("| " + " | ".join(rows[0]) + " |")
    print("|" + "---|" * len(rows[0]))
    for row in rows:
        cells = [f"{v:,.2f}" if isinstance(v, float) else str(v) for v in row.values()]
        print("| " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--pipeline", action="store_true", help="time the whole stories path")
    parser.add_argument(
        "--reuters", action="store_true", help="the stories path on Reuters-21578 instead"
    )
    parser.add_argument("--corpus", type=Path, help="a JSON lines corpus to run dedup stories on")
    parser.add_argument("--baseline", type=Path, help="with --corpus: a checkout to run first")
    parser.add_argument("-j", "--workers", type=int, default=1, help="with --corpus")
    parser.add_argument(
        "--baseline-python",
        default=sys.executable,
        help="the Python that runs the baseline (one with its dependencies)",
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
    if args.corpus is not None:
        if args.baseline is None:
            parser.error("--corpus needs --baseline")
        before_after(args.corpus, args.baseline, args.workers, args.baseline_python)
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
