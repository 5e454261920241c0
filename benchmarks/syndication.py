"""Syndication networks with exact truth, and how well ``dedup chains`` and ``dedup clean``
recover them (issue #21).

The generator builds many small networks ("stories") in one corpus, so that outlet
boilerplate recurs across articles as it does in a real crawl. Per story:

* a **wire** story: a Reuters-21578 story (paragraphs as sent, a dateline
  ``CITY, Dec 10 (Reuters) -``), outlet ``Reuters``, dated with a time of day. In about 20 %
  of stories the wire story is **not in the corpus**: its subscribers are then siblings,
  copies of an absent source with no true edge between them;
* 2–6 **subscribers** (newspapers) reprinting it later the same day or 1–2 days on, full or
  trimmed to its first paragraphs or with one paragraph dropped, with 0–4 word substitutions
  (house style: "pct" → "percent", "dlrs" → "dollars", …), the "(Reuters)" credit struck in
  about 40 % and a local lead sentence of their own in about 30 %; half of the subscriber
  outlets print a copyright footer under every article;
* 0–2 **rewriters** embedding 1–3 consecutive paragraphs of the wire or of a subscriber (then
  with that subscriber's edits) among 3–6 paragraphs of their own reporting, and in about
  20 % paragraphs of both; some end with "Reuters contributed to this report.";
* 0–3 **scrapers** re-publishing one subscriber's whole version (its edits and lead, not the
  wire's wording) with scraper debris: "Read more: <another story's headline>" teasers
  between paragraphs, often a second flat copy of the body (one paragraph, before or after
  it), a tag list ("Tags: Cocoa, Brazil"), share buttons, a newsletter line and a comment
  form ("Leave a Reply / Your email address will not be published ...") that are the same
  in every article of that outlet (three scrapers share WordPress's comment form word for
  word, the others have their own).

Besides the stories, 40 % as many **control** articles: unrelated Reuters stories
published by scrapers and subscribers with the same outlet furniture, so they share nothing
with the rest but boilerplate.

The outlets' own text is BASIL paragraphs (other stories, other years); a leading sentence
is the first sentence of a BASIL paragraph. No word 8-gram of a wire story, control or own
paragraph appears in another one (each is checked against everything used before it), so
every text two articles share is planted, but for a rare accidental 8-gram across a
paragraph break an edit made. Reuters stories (by id) and BASIL stories (by story id) are
split into two fixed halves by a hash (``--split dev`` or ``test``); defaults are tuned on
dev and reported on test.

Dates: the wire story has a time of day; subscribers, rewriters and scrapers follow it by
half an hour to two days; each outlet either prints times (``2016-12-10T09:30:00``) or only
dates (``2016-12-10``). A true copy whose source and copy fall on the same day with a time
missing on either side cannot be ordered by dates.

Truth (``truth.json``):

* ``articles``: per id, its ``role``, ``story``, ``outlet``, ``date``, ``sources`` (direct
  source ids; empty for the wire, controls, and copies of an absent wire, which have
  ``absent_source: true``) and ``debris`` (``start``, ``end``, ``kind``: flat-copy,
  teaser, tags, share, newsletter, comments, footer);
* ``edges``: every direct copy ``source`` → ``target`` with ``kind`` (wire→subscriber,
  wire→rewriter, subscriber→rewriter, subscriber→scraper), ``date_orders`` (whether the
  printed dates order the pair) and ``spans``: the maximal runs of words the target took
  from the source, ``source_start``/``source_end``/``target_start``/``target_end``
  half-open ``str`` offsets, the same text in both;
* ``pairs``: every pair that shares copied text (a run of at least 8 words with the same
  origin outside debris), with its ``relation``: ``direct``, ``ancestor`` (one descends
  from the other through a third article) or ``sibling`` (neither descends from the other;
  ``common_source_in_corpus`` says whether a common ancestor is in the corpus);
* ``boilerplate_pairs``: pairs that are not true pairs but share a word 8-gram touching
  debris in both (outlet furniture, WordPress's form, a headline in two teasers);
* ``accidental_pairs``: other pairs sharing a word 8-gram: formulaic wire phrases that
  meet across a paragraph break an edit made (0 or 1 per corpus).

Scoring runs ``dedup chains`` and ``dedup clean`` on the written corpus as a user would
(``python -m dedup`` in a subprocess, default settings), and ``dedup chains`` once more on
the cleaned corpus; beside them a naive baseline: every two articles sharing a word 8-gram
are linked and directed from the earlier date to the later (ties by id). See
``docs/accuracy-chains.md`` for the measures.

    python benchmarks/syndication.py --split dev --seed 0
    python benchmarks/syndication.py --split test --seed 0 -o /tmp/syn-test   # keep the files
    python benchmarks/syndication.py --split dev --generate-only -o /tmp/syn-dev
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from syndication_generator import generate_network, load, write
from syndication_report import (
    markdown,
    print_calibration,
    print_common_nodes,
    print_corpus,
    print_debris,
    print_goals,
    print_links,
    print_outcomes,
    print_reasons,
    print_siblings,
    print_wrong_edges,
)
from syndication_scoring import (
    agency_alike,
    chains_prediction,
    edge_reason,
    goals,
    naive_prediction,
    reads_as_the_wire,
    score_debris,
    score_links,
    score_reasons,
    text_equivalents,
    truth_prediction,
)
from syndication_sources import BASIL, DATA, REUTERS, ROOT, SCRAPER_OUTLETS, STORIES

# the generator, scorer and tables live in syndication_{sources,generator,scoring,report}.py;
# these are the names the tests and other scripts use through this module
__all__ = [
    "BASIL",
    "DATA",
    "REUTERS",
    "SCRAPER_OUTLETS",
    "agency_alike",
    "chains_prediction",
    "edge_reason",
    "generate_network",
    "goals",
    "load",
    "naive_prediction",
    "reads_as_the_wire",
    "score_links",
    "score_reasons",
    "text_equivalents",
    "truth_prediction",
    "write",
]

# --- running dedup ----------------------------------------------------------------------------


def run_dedup(command: str, corpus: Path, out: Path) -> float:
    """Run ``python -m dedup COMMAND corpus -o out -q`` on this work tree's dedup; wall
    seconds."""
    if out.exists():
        shutil.rmtree(out)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    clock = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "dedup", command, str(corpus), "-o", str(out), "-q"],
        check=True,
        env=env,
    )
    return time.perf_counter() - clock


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stories", type=int, default=STORIES)
    parser.add_argument(
        "-o", "--out", type=Path, help="folder to keep the corpus, truth and outputs in"
    )
    parser.add_argument(
        "--generate-only", action="store_true", help="write corpus and truth, score nothing"
    )
    args = parser.parse_args(argv)
    from scan_speed import provenance  # the header every benchmark prints

    print(provenance(list(sys.argv[1:] if argv is None else argv), Path(__file__).name))
    print()
    clock = time.perf_counter()
    records, truth = generate_network(args.seed, args.split, stories=args.stories)
    seconds = time.perf_counter() - clock
    with tempfile.TemporaryDirectory(prefix="syndication-") as scratch:
        folder = args.out or Path(scratch)
        corpus = write(records, truth, folder)
        print_corpus(records, truth, seconds)
        if args.generate_only:
            print(f"written: {corpus} and {folder / 'truth.json'}")
            return
        times = {
            "dedup chains": run_dedup("chains", corpus, folder / "chains"),
            "dedup clean": run_dedup("clean", corpus, folder / "clean"),
        }
        times["dedup chains on the cleaned corpus"] = run_dedup(
            "chains", folder / "clean" / corpus.name, folder / "clean-chains"
        )
        clock = time.perf_counter()
        naive = naive_prediction(records)
        times["naive 8-gram"] = time.perf_counter() - clock
        same = text_equivalents(records, truth)
        predicted = chains_prediction(read_jsonl(folder / "chains" / "chains.jsonl"))
        scores = {
            "dedup chains": score_links(truth, predicted, same),
            "clean → chains": score_links(
                truth,
                chains_prediction(read_jsonl(folder / "clean-chains" / "chains.jsonl")),
                same,
            ),
            "naive 8-gram": score_links(truth, naive, same),
        }
        debris = score_debris(records, truth, read_jsonl(folder / "clean" / "cuts.jsonl"))
        reasons = score_reasons(truth, read_jsonl(folder / "chains" / "chains.jsonl"))
    print_links(scores)
    print_outcomes(scores)
    print_siblings(scores)
    dedup_scores = {k: v for k, v in scores.items() if v["calibration"]}
    print_wrong_edges(dedup_scores)
    print_common_nodes(dedup_scores)
    print_calibration({k: v for k, v in scores.items() if v["calibration"]})
    print_reasons(reasons)
    print_debris(debris)
    print(markdown(["step", "seconds"], [[k, f"{v:.1f}"] for k, v in times.items()]))
    print_goals(goals(scores["dedup chains"], debris))
    (alike, missed), copies = agency_alike(truth, same, predicted.directed), len(truth["edges"])
    print(
        f"Of the {copies:,} true copies, {alike:,} were taken from an outlet's article whose "
        "copied words the wire's own article holds too, word for word (only what the copy "
        f"left out can tell them apart); dedup chains misses {missed:,} of them. Were every "
        f"other copy found, strict edge recall would be {1 - missed / copies:.3f}."
    )


if __name__ == "__main__":
    main()
