"""Accuracy on edited copy (issue #20): passages of real Reuters wire text planted, edited,
into other Reuters stories, scored with the PAN text-alignment measures.

**Cases.** Reuters-21578 stories (``NORM`` bodies of at least 120 words, outside the marked
exact-duplicate groups) are split in two halves by a hash of their id: ``--split dev`` draws
only from one half, ``--split test`` only from the other, so settings chosen on dev are
reported on test. Each case takes a **source** story and an unrelated **host** story (the two
share no word 8-gram) and writes a **suspicious** document: the host with a passage of the
source (whole sentences, 40-200 words) inserted before one of its sentences, after one kind of
edit:

* ``verbatim``: unchanged;
* ``substitute`` at 1/20, 1/10, 1/5, 1/3 of the words: each chosen word is swapped for its
  counterpart in a table of Reuters synonyms ("mln" ↔ "million", "rose" ↔ "climbed") when it
  has one, otherwise for a word drawn from the Reuters vocabulary by frequency;
* ``indel`` at 1/20, 1/10, 1/5 of the words: each chosen word is deleted or has a vocabulary
  word inserted after it (even odds);
* ``reorder``: two neighbouring sentences of the passage swapped (``swap``), or all of its
  sentences shuffled (``shuffle``, never the identity); passages of at least 3 sentences;
* ``ocr`` at 1 %, 2 %, 3 %, 5 % of the letters and digits: OCR-like confusions (rn ↔ m,
  l ↔ 1, e ↔ c, o ↔ 0, …) or a dropped or doubled character;
* ``paraphrase`` (light): about a third of the sentences that have a comma get their two
  clauses exchanged, then 1/4 of the words are touched: synonym swaps and dropped function
  words ("the", "that", "also", …), topped up with vocabulary substitutions when the passage
  has too few of either.

The truth of a case is the source passage's ``[start, end)`` in the source document and the
edited passage's ``[start, end)`` in the suspicious document; the generator asserts that both
slice to what was taken and inserted, and that removing the inserted text gives the host back.
**Negatives** are pairs of other stories with the same ``topics`` list (and different titles)
with nothing planted: they measure document-level precision. Same-topic pairs that share a run
of ``NEGATIVE_MAX_RUN`` (25) words or more are passed over (and counted): they are real,
unplanted reuse, a story re-written under a new title or a paragraph carried into a follow-up.
A drawn pair whose stories share an exact run of ``NEGATIVE_EXACT_RUN`` (12) words (a plain
test on sets of word 12-grams, ``shares_exact_run``) is not scored either: it holds wire
wording carried from one story to the other, so linking it is not a false detection. Its
stories stay in the corpus, so the scan and the cases are the same as without the test.
Every document is used once. The whole draw depends only on ``--seed`` and ``--split``.

**Detectors**, all on the same pairs:

* ``dedup``: ``scan(records, Config())`` once over every document of the split (sources,
  suspicious documents, negatives), as a user would run it; each alignment of a scored pair is
  one detection;
* ``naive``: shared word 8-grams (lower-cased ``\\w+`` words) between the two documents, the
  consecutive ones on one diagonal merged into maximal runs and runs overlapping in both
  documents merged, one detection per run;
* ``containment``: document level only, word 3-gram containment ``|A ∩ B| / min(|A|, |B|)`` at
  a threshold chosen on dev (``CONTAINMENT_THRESHOLD``; a dev run prints the best one).

**Measures** (``pan_measures.py``): PAN's macro character precision and recall over both
documents' spans, granularity and plagdet (Potthast et al., COLING 2010), and document-pair
precision and recall (a case pair is found when a detection overlaps its case in both
documents). Per kind and level, the cases of that level and every detection on their pairs;
overall, every case and every detection on a case or negative pair.

    python benchmarks/edited.py --split dev
    python benchmarks/edited.py --split test
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import collections
import statistics
import time

import numpy as np
from edited_corpus import NEGATIVE_EXACT_RUN, NEGATIVE_MAX_RUN, SPLITS, build
from edited_edits import LEVELS
from edited_scores import (
    CONTAINMENT_NGRAM,
    CONTAINMENT_THRESHOLD,
    NAIVE_NGRAM,
    containment,
    dedup_detections,
    fmt,
    markdown,
    naive_detections,
    pan_cells,
    print_dedup_failures,
    print_held_out,
    print_targets,
    target_rows,
)
from pan_measures import Annotation, DocumentPair, Scores, found_pairs, score

from dedup.config import Config
from dedup.pipeline import scan

__all__ = ["LEVELS", "main", "target_rows"]  # tests/test_pan_measures.py imports them here


def config_with(settings: list[str]) -> Config:
    """``Config()`` with ``NAME=VALUE`` settings (each value of the field's type)."""
    changes = {}
    for item in settings:
        name, _, value = item.partition("=")
        default = getattr(Config(), name)
        changes[name] = type(default)(value)
    return Config(**changes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=SPLITS, default="dev")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", type=int, default=40, help="cases per kind and level")
    parser.add_argument("--negatives", type=int, default=200, help="same-topic negative pairs")
    parser.add_argument("--workers", type=int, default=1, help="threads of dedup scan")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Config setting other than its default (to sweep a setting on dev)",
    )
    args = parser.parse_args()

    from scan_speed import provenance

    config = config_with(args.set)
    print(provenance(sys.argv[1:], Path(__file__).name))
    print(
        f"split: {args.split} (Reuters-21578 stories whose sha256(id) is "
        f"{SPLITS.index(args.split) % 2} mod 2), seed {args.seed}, {args.cases} cases per "
        f"level, {args.negatives} negative pairs"
    )
    print(
        f"dedup: scan(records, Config({', '.join(args.set)})) defaults: shingle "
        f"{config.shingle_size} words, "
        f"passages >= {config.min_passage_words} words copied exactly, gaps <= "
        f"{config.max_gap_words} words, pieces of heavy revisions >= "
        f"{config.min_fragment_words} words, workers {args.workers}; naive: shared word "
        f"{NAIVE_NGRAM}-gram runs; containment: word {CONTAINMENT_NGRAM}-grams >= "
        f"{CONTAINMENT_THRESHOLD}"
    )
    print(flush=True)

    clock = time.perf_counter()
    bench = build(args.split, args.seed, args.cases, args.negatives)
    build_seconds = time.perf_counter() - clock
    case_pairs = [c.truth.pair for c in bench.cases]
    scored = set(case_pairs) | set(bench.negatives)

    clock = time.perf_counter()
    result = scan(bench.records, config, workers=args.workers)
    scan_seconds = time.perf_counter() - clock
    dedup_found, dedup_flagged = dedup_detections(result.pairs, scored)

    clock = time.perf_counter()
    naive_found = naive_detections([*case_pairs, *bench.negatives], bench.texts)
    naive_seconds = time.perf_counter() - clock
    contained = {pair: containment(bench.texts[pair[0]], bench.texts[pair[1]]) for pair in scored}

    megabytes = sum(len(r.text.encode()) for r in bench.records) / 1e6
    print(
        f"corpus: {len(bench.records):,} documents ({megabytes:.1f} MB): {len(bench.cases)} "
        f"cases (source + suspicious), {len(bench.negatives)} negative pairs "
        f"({bench.negatives_set_aside} same-topic pairs sharing a run of {NEGATIVE_MAX_RUN}+ "
        f"words passed over as real reuse; {len(bench.negatives_sharing_run)} drawn pairs sharing "
        f"an exact run of {NEGATIVE_EXACT_RUN}+ words not scored: "
        f"{', '.join(' / '.join(pair) for pair in bench.negatives_sharing_run) or 'none'}); "
        f"built in "
        f"{build_seconds:.1f} s; dedup scan {scan_seconds:.1f} s ({len(result.pairs):,} pairs "
        f"in the whole corpus); naive {naive_seconds:.1f} s"
    )
    print()

    groups = collections.defaultdict(list)
    for case in bench.cases:
        groups[case.level].append(case)

    print("Cases generated:")
    print()
    rows = []
    for level, cases in groups.items():
        words = [c.passage_words for c in cases]
        unit = "chars" if level.kind == "ocr" else "words"
        rows.append(
            [
                level.kind,
                level.name,
                str(len(cases)),
                f"{statistics.mean(words):.0f}",
                f"{min(words)}–{max(words)}",
                f"{statistics.mean(c.edited for c in cases):.3f} of {unit}",
            ]
        )
    print(markdown(["kind", "level", "cases", "words", "range", "edited (mean)"], rows))
    print()

    def on(pairs: set[DocumentPair], detections: list[Annotation]) -> list[Annotation]:
        return [d for d in detections if d.pair in pairs]

    negatives = set(bench.negatives)
    # "all": the kinds of LEVELS (the held-out kinds are scored on their own)
    main_cases = [c for c in bench.cases if c.level in LEVELS]
    all_truths = [c.truth for c in bench.cases]
    # per detector: its detections and the document pairs it reports
    span_tools = {
        "dedup": (dedup_found, dedup_flagged),
        "naive": (naive_found, {d.pair for d in naive_found}),
    }
    table_sets = [
        *[(level.kind, level.name, str(len(cases)), cases) for level, cases in groups.items()],
        ("negative", "same topic", f"{len(negatives)} pairs", []),
        ("all", "", f"{len(main_cases)} + {len(negatives)} negative pairs", main_cases),
    ]

    print(
        "PAN measures, dedup beside the naive 8-gram baseline (P, R: macro character precision "
        "and recall; gran: granularity; doc-P, doc-R: document pairs; – where undefined):"
    )
    print()
    header = ["kind", "level", "cases"]
    for tool in span_tools:
        header += [f"{tool} {m}" for m in ("P", "R", "gran", "plagdet", "doc-P", "doc-R")]
    rows = []
    scores_of: dict[tuple[str, str], dict[str, Scores]] = {}
    for kind, name, size, cases in table_sets:
        pairs = {c.truth.pair for c in cases}
        if kind in ("negative", "all"):
            pairs |= negatives
        row = [kind, name, size]
        for tool, (found, flagged) in span_tools.items():
            truths = [c.truth for c in cases]
            scores = score(truths, on(pairs, found), flagged=flagged & pairs)
            scores_of.setdefault((kind, name), {})[tool] = scores
            row += pan_cells(scores)
        rows.append(row)
    print(markdown(header, rows))
    print()
    print_targets(scores_of, [level for level in groups])
    flagged_negatives = {
        tool: len(flagged & negatives) for tool, (_, flagged) in span_tools.items()
    }
    print_held_out(scores_of, flagged_negatives)

    # the document-level baseline: threshold from dev, and the best one on this split
    def contained_pairs(threshold: float) -> set[DocumentPair]:
        return {pair for pair, value in contained.items() if value >= threshold}

    def pair_f1(threshold: float) -> float:
        flagged = contained_pairs(threshold)
        found = flagged & set(case_pairs)
        if not found:
            return 0.0
        precision, recall = len(found) / len(flagged), len(found) / len(case_pairs)
        return 2 * precision * recall / (precision + recall)

    thresholds = np.round(np.arange(0.01, 1.0, 0.01), 2).tolist()
    best = max(thresholds, key=lambda t: (pair_f1(t), -t))
    flagged_by = {tool: flagged for tool, (_, flagged) in span_tools.items()}
    flagged_by["containment"] = contained_pairs(CONTAINMENT_THRESHOLD)
    hit_by = {tool: found_pairs(all_truths, found) for tool, (found, _) in span_tools.items()}
    hit_by["containment"] = flagged_by["containment"] & set(case_pairs)
    print(
        f"Document pairs, all three detectors (containment at {CONTAINMENT_THRESHOLD}; the best "
        f"threshold on this split would be {best}, pair F1 {pair_f1(best):.3f} against "
        f"{pair_f1(CONTAINMENT_THRESHOLD):.3f}; in brackets, pairs flagged):"
    )
    print()
    header = ["kind", "level", "pairs"]
    header += [f"{tool} {m}" for tool in flagged_by for m in ("doc-P", "doc-R")]
    rows = []
    for kind, name, size, cases in table_sets:
        planted = {c.truth.pair for c in cases}
        pairs = planted | (negatives if kind in ("negative", "all") else set())
        row = [kind, name, size]
        for tool, flagged in flagged_by.items():
            mine, hits = flagged & pairs, hit_by[tool] & planted
            precision = len(hits) / len(mine) if mine else None
            recall = len(hits) / len(planted) if planted else None
            row += [f"{fmt(precision)} ({len(mine)})", fmt(recall)]
        rows.append(row)
    print(markdown(header, rows))
    print()

    print_dedup_failures(bench, groups, dedup_found, negatives, flagged_by)


if __name__ == "__main__":
    main()
