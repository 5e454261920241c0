"""A route for heavy revisions that was tried and left out of dedup (issue #20): link two
texts when they share enough *rare* word 3-grams *in the same order*, densely.

A 3-gram is a key when it has no digit and at most ``--max-df`` documents of the corpus hold
it (wire templates, "qtr net shr", "mln dlrs vs", are held by thousands). Two documents are
compared when they share ``--min-chain`` keys; their score is the longest chain of shared
keys in the same order in both texts, cut where two consecutive keys of the chain lie more
than ``--max-gap`` words apart in either text (a dense span), the best piece kept. A pair
scoring ``--min-chain`` or more is linked. The route is run on its own, beside
``dedup.pipeline.scan`` with its defaults, on two sets:

* Clough–Stevenson: answers linked to their source, by category and by half (dev: answers
  whose id hashes to an even number, as in ``benchmarks/quality.py``), among the answers
  dedup does not link;
* Reuters-21578 (every article with a body): the pairs the route links that dedup does not,
  and a sample of them (``--sample``, drawn with ``--seed``) with their titles and the runs of
  3+ words they share, to read.

    python benchmarks/edited_ordered_grams.py
    python benchmarks/edited_ordered_grams.py --max-gap 30 --min-chain 10
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import bisect
import collections
import difflib
import gzip
import itertools
import json
import re
import time

import numpy as np
from quality import load, part_of

from dedup.config import Config
from dedup.pipeline import scan
from dedup.types import Record

REUTERS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "reuters21578"
WORD = re.compile(r"\w+")


def keys_of(text: str) -> list[str | None]:
    """Each word 3-gram of ``text`` (lower-cased ``\\w+`` words), None where it holds a digit."""
    words = WORD.findall(text.lower())
    grams = [" ".join(words[i : i + 3]) for i in range(len(words) - 2)]
    return [None if any(c.isdigit() for c in g) else g for g in grams]


def ordered_score(a: list[str | None], b: list[str | None], rare: set[str], gap: int) -> int:
    """The longest chain of shared rare keys in the same order in ``a`` and ``b``, cut where
    consecutive keys lie more than ``gap`` positions apart in either, best piece."""
    where: dict[str, list[int]] = collections.defaultdict(list)
    for j, key in enumerate(b):
        if key in rare:
            where[key].append(j)
    tails: list[int] = []  # least last j of a chain of each length
    tail_at: list[int] = []  # index into hits of that least last j
    hits: list[tuple[int, int, int]] = []  # (i, j, previous hit or -1)
    for i, key in enumerate(a):
        for j in reversed(where.get(key, []) if key in rare else []):
            k = bisect.bisect_left(tails, j)
            hits.append((i, j, tail_at[k - 1] if k else -1))
            tails[k : k + 1] = [j]
            tail_at[k : k + 1] = [len(hits) - 1]
    if not tails:
        return 0
    chain, at = [], tail_at[-1]
    while at >= 0:
        chain.append(hits[at][:2])
        at = hits[at][2]
    chain.reverse()
    best = run = 1
    for (i0, j0), (i1, j1) in itertools.pairwise(chain):
        run = run + 1 if i1 - i0 <= gap and j1 - j0 <= gap else 1
        best = max(best, run)
    return best


def route(texts: list[str], max_df: int, min_chain: int, gap: int) -> dict[tuple[int, int], int]:
    """Pairs of documents (by index, smaller first) the route links, with their score."""
    keys = [keys_of(t) for t in texts]
    frequency: collections.Counter = collections.Counter()
    for k in keys:
        frequency.update({g for g in k if g is not None})
    rare = {g for g, n in frequency.items() if 2 <= n <= max_df}
    postings: dict[str, list[int]] = collections.defaultdict(list)
    for doc, k in enumerate(keys):
        for g in {g for g in k if g in rare}:
            postings[g].append(doc)
    shared: collections.Counter = collections.Counter()
    for docs in postings.values():
        shared.update(itertools.combinations(docs, 2))
    linked = {}
    for (x, y), n in shared.items():
        if n >= min_chain:
            score = ordered_score(keys[x], keys[y], rare, gap)
            if score >= min_chain:
                linked[(x, y)] = score
    return linked


def clough(args: argparse.Namespace) -> None:
    rows = load("clough-stevenson")
    index = {r["id"]: k for k, r in enumerate(rows)}
    result = scan([Record(r["id"], r["text"]) for r in rows], Config())
    dedup = {(p.a, p.b) for p in result.pairs} | {(p.b, p.a) for p in result.pairs}
    linked = route([r["text"] for r in rows], args.max_df, args.min_chain, args.max_gap)
    print("Clough–Stevenson: answers linked to their source (dedup defaults; route alone):")
    print()
    print("| category | half | answers | dedup | route | route, not dedup |")
    print("|---|---|---|---|---|---|")
    for category in ("cut", "light", "heavy", "non"):
        for half in ("dev", "test"):
            part = [r for r in rows if r["category"] == category and part_of(r["id"]) == half]
            pair = {r["id"]: tuple(sorted((index[r["id"]], index[r["source_id"]]))) for r in part}
            ours = {r["id"] for r in part if pair[r["id"]] in linked}
            theirs = {r["id"] for r in part if (r["id"], r["source_id"]) in dedup}
            print(
                f"| {category} | {half} | {len(part)} | {len(theirs)} | {len(ours)} | "
                f"{', '.join(sorted(ours - theirs)) or '–'} |"
            )
    print()


def reuters(args: argparse.Namespace) -> None:
    with gzip.open(REUTERS / "reuters21578.jsonl.gz", "rt", encoding="utf-8") as handle:
        rows = [r for r in map(json.loads, handle) if r.get("text")]
    clock = time.process_time()
    result = scan([Record(r["id"], r["text"]) for r in rows], Config())
    dedup = {(p.a, p.b) for p in result.pairs} | {(p.b, p.a) for p in result.pairs}
    scan_cpu, clock = time.process_time() - clock, time.process_time()
    linked = route([r["text"] for r in rows], args.max_df, args.min_chain, args.max_gap)
    route_cpu = time.process_time() - clock
    added = sorted((x, y) for x, y in linked if (rows[x]["id"], rows[y]["id"]) not in dedup)
    print(
        f"Reuters-21578 ({len(rows):,} articles): dedup links {len(result.pairs):,} pairs "
        f"({scan_cpu:.1f} CPU s); the route {len(linked):,} ({route_cpu:.1f} CPU s), "
        f"{len(added):,} of them not linked by dedup."
    )
    print()
    rng = np.random.default_rng(args.seed)
    picked = sorted(rng.choice(len(added), min(args.sample, len(added)), replace=False))
    print(f"A sample of {len(picked)} of the added pairs (seed {args.seed}):")
    print()
    print("| pair | score | dates | titles | runs of 3+ words shared (first ones) |")
    print("|---|---|---|---|---|")
    for k in picked:
        x, y = added[k]
        a, b = WORD.findall(rows[x]["text"].lower()), WORD.findall(rows[y]["text"].lower())
        blocks = difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
        runs = " / ".join(" ".join(a[m.a : m.a + m.size]) for m in blocks if m.size >= 3)
        print(
            f"| {rows[x]['id']} / {rows[y]['id']} | {linked[(x, y)]} | "
            f"{rows[x].get('date', '')} / {rows[y].get('date', '')} | "
            f"{rows[x].get('title', '')} / {rows[y].get('title', '')} | {runs[:300]} |"
        )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-df", type=int, default=50, help="most documents holding a key")
    parser.add_argument("--min-chain", type=int, default=12, help="fewest keys in order")
    parser.add_argument("--max-gap", type=int, default=1_000_000, help="words between keys")
    parser.add_argument("--sample", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clough-only", action="store_true")
    args = parser.parse_args()
    print(f"command: python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}".rstrip())
    print(
        f"route: rare 3-grams (no digit, held by 2..{args.max_df} documents), >= "
        f"{args.min_chain} in order, consecutive ones <= {args.max_gap} words apart"
    )
    print()
    clough(args)
    if not args.clough_only:
        reuters(args)


if __name__ == "__main__":
    main()
