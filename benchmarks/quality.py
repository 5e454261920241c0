"""Accuracy on real labelled data: story clustering (BASIL, GoogleNews-TS) and passage reuse
(Clough–Stevenson).

Story clustering runs ``dedup.pipeline.stories`` with its defaults, the same path as
``dedup stories`` (clean, passage links from scan, then ``StoryClusterer``), and scores its
**event** level against the labels (each label is one event: BASIL's three reports of one
happening; GoogleNews-TS is undated, so there each story is one event); the story level's
ARI is printed beside it. The defaults
were chosen on the **dev** half of each set (the stories whose id hashes to an even number)
and are reported on the **test** half (the other stories); the full sets are printed too.
Beside them is the baseline a careful user would build: ``TfidfVectorizer`` (sublinear tf,
English stop words, title + text) and average-linkage clustering on cosine distance, with
its distance threshold swept over 0.30–0.99 and the best ARI kept **on the very part it is
compared on** (an oracle-tuned upper bound for that method).

Reuters-21578 has no story labels; on its articles with a body (the whole ``dedup stories``
path, defaults) the two goals of issue #22 that can be checked without labels are printed:
the share of dated articles in events spanning more than 7 days (goal: at most 5 %) and the
groups of re-sent items (``exact_dup_group``) each inside one event (goal: all 282).
``--no-reuters`` leaves it out (it is the longest run of the stories section);
``--reuters-only`` runs it alone.

Passage reuse runs ``dedup.pipeline.scan`` with its defaults on all 100 Clough–Stevenson
texts; an answer counts as reuse detected when the pair (answer, its source text) is
reported. ``cut``, ``light`` and ``heavy`` answers are reuse, ``non`` answers are not. The
figures are printed for the whole set and for its two halves by the same hash of the
answer's id (``dev``: even): ``min_fragment_words`` was chosen on the dev half (and on
``benchmarks/edited.py --split dev``), nothing else was tuned on it. Beside dedup, in the same
run, a word 3-gram containment baseline (the share of the answer's 3-grams its source holds)
at the threshold with the best F1 on the dev half. Then what each heavy answer dedup misses
shares with its source, beside the non-reuse answers that share most
(docs/accuracy-edited.md reads it).

    python benchmarks/quality.py
    python benchmarks/quality.py --reuse-only --set min_fragment_words=12   # a dev sweep
    python benchmarks/quality.py --reuters-only
"""

from __future__ import annotations

import argparse
import bisect
import collections
import difflib
import gzip
import hashlib
import json
import math
import platform
import re
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dedup.config import Config
from dedup.pipeline import scan, stories
from dedup.types import Record

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
THRESHOLDS = np.round(np.arange(0.30, 1.00, 0.01), 2)


def load(name: str) -> list[dict]:
    with gzip.open(DATA / name / f"{name}.jsonl.gz", "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def part_of(story: str) -> str:
    """``dev`` or ``test``: a fixed split of the stories (never of their articles)."""
    return "dev" if int(hashlib.sha256(story.encode()).hexdigest(), 16) % 2 == 0 else "test"


def bcubed(true: list, pred: list) -> tuple[float, float, float]:
    both = collections.Counter(zip(true, pred))
    in_true, in_pred = collections.Counter(true), collections.Counter(pred)
    precision = sum(both[(t, p)] / in_pred[p] for t, p in zip(true, pred)) / len(true)
    recall = sum(both[(t, p)] / in_true[t] for t, p in zip(true, pred)) / len(true)
    return precision, recall, 2 * precision * recall / (precision + recall)


def pairwise(true: list, pred: list) -> tuple[float, float, float]:
    def pairs(counter):
        return sum(n * (n - 1) / 2 for n in counter.values())

    same_both = pairs(collections.Counter(zip(true, pred)))
    same_pred, same_true = pairs(collections.Counter(pred)), pairs(collections.Counter(true))
    precision = same_both / same_pred if same_pred else 1.0
    recall = same_both / same_true if same_true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def measures(true: list, pred: list) -> dict[str, float]:
    b_p, b_r, b_f = bcubed(true, pred)
    p_p, p_r, p_f = pairwise(true, pred)
    return {
        "ARI": adjusted_rand_score(true, pred),
        "NMI": normalized_mutual_info_score(true, pred),
        "B3 P": b_p,
        "B3 R": b_r,
        "B3 F1": b_f,
        "pair P": p_p,
        "pair R": p_r,
        "pair F1": p_f,
    }


def baseline(rows: list[dict]) -> tuple[float, float]:
    """Best ARI of the tuned baseline on ``rows``, and its threshold."""
    texts = [(row.get("title") or "") + "\n" + row["text"] for row in rows]
    vectors = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)
    distance = 1.0 - (vectors @ vectors.T).toarray()
    np.fill_diagonal(distance, 0.0)
    distance = np.clip((distance + distance.T) / 2, 0.0, 2.0)
    condensed = distance[np.triu_indices(len(rows), k=1)]
    tree = linkage(condensed, method="average")
    true = [row["story"] for row in rows]
    best = max(
        (adjusted_rand_score(true, fcluster(tree, t, criterion="distance")), t) for t in THRESHOLDS
    )
    return best


def story_rows(name: str) -> tuple[list[dict], list[dict]]:
    """The table rows of ``name``, and its whole-set run scored on each half's items."""
    table, halves = [], []
    rows = load(name)
    for part in ("test", "dev", "full"):
        chosen = rows if part == "full" else [r for r in rows if part_of(str(r["story"])) == part]
        records = [
            Record(str(r["id"]), r["text"], title=r.get("title"), date=r.get("date"),
                   outlet=r.get("outlet"))
            for r in chosen
        ]  # fmt: skip
        start = time.perf_counter()
        result = stories(records)
        seconds = time.perf_counter() - start
        # the labels are of events (BASIL: one happening, three reports; GoogleNews-TS is
        # undated, so its events are its stories): the event level is the one scored
        label = {member: e.id for e in result.events for member in e.members}
        story_label = {member: s.id for s in result.stories for member in s.members}
        true = [str(r["story"]) for r in chosen]
        pred = [label[str(r["id"])] for r in chosen]
        story_pred = [story_label[str(r["id"])] for r in chosen]
        base_ari, base_threshold = baseline(chosen)
        if part == "full":
            for half in ("dev", "test"):
                mine = [k for k, r in enumerate(chosen) if part_of(str(r["story"])) == half]
                halves.append(
                    {
                        "set": name,
                        "items": half,
                        "docs": len(mine),
                        "ARI in the whole-set run": adjusted_rand_score(
                            [true[k] for k in mine], [pred[k] for k in mine]
                        ),
                    }
                )
        table.append(
            {
                "set": name,
                "part": part,
                "docs": len(chosen),
                "true events": len(set(true)),
                "events found": len(result.events),
                **measures(true, pred),
                "stories found": len(result.stories),
                "story-level ARI": adjusted_rand_score(true, story_pred),
                "baseline ARI": base_ari,
                "baseline threshold": base_threshold,
                "seconds": seconds,
            }
        )
    return table, halves


def days_spanned(group) -> int:
    """Days between a story's (or event's) first and last date; 0 when undated."""
    if not group.first_date:
        return 0
    first = date.fromisoformat(group.first_date[:10])
    return (date.fromisoformat(group.last_date[:10]) - first).days


def reuters_checks(rows: list[dict], result) -> dict:
    """What can be checked on Reuters-21578 without labels, of a stories ``result`` on
    ``rows``: events' spans and the re-sent items (``exact_dup_group``) against the goals."""
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for r in rows:
        if r.get("exact_dup_group") is not None:
            groups[str(r["exact_dup_group"])].append(str(r["id"]))
    event_of = {m: e.id for e in result.events for m in e.members}
    in_one = sum(len({event_of[m] for m in members}) == 1 for members in groups.values())
    dated = sum(1 for r in rows if r.get("date"))
    long_events = sum(len(e.members) for e in result.events if days_spanned(e) > 7)
    return {
        "docs": len(rows),
        "dated": dated,
        "events": len(result.events),
        "largest event": max(len(e.members) for e in result.events),
        "dated in events over 7 days": f"{long_events:,} ({long_events / dated:.1%})",
        "goal: at most 5%": "met" if long_events <= 0.05 * dated else "not met",
        "re-sent groups in one event": f"{in_one}/{len(groups)}",
        "goal: all": "met" if in_one == len(groups) else "not met",
    }


def reuters_records() -> tuple[list[dict], list[Record]]:
    """Reuters-21578's rows with a text, and their records (title, date and outlet kept)."""
    rows = [r for r in load("reuters21578") if r["text"].strip()]
    records = [
        Record(str(r["id"]), r["text"], title=r.get("title"), date=r.get("date"),
               outlet=r.get("outlet"))
        for r in rows
    ]  # fmt: skip
    return rows, records


def reuters_goals() -> list[dict]:
    """The Reuters-21578 goals, on the ``dedup stories`` path with its defaults."""
    rows, records = reuters_records()
    return [reuters_checks(rows, stories(records))]


def event_spans(name: str) -> list[dict]:
    """Days between the first and last report of each labelled event, by half (the event
    window of ``dedup.events`` is the longest span on the dev half)."""
    spans: dict[str, list[date]] = collections.defaultdict(list)
    for row in load(name):
        if row.get("date"):
            spans[str(row["story"])].append(date.fromisoformat(row["date"][:10]))
    out = []
    for half in ("dev", "test"):
        days = [(max(d) - min(d)).days for s, d in spans.items() if part_of(s) == half]
        if days:
            out.append({"set": name, "half": half, "events": len(days),
                        "longest span, days": max(days),
                        "median span, days": float(np.median(days))})  # fmt: skip
    return out


def shared_labels(name: str) -> list[dict]:
    """Texts carried word for word under more than one story label, by pair of labels."""
    labels: dict[str, set[str]] = collections.defaultdict(set)
    for row in load(name):
        labels[row["text"]].add(str(row["story"]))
    pairs = collections.Counter(
        " and ".join(sorted(found)) for found in labels.values() if len(found) > 1
    )
    return [
        {"set": name, "story labels": pair, "identical texts": n}
        for pair, n in sorted(pairs.items(), key=lambda item: (-item[1], item[0]))
    ]


def longest_shared_run(a: str, b: str) -> int:
    """Words in the longest exact run of words (case folded) that ``a`` and ``b`` share."""
    words_a, words_b = re.findall(r"\w+", a.lower()), re.findall(r"\w+", b.lower())
    matcher = difflib.SequenceMatcher(None, words_a, words_b, autojunk=False)
    return matcher.find_longest_match(0, len(words_a), 0, len(words_b)).size


def containment(a: str, b: str, n: int = 3) -> float:
    """``|A ∩ B| / |A|``: the share of the word ``n``-grams of ``a`` (an answer) that ``b``
    (its source) holds too."""
    words_a, words_b = re.findall(r"\w+", a.lower()), re.findall(r"\w+", b.lower())
    grams_a = {tuple(words_a[i : i + n]) for i in range(len(words_a) - n + 1)}
    grams_b = {tuple(words_b[i : i + n]) for i in range(len(words_b) - n + 1)}
    return len(grams_a & grams_b) / len(grams_a) if grams_a else 0.0


def baseline_links(rows: list[dict]) -> tuple[set[tuple[str, str]], float]:
    """The pairs (answer, source) a word 3-gram containment baseline links, at the threshold
    with the best F1 on the dev half (the lowest of equals), and that threshold."""
    text = {row["id"]: row["text"] for row in rows}
    answers = [r for r in rows if r["category"] != "orig"]
    score = {r["id"]: containment(r["text"], text[r["source_id"]]) for r in answers}
    dev = [r for r in answers if part_of(r["id"]) == "dev"]

    def f1(threshold: float) -> float:
        linked = {(r["id"], r["source_id"]) for r in dev if score[r["id"]] >= threshold}
        values = reuse_table(dev, linked, "")
        return float(values[2]["value"])

    thresholds = np.round(np.arange(0.01, 1.0, 0.01), 2).tolist()
    best = max(thresholds, key=lambda t: (f1(t), -t))
    return {(r["id"], r["source_id"]) for r in answers if score[r["id"]] >= best}, best


def reuse_rows(config: Config | None = None) -> tuple[list[dict], list[dict], list[dict]]:
    """The reuse table (the whole set, then the dev and test halves of the answers), dedup
    beside the word 3-gram containment baseline (its threshold chosen on the dev half), and
    the cut and light answers not found (with their longest run of words shared with their
    source)."""
    rows = load("clough-stevenson")
    result = scan([Record(r["id"], r["text"]) for r in rows], config or Config())
    linked = {(p.a, p.b) for p in result.pairs} | {(p.b, p.a) for p in result.pairs}
    base, threshold = baseline_links(rows)
    out = []
    for half in ("all", "dev", "test"):
        part = [r for r in rows if half == "all" or part_of(r["id"]) == half]
        mine = reuse_table(part, linked, "" if half == "all" else f"{half} half: ")
        theirs = reuse_table(part, base, "")
        for row, other in zip(mine, theirs):
            row[f"3-gram containment >= {threshold:.2f} (chosen on dev)"] = other["value"]
        out += mine
    text = {row["id"]: row["text"] for row in rows}
    missed = [
        {
            "answer": row["id"],
            "category": row["category"],
            "words": len(re.findall(r"\w+", row["text"])),
            "longest run shared with its source": longest_shared_run(
                row["text"], text[row["source_id"]]
            ),
        }
        for row in rows
        if row["category"] in ("cut", "light") and (row["id"], row["source_id"]) not in linked
    ]
    return out, missed, heavy_evidence(rows, linked)


def shared_grams(a: str, b: str, n: int) -> int:
    """How many distinct word ``n``-grams ``a`` and ``b`` share."""
    words_a, words_b = re.findall(r"\w+", a.lower()), re.findall(r"\w+", b.lower())
    grams_a = {tuple(words_a[i : i + n]) for i in range(len(words_a) - n + 1)}
    return len(grams_a & {tuple(words_b[i : i + n]) for i in range(len(words_b) - n + 1)})


def ordered_shared_grams(a: str, b: str, n: int = 3) -> int:
    """The most word ``n``-grams of ``a`` that ``b`` holds *in the same order*: the longest
    chain of shared ``n``-gram positions increasing in both texts."""
    words_a, words_b = re.findall(r"\w+", a.lower()), re.findall(r"\w+", b.lower())
    where: dict[tuple[str, ...], list[int]] = collections.defaultdict(list)
    for j in range(len(words_b) - n + 1):
        where[tuple(words_b[j : j + n])].append(j)
    tails: list[int] = []  # patience sorting: the least last j of a chain of each length
    for i in range(len(words_a) - n + 1):
        for j in reversed(where.get(tuple(words_a[i : i + n]), [])):
            k = bisect.bisect_left(tails, j)
            tails[k : k + 1] = [j]
    return len(tails)


def rare_word_share(a: str, b: str, document_frequency: collections.Counter, n_docs: int) -> float:
    """The share of ``a``'s distinct words that ``b`` holds, each weighted by its inverse
    document frequency in the set (``log(n_docs / df)``): a topic word every answer uses
    weighs little, a word only the source and ``a`` use weighs most."""
    words_a, words_b = set(re.findall(r"\w+", a.lower())), set(re.findall(r"\w+", b.lower()))
    weight = {w: math.log(n_docs / document_frequency[w]) for w in words_a}
    total = sum(weight.values())
    return sum(weight[w] for w in words_a & words_b) / total if total else 0.0


def heavy_evidence(rows: list[dict], linked: set[tuple[str, str]]) -> list[dict]:
    """What each heavy answer dedup misses shares with its source, beside the non-reuse
    answers that share most (the four with the highest 3-gram containment in each half)."""
    text = {row["id"]: row["text"] for row in rows}
    frequency: collections.Counter = collections.Counter()
    for row in rows:
        frequency.update(set(re.findall(r"\w+", row["text"].lower())))
    answers = [r for r in rows if r["category"] != "orig"]
    score = {r["id"]: containment(r["text"], text[r["source_id"]]) for r in answers}
    chosen = [
        r for r in answers if r["category"] == "heavy" and (r["id"], r["source_id"]) not in linked
    ]
    for half in ("dev", "test"):
        non = [r for r in answers if r["category"] == "non" and part_of(r["id"]) == half]
        chosen += sorted(non, key=lambda r: -score[r["id"]])[:4]
    return [
        {
            "answer": r["id"],
            "category": r["category"],
            "half": part_of(r["id"]),
            "found": (r["id"], r["source_id"]) in linked,
            "longest run": longest_shared_run(r["text"], text[r["source_id"]]),
            "shared 5-grams": shared_grams(r["text"], text[r["source_id"]], 5),
            "3-gram containment": score[r["id"]],
            "3-grams in order": ordered_shared_grams(r["text"], text[r["source_id"]]),
            "rare-word share": rare_word_share(
                r["text"], text[r["source_id"]], frequency, len(rows)
            ),
        }
        for r in sorted(chosen, key=lambda r: (r["category"], part_of(r["id"]), r["id"]))
    ]


def reuse_table(rows: list[dict], linked: set[tuple[str, str]], prefix: str) -> list[dict]:
    """Precision, recall, F1 and the answers found per category, of ``rows``."""
    by_category: dict[str, list[bool]] = collections.defaultdict(list)
    for row in rows:
        if row["category"] != "orig":
            by_category[row["category"]].append((row["id"], row["source_id"]) in linked)
    positives = [x for c in ("cut", "light", "heavy") for x in by_category[c]]
    negatives = by_category["non"]
    true_pos, false_pos = sum(positives), sum(negatives)
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 1.0
    recall = true_pos / len(positives)
    f1 = 2 * precision * recall / (precision + recall)
    out: list[dict] = [
        {"what": f"{prefix}reuse vs non-reuse: precision", "value": precision},
        {"what": f"{prefix}reuse vs non-reuse: recall", "value": recall},
        {"what": f"{prefix}reuse vs non-reuse: F1", "value": f1},
    ]
    for category in ("cut", "light", "heavy", "non"):
        found = by_category[category]
        out.append({"what": f"{prefix}{category}: detected", "value": f"{sum(found)}/{len(found)}"})
    return out


def print_table(rows: list[dict]) -> None:
    if not rows:
        print("(none)\n")
        return
    columns = list(rows[0])
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        cells = []
        for column in columns:
            value = row[column]
            if isinstance(value, float):
                value = (
                    f"{value:.2f}"
                    if column in ("seconds", "baseline threshold")
                    else (f"{value:.3f}")
                )
            cells.append(str(value))
        print("| " + " | ".join(cells) + " |")
    print()


def config_with(settings: list[str]) -> Config:
    """``Config()`` with ``NAME=VALUE`` settings (each value of the field's type)."""
    changes = {}
    for item in settings:
        name, _, value = item.partition("=")
        changes[name] = type(getattr(Config(), name))(value)
    return Config(**changes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse-only", action="store_true", help="Clough–Stevenson only")
    parser.add_argument("--no-reuters", action="store_true", help="leave Reuters-21578 out")
    parser.add_argument("--reuters-only", action="store_true", help="the Reuters-21578 goals only")
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="a Config setting"
    )
    args = parser.parse_args()
    config = config_with(args.set)
    print(f"command: python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}".rstrip())
    print(f"machine: Python {platform.python_version()}, {datetime.now(timezone.utc):%Y-%m-%d}")
    print()
    if args.reuters_only:
        reuters_table()
        return
    if not args.reuse_only:
        story_tables(reuters=not args.no_reuters)
    print(f"Passage reuse on Clough–Stevenson (dedup scan, Config({', '.join(args.set)})):")
    print()
    reuse, missed, evidence = reuse_rows(config)
    print_table(reuse)
    print("Copied (cut) and lightly revised answers not found:")
    print()
    print_table(missed)
    print(
        "Heavy revisions not found, beside the non-reuse answers sharing most with their "
        "source (word n-grams, lower-cased; rare-word share: idf-weighted, df over the 100 texts):"
    )
    print()
    print_table(evidence)


def story_tables(reuters: bool = True) -> None:
    print("Story clustering, dedup defaults (chosen on the dev halves) vs the tuned baseline:")
    print()
    basil, basil_halves = story_rows("basil")
    gnews, gnews_halves = story_rows("googlenews-ts")
    print_table(basil + gnews)
    print("The whole-set runs above, scored on the items of each half:")
    print()
    print_table(basil_halves + gnews_halves)
    print("Days spanned by one labelled event's reports (dated sets only):")
    print()
    print_table(event_spans("basil"))
    print("Texts carried word for word under two story labels (no text method can part them):")
    print()
    print_table(shared_labels("basil") + shared_labels("googlenews-ts"))
    if reuters:
        reuters_table()


def reuters_table() -> None:
    print("Reuters-21578 (no labels): the goals on events, dedup defaults:")
    print()
    print_table(reuters_goals())


if __name__ == "__main__":
    main()
