"""`dedup scan` beside its peers, each tool in a process of its own, on the same corpus.

Tools (each reads the same raw texts and does its own tokenising and hashing, as a user
would; the words are the same for all: lower-cased runs of letters and digits,
``[^\\W_]+``, and shingles are word 5-grams):

* **dedup -j1 / -j2**: ``dedup.pipeline.scan(records, Config(), workers=N)`` end to end:
  words, signatures, document LSH, passage keys, exact verification and alignment,
  passage clusters. Pairs are verified document pairs.
* **datasketch per-doc**: one ``MinHash(num_perm=128, seed=1)`` per document, ``update``
  once per shingle (UTF-8 bytes, datasketch's default sha1 hash), then
  ``MinHashLSH(threshold=0.5, num_perm=128)`` insert all, query all.
* **datasketch bulk**: ``MinHash.bulk`` (``update_batch`` inside) over the same shingles,
  then the same MinHashLSH.
* **rensa**: ``RMinHash.from_token_sets`` (its batch builder, Rust hashing of the shingle
  strings) and ``RMinHashLSH`` ``insert_many`` + ``query_all``. rensa needs num_perm divisible by
  the bands, so it runs 125 permutations in 25 bands × 5 rows: exactly the 25 × 5 bands the
  others use out of their 128 (the last 3 permutations of datasketch's signatures are in no
  band).
* **text-dedup MinHash**: its own command (``text_dedup.minhash.main``) on a Hugging Face
  dataset saved to disk beforehand (untimed), installed in a separate venv
  (``--peers-python``, default ``/work/peers-venv/bin/python``), run with ``--num_perm 128
  --b 25 --r 5 --ngram 5 --min_length 0 --num_proc 1``. Its tokeniser ``NON_ALPHA`` is set
  to ``[\\W_]+`` so its words are the others' (its ``\\W`` default makes empty words between
  a full stop and a space). It outputs clusters (union-find over band collisions), so its
  pairs are all pairs inside a cluster.

Every run of every tool is a fresh ``python benchmarks/peers.py --child …`` process; its
wall time covers only the tool's work from texts in memory to pairs in memory (reading the
corpus file, building records and text-dedup's dataset are not timed). Peak RSS is the
child's own high-water mark (``VmHWM``; it includes the corpus the child holds; dedup's
workers are threads of that process).
Recall and precision use benchmarks/scan_speed.py's functions.

    python benchmarks/peers.py [--docs 10000] [--runs 3] [--skip-reuters] [--tools dedup-j1,rensa]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORD = re.compile(r"[^\W_]+")
SHINGLE_WORDS = 5
NUM_PERM = 128
THRESHOLD = 0.5
BANDS, ROWS = 25, 5
SEED = 1
PEERS_PYTHON = "/work/peers-venv/bin/python"
WARM_UP_DOCS = 50  # documents of the untimed first run that loads each tool
TOOLS = (
    "dedup-j1",
    "dedup-j2",
    "datasketch-per-doc",
    "datasketch-bulk",
    "rensa",
    "text-dedup",
)
LABELS = {
    "dedup-j1": "dedup scan -j 1",
    "dedup-j2": "dedup scan -j 2",
    "datasketch-per-doc": "datasketch MinHash.update + MinHashLSH",
    "datasketch-bulk": "datasketch MinHash.bulk + MinHashLSH",
    "rensa": "rensa RMinHash.from_token_sets + RMinHashLSH",
    "text-dedup": "text-dedup minhash (own CLI)",
}


# ---------------------------------------------------------------- child side: one tool, one run


def shingles_of(text: str) -> list[str]:
    """Word 5-grams of ``text`` (a text shorter than 5 words is one shingle, as in dedup)."""
    words = WORD.findall(text.lower())
    if len(words) < SHINGLE_WORDS:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)]


def pairs_from_neighbours(neighbours) -> set[tuple[int, int]]:
    found = set()
    for doc, others in neighbours:
        for other in others:
            if other != doc:
                found.add((min(doc, other), max(doc, other)))
    return found


def run_dedup(texts: list[str], ids: list[str], workers: int, truth_path: str | None) -> dict:
    from dedup.config import Config
    from dedup.pipeline import scan
    from dedup.types import Record

    records = [Record(i, t) for i, t in zip(ids, texts)]
    gc.collect()
    start = time.perf_counter()
    result = scan(records, Config(), workers=workers)
    seconds = time.perf_counter() - start
    position = {doc_id: k for k, doc_id in enumerate(ids)}
    pairs = sorted(tuple(sorted((position[p.a], position[p.b]))) for p in result.pairs)
    found = None
    if truth_path:
        from scan_speed import passages_found

        truth = json.loads(Path(truth_path).read_text(encoding="utf-8"))
        found = passages_found(result, truth)
    return {"seconds": seconds, "pairs": pairs, "passages_found": found}


def run_datasketch(texts: list[str], bulk: bool) -> dict:
    from datasketch import MinHash, MinHashLSH

    gc.collect()
    start = time.perf_counter()
    if bulk:
        sketches = MinHash.bulk(
            ([s.encode("utf-8") for s in shingles_of(t)] for t in texts),
            num_perm=NUM_PERM,
            seed=SEED,
        )
    else:
        sketches = []
        for text in texts:
            sketch = MinHash(num_perm=NUM_PERM, seed=SEED)
            for shingle in shingles_of(text):
                sketch.update(shingle.encode("utf-8"))
            sketches.append(sketch)
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    for doc, sketch in enumerate(sketches):
        lsh.insert(doc, sketch)
    pairs = pairs_from_neighbours((doc, lsh.query(s)) for doc, s in enumerate(sketches))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "pairs": sorted(pairs), "bands_rows": [lsh.b, lsh.r]}


def run_rensa(texts: list[str]) -> dict:
    from rensa import RMinHash, RMinHashLSH

    num_perm = BANDS * ROWS  # rensa needs num_perm divisible by the bands
    gc.collect()
    start = time.perf_counter()
    sketches = RMinHash.from_token_sets(
        (shingles_of(t) for t in texts), num_perm=num_perm, seed=SEED
    )
    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=num_perm, num_bands=BANDS)
    lsh.insert_many(sketches, start_key=0)
    pairs = pairs_from_neighbours(enumerate(lsh.query_all(sketches)))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "pairs": sorted(pairs), "bands_rows": [BANDS, ROWS]}


def run_text_dedup(texts: list[str], work: Path) -> dict:
    import pickle

    from datasets import Dataset

    Dataset.from_dict({"text": texts}).save_to_disk(str(work / "dataset"))
    import text_dedup.minhash as minhash

    minhash.NON_ALPHA = re.compile(r"[\W_]+", re.UNICODE)  # the others' words; see the docstring
    args = ["--path", str(work / "dataset"), "--local", "--column", "text"]
    args += ["--cache_dir", str(work / "cache"), "--output", str(work / "out"), "--debug"]
    args += ["--num_perm", str(NUM_PERM), "--threshold", str(THRESHOLD), "--ngram", "5"]
    args += ["--b", str(BANDS), "--r", str(ROWS), "--min_length", "0", "--num_proc", "1"]
    gc.collect()
    start = time.perf_counter()
    minhash.main(args, standalone_mode=False)
    seconds = time.perf_counter() - start
    with open(work / "out" / "uf.pkl", "rb") as handle:
        union_find = pickle.load(handle)
    clusters: dict[int, list[int]] = {}
    for doc in list(union_find.parent):
        clusters.setdefault(union_find.find(doc), []).append(int(doc))
    pairs = set()
    for members in clusters.values():
        members.sort()
        pairs.update((a, b) for k, a in enumerate(members) for b in members[k + 1 :])
    return {"seconds": seconds, "pairs": sorted(pairs), "bands_rows": [BANDS, ROWS]}


def own_peak_rss_kb() -> int:
    """This process' peak resident set in KiB. ``VmHWM`` where Linux gives it: getrusage's
    ``ru_maxrss`` carries over the parent's peak across ``exec``, so it would count the
    benchmark's own corpus in every child."""
    import resource

    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(args: argparse.Namespace) -> None:

    ids, texts = [], []
    with open(args.input, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            ids.append(row["id"])
            texts.append(row["text"])
    if args.child.startswith("dedup-j"):
        workers = int(args.child[len("dedup-j") :])

        def runner(t: list[str], i: list[str], truth: str | None) -> dict:
            return run_dedup(t, i, workers, truth)
    elif args.child in ("datasketch-per-doc", "datasketch-bulk"):
        bulk = args.child == "datasketch-bulk"

        def runner(t: list[str], i: list[str], truth: str | None) -> dict:
            return run_datasketch(t, bulk=bulk)
    elif args.child == "rensa":

        def runner(t: list[str], i: list[str], truth: str | None) -> dict:
            return run_rensa(t)
    elif args.child == "text-dedup":

        def runner(t: list[str], i: list[str], truth: str | None) -> dict:
            with tempfile.TemporaryDirectory() as work:
                return run_text_dedup(t, Path(work))
    else:
        raise SystemExit(f"unknown tool {args.child}")
    # start-up: importing the tool and a first run on a few documents (dedup loads its
    # compiled kernels then), timed apart from the run on the corpus
    start = time.perf_counter()
    runner(texts[:WARM_UP_DOCS], ids[:WARM_UP_DOCS], None)
    startup = time.perf_counter() - start
    found = runner(texts, ids, args.truth)
    found["startup_seconds"] = startup
    found["peak_rss_kb"] = own_peak_rss_kb()
    Path(args.result).write_text(json.dumps(found), encoding="utf-8")


# ---------------------------------------------------------------- parent side


def tool_version(python: str, module: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({module!r}))"
    try:
        done = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"unavailable ({err})"
    return done.stdout.strip() if done.returncode == 0 else "not installed"


def run_tool(tool: str, python: str, corpus_file: Path, truth_file: Path | None) -> dict:
    with tempfile.TemporaryDirectory() as work:
        result = Path(work) / "result.json"
        command = [python, str(Path(__file__).resolve()), "--child", tool]
        command += ["--input", str(corpus_file), "--result", str(result)]
        if truth_file is not None and tool.startswith("dedup"):
            command += ["--truth", str(truth_file)]
        env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
        env["TQDM_DISABLE"] = "1"
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0 or not result.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return {"error": f"exit {done.returncode}: " + " / ".join(tail)}
        return json.loads(result.read_text(encoding="utf-8"))


def exact_jaccards(records, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], float]:
    """Exact Jaccard of the word 5-gram sets (dedup's shingles) of each pair."""
    import numpy as np

    from dedup.pipeline import shingle_corpus

    shingled = shingle_corpus([r.text for r in records], SHINGLE_WORDS)
    sets: dict[int, np.ndarray] = {}

    def doc_set(doc: int) -> np.ndarray:
        if doc not in sets:
            sets[doc] = np.unique(shingled.doc_shingles(doc))
        return sets[doc]

    out = {}
    for a, b in pairs:
        set_a, set_b = doc_set(a), doc_set(b)
        common = len(np.intersect1d(set_a, set_b, assume_unique=True))
        union = len(set_a) + len(set_b) - common
        out[(a, b)] = common / union if union else 0.0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000, help="generated documents")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated corpus")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-reuters", action="store_true")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset")
    parser.add_argument("--peers-python", default=PEERS_PYTHON, help="python of text-dedup's venv")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--truth", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    import statistics

    from scan_speed import (
        Corpus,
        fmt_rate,
        generated_corpus,
        markdown,
        planted_sets,
        provenance,
        reuters_corpus,
    )

    tools = [t for t in args.tools.split(",") if t]
    unknown = sorted(set(tools) - set(TOOLS))
    if unknown:
        parser.error(f"unknown tools {unknown}; choose from {', '.join(TOOLS)}")
    print(provenance(sys.argv[1:], Path(__file__).name))
    python = sys.executable
    print(
        f"peers: rensa {tool_version(python, 'rensa')}, text-dedup "
        f"{tool_version(args.peers_python, 'text-dedup')} (in {args.peers_python})"
    )
    print(
        f"settings: word {SHINGLE_WORDS}-grams, {NUM_PERM} permutations, threshold {THRESHOLD}, "
        f"{BANDS} bands × {ROWS} rows, seed {SEED}; median of {args.runs} runs, each run a "
        "fresh process"
    )
    print(flush=True)

    corpora: list[Corpus] = [generated_corpus(args.docs, args.seed, None)]
    if not args.skip_reuters:
        corpora.append(reuters_corpus())

    notes: list[str] = []
    for corpus in corpora:
        print(f"running {corpus.name} …", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory() as work:
            corpus_file = Path(work) / "corpus.jsonl"
            with open(corpus_file, "w", encoding="utf-8") as handle:
                for record in corpus.records:
                    handle.write(json.dumps({"id": record.id, "text": record.text}) + "\n")
            truth_file = None
            if corpus.truth is not None:
                truth_file = Path(work) / "truth.json"
                truth_file.write_text(json.dumps(corpus.truth), encoding="utf-8")
            outcomes: dict[str, list[dict]] = {}
            for tool in tools:
                tool_python = args.peers_python if tool == "text-dedup" else python
                if not Path(tool_python).exists():
                    outcomes[tool] = [{"error": f"{tool_python} does not exist"}]
                    continue
                outcomes[tool] = []
                for run in range(args.runs):
                    print(f"  {tool} run {run + 1}", file=sys.stderr, flush=True)
                    outcome = run_tool(tool, tool_python, corpus_file, truth_file)
                    outcomes[tool].append(outcome)
                    if "error" in outcome:
                        break
        print_corpus_table(corpus, outcomes, statistics, fmt_rate, markdown, planted_sets, notes)
    print()
    print(NOTES)
    for note in notes:
        print(f"- {note}")


def print_corpus_table(corpus, outcomes, statistics, fmt_rate, markdown, planted_sets, notes):
    size, n_docs = corpus.megabytes, len(corpus.records)
    copies = explained = carriers = None
    exact_pairs: set[tuple[int, int]] = set()
    if corpus.truth is not None:
        copies, explained, carriers = planted_sets(corpus)
    if corpus.exact_groups is not None:
        import itertools

        position = {r.id: k for k, r in enumerate(corpus.records)}
        for group in corpus.exact_groups:
            exact_pairs |= set(itertools.combinations(sorted(position[i] for i in group), 2))
    all_pairs: set[tuple[int, int]] = set()
    for runs in outcomes.values():
        if runs and "error" not in runs[-1]:
            all_pairs |= {tuple(p) for p in runs[-1]["pairs"]}
    jaccard = exact_jaccards(corpus.records, all_pairs)
    reference = outcomes.get("dedup-j1")
    reference_s = (
        statistics.median(r["seconds"] for r in reference)
        if reference and "error" not in reference[-1]
        else None
    )

    def share(part: int, whole: int) -> str:
        return f"{part / whole:.3f} ({part:,}/{whole:,})" if whole else "–"

    rows = []
    for tool, runs in outcomes.items():
        if not runs or "error" in runs[-1]:
            reason = runs[-1]["error"] if runs else "not run"
            rows.append([LABELS[tool], "failed", *[""] * 12])
            notes.append(f"{corpus.name}: {LABELS[tool]} did not run: {reason}")
            continue
        seconds = [r["seconds"] for r in runs]
        median = statistics.median(seconds)
        startup = statistics.median(r["startup_seconds"] for r in runs)
        last = runs[-1]
        pairs = {tuple(p) for p in last["pairs"]}
        rss = max(r["peak_rss_kb"] for r in runs) / 1024
        rss_text = f"{rss:,.0f}"
        if copies is not None:
            recall_copies = share(len(copies & pairs), len(copies))
            if last.get("passages_found") is not None:
                found = sum(last["passages_found"])
            else:
                found = sum(bool(c & pairs) for c in carriers)
            recall_passages = share(found, len(carriers))
            precision = share(len(pairs & explained), len(pairs))
        else:
            recall_copies = share(len(exact_pairs & pairs), len(exact_pairs))
            recall_passages = precision = "–"
        above = sum(1 for p in pairs if jaccard[p] >= THRESHOLD)
        if "bands_rows" in last and corpus is not None:
            bands, rows_per_band = last["bands_rows"]
            notes.append(f"{corpus.name}: {LABELS[tool]} banded {bands} × {rows_per_band}")
        rows.append(
            [
                LABELS[tool],
                f"{median:.2f} ({min(seconds):.2f}–{max(seconds):.2f})",
                fmt_rate(n_docs / median),
                fmt_rate(size / median),
                f"{median / reference_s:.2f}" if reference_s else "–",
                f"{startup:.2f}",
                fmt_rate(size / (median + startup)),
                rss_text,
                f"{len(pairs):,}",
                recall_copies,
                recall_passages,
                precision,
                share(above, len(pairs)),
            ]
        )
    print()
    print(f"{corpus.name}: {n_docs:,} documents, {size:.1f} MB")
    header = ["tool", "median s (min–max)", "docs/s", "MB/s", "time ÷ dedup -j1"]
    header += ["start-up s", "MB/s with start-up", "peak RSS MB", "pairs"]
    if copies is not None:
        header += ["planted copies recall", "planted passages recall", "precision (truth)"]
    else:
        header += ["exact-dup pairs recall", "–", "–"]
    header += ["pairs with exact J ≥ 0.5"]
    print(markdown(header, [row[: len(header)] for row in rows]), flush=True)


NOTES = """\
Notes:
- Wall seconds of the tool's work only, median of the runs (min–max beside it), each run a
  fresh process of its own; MB = UTF-8 bytes of text / 1e6. "time ÷ dedup -j1" > 1: slower
  than dedup on one core.
- Start-up: importing the tool and its first run, on the corpus' first 50 documents, before
  the timed run in the same process (dedup loads its compiled numba kernels then; text-dedup
  builds and saves its dataset too). "MB/s with start-up" counts it in.
- Peak RSS is the process' own high-water mark (VmHWM), corpus in memory included (dedup's
  workers are threads of that process).
- dedup's pairs are verified (a shared passage of >= 12 words, or exact Jaccard >= 0.5);
  the peers' pairs are LSH candidates, unverified, and they locate no passage. text-dedup's
  pairs are every pair inside one of its clusters.
- Recall of planted copies: the pair is reported. Planted passages: for dedup, one passage
  cluster overlaps >= 50 % of two planted witnesses (scan_speed.passages_found); for the
  peers, generously, any two carriers are a pair. Precision: the share of pairs the truth
  explains (scan_speed.planted_sets). The last column is the share of pairs whose exact
  Jaccard of dedup's word 5-gram sets reaches the threshold (dedup reports passage pairs
  far below it by design).
- Reuters-21578: recall is of the 287 pairs inside the marked exact-duplicate groups."""


if __name__ == "__main__":
    main()
