"""Throughput of `dedup scan` beside datasketch on the same shingles, with recall of the truth.

For each corpus (the generated one with planted copies and passages, and Reuters-21578):

* **dedup scan**: ``dedup.pipeline.scan(records, Config())`` end to end from records in
  memory (reading files is not timed): words, signatures, both candidate indexes,
  verification and alignment of every candidate, passage clusters.
* **datasketch**: ``MinHash.bulk`` over dedup's own 32-bit shingle values (tokenizing and
  hashing shingles are not in its time), then ``MinHashLSH`` with the same bands × rows,
  insert all and query all: candidate document pairs, unverified, no passages.
* **dedup clean**: ``dedup.pipeline.clean(records, drop_duplicates=True)``, for its MB/s.

Each tool runs ``--runs`` times in this process and the median wall time is reported. MB are
UTF-8 bytes of text / 1e6. The ratio is dedup's throughput over datasketch's on the same
corpus. Quality is measured against the planted truth of the generated corpus and against
the exact-duplicate groups marked in Reuters-21578; the printed notes say how.

    python benchmarks/scan_speed.py [--docs 10000] [--runs 3] [--skip-reuters]
    python benchmarks/scan_speed.py --corpus /tmp/gen10k   # a folder written by generate.py
"""

from __future__ import annotations

import argparse
import collections
import gc
import gzip
import itertools
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generate import DATA, generate, load

from dedup.config import Config
from dedup.lsh import band_keys, candidate_pairs
from dedup.pipeline import clean, scan, shingle_corpus
from dedup.sketch import shingle_values
from dedup.types import Record, ScanResult

REUTERS = DATA / "reuters21578" / "reuters21578.jsonl.gz"
Pairs = set[tuple[int, int]]


@dataclass
class Timing:
    """Wall seconds of every run; ``median`` is what the tables report."""

    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def spread(self) -> str:
        return f"{min(self.seconds):.2f}–{max(self.seconds):.2f}"


def timed(function: Callable[[], object], runs: int) -> tuple[Timing, object]:
    """Run ``function`` ``runs`` times; the timing and the result of the last run."""
    timing, result = Timing(), None
    for _ in range(runs):
        result = None  # let the previous result go before the next run
        gc.collect()
        start = time.perf_counter()
        result = function()
        timing.seconds.append(time.perf_counter() - start)
    return timing, result


@dataclass
class Corpus:
    name: str
    records: list[Record]
    truth: dict | None = None  # generate.py's truth
    exact_groups: list[list[str]] | None = None  # Reuters' exact-duplicate groups (ids)

    @property
    def megabytes(self) -> float:
        return sum(len(r.text.encode("utf-8")) for r in self.records) / 1e6


# ---------------------------------------------------------------- the tools


def run_dedup(corpus: Corpus, config: Config, runs: int, workers: int = 1) -> dict:
    stage_seconds: list[dict[str, float]] = []

    def job() -> ScanResult:
        result = scan(corpus.records, config, workers=workers)
        stage_seconds.append(dict(result.seconds))
        return result

    timing, result = timed(job, runs)
    # stage times of the run whose total is the median
    median_run = sorted(range(runs), key=lambda k: timing.seconds[k])[(runs - 1) // 2]
    return {"timing": timing, "result": result, "stages": stage_seconds[median_run]}


def run_datasketch(corpus: Corpus, config: Config, runs: int) -> dict:
    """MinHash + MinHashLSH over dedup's shingle values; preparing the values is untimed."""
    from datasketch import MinHash, MinHashLSH

    shingled = shingle_corpus([r.text for r in corpus.records], config.shingle_size)
    values = shingle_values(shingled.shingles)
    ptr = shingled.shingle_ptr.tolist()
    per_doc = [values[ptr[d] : ptr[d + 1]].tolist() for d in range(len(corpus.records))]
    minhash_timing, lsh_timing, total_timing = Timing(), Timing(), Timing()
    sketches, candidates = [], set()
    for _ in range(runs):
        sketches, candidates = [], set()
        gc.collect()
        start = time.perf_counter()
        sketches = MinHash.bulk(per_doc, num_perm=config.num_perm, seed=config.seed, hashfunc=int)
        middle = time.perf_counter()
        lsh = MinHashLSH(num_perm=config.num_perm, params=(config.bands, config.rows))
        for doc, sketch in enumerate(sketches):
            lsh.insert(doc, sketch)
        for doc, sketch in enumerate(sketches):
            for other in lsh.query(sketch):
                if other != doc:
                    candidates.add((min(doc, other), max(doc, other)))
        end = time.perf_counter()
        minhash_timing.seconds.append(middle - start)
        lsh_timing.seconds.append(end - middle)
        total_timing.seconds.append(end - start)
    hashvalues = np.array([s.hashvalues for s in sketches], dtype=np.uint64)
    return {
        "timing": total_timing,
        "minhash": minhash_timing,
        "lsh": lsh_timing,
        "pairs": candidates,
        "hashvalues": hashvalues,
    }


def run_clean(corpus: Corpus, config: Config, runs: int, workers: int = 1) -> dict:
    timing, _ = timed(
        lambda: clean(corpus.records, config, drop_duplicates=True, workers=workers), runs
    )
    return {"timing": timing}


# ---------------------------------------------------------------- checks and quality


def same_scheme(corpus: Corpus, config: Config, dedup: dict, sketch: dict) -> dict:
    """Whether datasketch computed dedup's signatures, and dedup's own LSH candidates
    (from those signatures, with dedup's banding) compared with datasketch's."""
    result: ScanResult = dedup["result"]
    position = {r.id: k for k, r in enumerate(corpus.records)}
    rows = np.array([position[d.id] for d in result.documents], dtype=np.int64)
    identical = np.array_equal(
        result.signatures.astype(np.uint64), sketch["hashvalues"][rows, : config.num_perm]
    )
    ours = candidate_pairs(band_keys(result.signatures, config.bands, config.rows))
    lsh_pairs = {tuple(sorted(p)) for p in rows[ours].tolist()}
    return {
        "signatures identical": identical,
        "dedup LSH candidates": len(lsh_pairs),
        "same LSH candidates": lsh_pairs == sketch["pairs"],
    }


def pair_index(corpus: Corpus, result: ScanResult) -> tuple[Pairs, Pairs]:
    """dedup's reported pairs and those flagged near-duplicate, as record positions."""
    position = {r.id: k for k, r in enumerate(corpus.records)}

    def key(pair) -> tuple[int, int]:
        a, b = position[pair.a], position[pair.b]
        return (a, b) if a < b else (b, a)

    return {key(p) for p in result.pairs}, {key(p) for p in result.pairs if p.near_duplicate}


def planted_sets(corpus: Corpus) -> tuple[Pairs, Pairs, list[Pairs]]:
    """Planted copy pairs; every pair the truth explains (copies, two copies of one
    original, two carriers of one passage); and each passage's carrier pairs."""
    position = {r.id: k for k, r in enumerate(corpus.records)}
    truth = corpus.truth
    copies = {tuple(sorted((position[p["a"]], position[p["b"]]))) for p in truth["near_duplicates"]}
    family: dict[int, set[int]] = collections.defaultdict(set)
    for p in truth["near_duplicates"]:
        family[position[p["a"]]].add(position[p["b"]])
    explained = set(copies)
    for original, members in family.items():
        explained |= set(itertools.combinations(sorted(members | {original}), 2))
    carriers = []
    for passage in truth["passages"]:
        docs = sorted({position[w["doc"]] for w in passage["witnesses"]})
        carriers.append(set(itertools.combinations(docs, 2)))
        explained |= carriers[-1]
    return copies, explained, carriers


def passages_found(result: ScanResult, truth: dict) -> list[bool]:
    """A planted passage is found when one dedup passage cluster has witnesses overlapping
    at least half of two (or more) of its planted witnesses' spans."""
    by_doc: dict[str, list[tuple[str, int, int]]] = collections.defaultdict(list)
    for cluster in result.passages:
        for w in cluster.witnesses:
            by_doc[w.doc].append((cluster.id, w.start, w.end))
    found = []
    for passage in truth["passages"]:
        hits: collections.Counter[str] = collections.Counter()
        for planted in passage["witnesses"]:
            length = planted["end"] - planted["start"]
            clusters = {
                cluster
                for cluster, start, end in by_doc.get(planted["doc"], [])
                if min(end, planted["end"]) - max(start, planted["start"]) >= 0.5 * length
            }
            hits.update(clusters)
        found.append(any(count >= 2 for count in hits.values()))
    return found


def quality_generated(corpus: Corpus, dedup: dict, sketch: dict) -> list[tuple[str, str, str]]:
    copies, explained, carriers = planted_sets(corpus)
    reported, near = pair_index(corpus, dedup["result"])
    candidates = sketch["pairs"]
    found = passages_found(dedup["result"], corpus.truth)
    n_passages = len(carriers)

    def share(part: int, whole: int) -> str:
        return f"{part / whole:.3f} ({part:,}/{whole:,})" if whole else "–"

    return [
        (
            "planted copies found (any reported pair)",
            share(len(copies & reported), len(copies)),
            share(len(copies & candidates), len(copies)),
        ),
        (
            "planted copies found (flagged near-duplicate)",
            share(len(copies & near), len(copies)),
            "–",
        ),
        (
            "planted passages found",
            share(sum(found), n_passages),
            share(sum(bool(c & candidates) for c in carriers), n_passages),
        ),
        (
            "pairs explained by the truth (precision)",
            share(len(reported & explained), len(reported)),
            share(len(candidates & explained), len(candidates)),
        ),
    ]


def quality_reuters(corpus: Corpus, dedup: dict, sketch: dict) -> list[tuple[str, str, str]]:
    position = {r.id: k for k, r in enumerate(corpus.records)}
    exact: Pairs = set()
    for group in corpus.exact_groups:
        exact |= set(itertools.combinations(sorted(position[i] for i in group), 2))
    reported, near = pair_index(corpus, dedup["result"])
    candidates = sketch["pairs"]

    def share(part: int) -> str:
        return f"{part / len(exact):.3f} ({part:,}/{len(exact):,})"

    return [
        (
            "exact-duplicate pairs found (any reported pair)",
            share(len(exact & reported)),
            share(len(exact & candidates)),
        ),
        ("exact-duplicate pairs found (flagged near-duplicate)", share(len(exact & near)), "–"),
    ]


# ---------------------------------------------------------------- corpora


def generated_corpus(docs: int, seed: int, folder: Path | None) -> Corpus:
    if folder is not None:
        raw, truth = load(folder)
        name = f"generated {len(raw):,} ({folder})"
    else:
        raw, truth_obj = generate(docs, seed)
        truth = truth_obj.to_dict()
        name = f"generated {docs:,} (seed {seed})"
    records = [Record(r["id"], r["text"], outlet=r["outlet"], date=r["date"]) for r in raw]
    return Corpus(name, records, truth=truth)


def reuters_corpus() -> Corpus:
    records, groups = [], collections.defaultdict(list)
    with gzip.open(REUTERS, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if not row["text"].strip():
                continue  # 1,799 title-only or empty items
            records.append(
                Record(
                    row["id"],
                    row["text"],
                    outlet=row.get("outlet"),
                    date=row.get("date"),
                    title=row.get("title"),
                )
            )
            if row.get("exact_dup_group") is not None:
                groups[row["exact_dup_group"]].append(row["id"])
    return Corpus("reuters21578", records, exact_groups=list(groups.values()))


# ---------------------------------------------------------------- output


def markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def provenance(argv: list[str], script: str | None = None) -> str:
    """Command, date and commit, machine and versions; ``script`` names the benchmark
    (this one by default)."""
    import datasketch

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if "model name" in line)
    except (OSError, StopIteration):
        pass
    name = script or Path(__file__).name
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return "\n".join(
        [
            f"command: python benchmarks/{name} {shlex.join(argv)}".rstrip(),
            f"date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; dedup at {commit}",
            f"machine: nproc {cores}, {cpu}, {platform.system()} {platform.release()}",
            f"software: Python {platform.python_version()}, numpy {np.__version__}, "
            f"datasketch {datasketch.__version__}",
        ]
    )


def fmt_rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.2f}"


NOTES = """\
Notes:
- Times are wall seconds, median of {runs} runs in one process (dedup with --workers
  processes, datasketch on one core; the spread is min–max over the runs). MB = UTF-8 bytes
  of text / 1e6. Building the records and reading files is not timed.
- dedup scan is end to end: tokenizing, shingle hashing, signatures, document LSH, passage
  keys, exact verification and alignment of every candidate, passage clusters. Its pairs
  are verified document pairs that share a passage of >= {min_words} words or whose exact
  shingle Jaccard reaches {threshold} ("near-dup").
- datasketch is given dedup's shingle values ready made: its time excludes tokenizing and
  hashing shingles, and covers MinHash.bulk (hashfunc=int) plus MinHashLSH insert all and
  query all. Its pairs are raw LSH candidates: unverified, and no passages.
- ratio = dedup scan MB/s ÷ datasketch MB/s on the same corpus (> 1: dedup is faster).
- Check: "signatures identical" compares datasketch's hashvalues with dedup's signatures
  bit for bit; "same LSH candidates" compares datasketch's candidate pairs with the pairs
  dedup's own banding gives before verification.
- Generated corpus: a planted copy is found when the pair is reported (dedup) or is a
  candidate (datasketch). A planted passage is found by dedup when one passage cluster has
  witnesses overlapping >= 50 % of the spans of at least two of its planted copies, and by
  datasketch when two of its carrier documents are a candidate pair. Precision is the share
  of reported pairs that the truth explains: a planted copy, two copies of one original, or
  two carriers of one planted passage. A pair it does not explain is not necessarily wrong
  (dedup verifies every pair on the words), but the generator planted nothing there.
- Reuters: exact-duplicate pairs are the pairs inside the exact_dup_group groups marked in
  the data (identical bodies after white-space normalisation)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000, help="generated documents")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated corpus")
    parser.add_argument("--corpus", type=Path, help="read a generate.py folder instead")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-reuters", action="store_true")
    parser.add_argument("--skip-clean", action="store_true", help="do not time dedup clean")
    parser.add_argument(
        "--workers", type=int, default=1, help="processes for dedup scan and clean (0: all cores)"
    )
    args = parser.parse_args()

    config = Config()
    print(provenance(sys.argv[1:]))
    print(
        f"settings: Config() defaults: shingle {config.shingle_size} words, "
        f"{config.num_perm} permutations, seed {config.seed}, threshold {config.threshold}, "
        f"{config.bands} bands × {config.rows} rows, passages >= {config.min_passage_words} "
        f"words; median of {args.runs} runs; dedup workers {args.workers}"
    )
    print(flush=True)

    corpora = [generated_corpus(args.docs, args.seed, args.corpus)]
    if not args.skip_reuters:
        corpora.append(reuters_corpus())

    speed_rows, stage_rows, check_rows, quality = [], [], [], []
    for corpus in corpora:
        print(f"running {corpus.name} …", file=sys.stderr, flush=True)
        dedup = run_dedup(corpus, config, args.runs, args.workers)
        sketch = run_datasketch(corpus, config, args.runs)
        cleaned = None if args.skip_clean else run_clean(corpus, config, args.runs, args.workers)
        size, n_docs = corpus.megabytes, len(corpus.records)
        result: ScanResult = dedup["result"]
        ratio = (size / dedup["timing"].median) / (size / sketch["timing"].median)
        near = sum(1 for p in result.pairs if p.near_duplicate)
        tools = [
            ("dedup scan", dedup["timing"], f"{len(result.pairs):,} ({near:,} near-dup)"),
            ("datasketch MinHash+LSH", sketch["timing"], f"{len(sketch['pairs']):,} candidates"),
        ]
        if cleaned is not None:
            tools.append(("dedup clean --drop-duplicates", cleaned["timing"], "–"))
        for tool, timing, pairs in tools:
            speed_rows.append(
                [
                    corpus.name,
                    f"{n_docs:,}",
                    f"{size:.1f}",
                    tool,
                    f"{timing.median:.2f}",
                    timing.spread(),
                    fmt_rate(n_docs / timing.median),
                    fmt_rate(size / timing.median),
                    f"{ratio:.2f}" if tool == "dedup scan" else "",
                    pairs,
                    f"{len(result.passages):,}" if tool == "dedup scan" else "–",
                ]
            )
        stages = dedup["stages"]
        stage_rows.append(
            [corpus.name]
            + [f"{stages.get(name, float('nan')):.2f}" for name in STAGES]
            + [f"{sketch['minhash'].median:.2f}", f"{sketch['lsh'].median:.2f}"]
        )
        check = same_scheme(corpus, config, dedup, sketch)
        check_rows.append(
            [
                corpus.name,
                "yes" if check["signatures identical"] else "NO",
                f"{check['dedup LSH candidates']:,}",
                f"{len(sketch['pairs']):,}",
                "yes" if check["same LSH candidates"] else "NO",
            ]
        )
        if corpus.truth is not None:
            quality.append((corpus.name, quality_generated(corpus, dedup, sketch)))
        if corpus.exact_groups is not None:
            quality.append((corpus.name, quality_reuters(corpus, dedup, sketch)))

    print("Speed")
    header = ["corpus", "docs", "MB", "tool", "median s", "spread s", "docs/s", "MB/s"]
    header += ["ratio", "pairs", "passages"]
    print(markdown(header, speed_rows))
    print()
    print("Where the time goes (median run of dedup scan, its own stage clock; datasketch parts)")
    header = ["corpus"] + [f"scan {name} s" for name in STAGES]
    header += ["datasketch MinHash s", "datasketch LSH s"]
    print(markdown(header, stage_rows))
    print()
    print("Same scheme check")
    header = ["corpus", "signatures identical", "dedup LSH candidates"]
    header += ["datasketch candidates", "same LSH candidates"]
    print(markdown(header, check_rows))
    for name, rows in quality:
        print()
        print(f"Quality: {name}")
        print(markdown(["measure", "dedup scan", "datasketch"], [list(r) for r in rows]))
    print()
    print(
        NOTES.format(runs=args.runs, min_words=config.min_passage_words, threshold=config.threshold)
    )


STAGES = ("words", "signatures", "candidates", "align", "passages")


if __name__ == "__main__":
    main()
