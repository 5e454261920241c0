"""The syndication benchmark's scorer: predictions of dedup, the naive baseline and the truth,
scored against the truth (see docs/accuracy-chains.md for the measures)."""

from __future__ import annotations

import collections
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from syndication_generator import (
    gram_pairs,
)
from syndication_sources import (
    DEBRIS_KINDS,
    WORD,
)

# --- predictions ------------------------------------------------------------------------------


@dataclass
class Prediction:
    """What a method says, in the terms the scorer uses.

    ``pairs`` are unordered linked pairs ``(a, b)`` with ``a < b``; ``directed`` maps each
    directed edge ``(source, target)`` between two articles to its confidence (None when the
    method gives none); ``common`` maps each common node (an unnamed shared source) to the
    articles hung from it.
    """

    pairs: set[tuple[str, str]]
    directed: dict[tuple[str, str], float | None]
    common: dict[str, set[str]] = field(default_factory=dict)


def chains_prediction(rows: Iterable[dict]) -> Prediction:
    """A prediction from the rows of ``chains.jsonl``.

    Two articles are a linked pair when they carry one reported passage: both are on edges
    (as source or target) that list the same passage id. Directed edges are the rows with
    ``directed: true``; a pair that several rows direct the same way keeps the highest
    confidence. Rows from ``common:…`` are the common nodes.
    """
    carriers: dict[str, set[str]] = collections.defaultdict(set)
    directed: dict[tuple[str, str], float | None] = {}
    common: dict[str, set[str]] = collections.defaultdict(set)
    for row in rows:
        source, target = row["source"], row["target"]
        is_common = source.startswith(("common:", "inferred:"))
        for passage in row["passages"]:
            carriers[passage].add(target)
            if not is_common:
                carriers[passage].add(source)
        if is_common:
            common[source].add(target)
        elif row["directed"]:
            key = (source, target)
            directed[key] = max(directed.get(key) or 0.0, float(row["confidence"]))
    pairs = {pair for docs in carriers.values() for pair in itertools.combinations(sorted(docs), 2)}
    return Prediction(pairs, directed, dict(common))


def naive_prediction(records: Sequence[dict]) -> Prediction:
    """The baseline: every two articles sharing a word 8-gram are linked, directed from the
    earlier date string to the later (ISO strings compare in time; a date without a time
    sorts before that day's times), ties by id."""
    texts = {r["id"]: r["text"] for r in records}
    order = {r["id"]: (r.get("date") or "", r["id"]) for r in records}
    pairs = gram_pairs(texts)
    directed: dict[tuple[str, str], float | None] = {}
    for a, b in pairs:
        source, target = (a, b) if order[a] < order[b] else (b, a)
        directed[(source, target)] = None
    return Prediction(pairs, directed)


def truth_prediction(truth: dict) -> Prediction:
    """The truth itself as a prediction: every true pair, every direct copy directed right
    with confidence 1 (the scorer must give it precision = recall = 1)."""
    pairs = {tuple(sorted((p["a"], p["b"]))) for p in truth["pairs"]}
    return Prediction(pairs, {(e["source"], e["target"]): 1.0 for e in truth["edges"]})


def _after(a: str, b: str) -> bool:
    """Whether the date ``a`` is after ``b`` (a later day, or the same day, both timed, later)."""
    if a[:10] != b[:10]:
        return a[:10] > b[:10]
    return len(a) > 10 and len(b) > 10 and a > b


def text_equivalents(records: Sequence[dict], truth: dict) -> dict[tuple[str, str], set[str]]:
    """Per true copy whose text cannot tell its source: the sources the text allows.

    A true copy ``source → target`` is *undeterminable by text* when another article, not
    dated after the target, holds every copied span word for word (words of letters and
    digits, any case), as the source does: a rewrite that embeds a subscriber's unchanged
    paragraphs reads exactly as the wire, or as a second subscriber that made the same
    changes. Its allowed sources are every such article, the true source, and the nearest
    common ancestor of them all in the corpus (the common source of the candidates). Copies
    the text can tell (only the source holds the words) are left out."""
    texts = {r["id"]: r["text"] for r in records}
    articles = truth["articles"]

    def words(text: str) -> str:
        return " " + " ".join(WORD.findall(text.lower())) + " "

    def outside_debris(doc: str) -> str:  # a scraper's teaser between paragraphs is no text
        text, cut = texts[doc], sorted(articles[doc]["debris"], key=lambda d: d["start"])
        keep, at = [], 0
        for span in cut:
            keep.append(text[at : span["start"]])
            at = max(at, span["end"])
        return " ".join([*keep, text[at:]])

    normal = {doc: words(outside_debris(doc)) for doc in texts}
    by_story: dict[int, list[str]] = collections.defaultdict(list)
    for doc, article in articles.items():
        by_story[article["story"]].append(doc)
    lineage: dict[str, list[str]] = {}

    def line_of(doc: str) -> list[str]:  # doc, then its ancestors, nearest first
        if doc not in lineage:
            found = [doc]
            for up in articles[doc]["sources"]:
                found += [a for a in line_of(up) if a not in found]
            lineage[doc] = found
        return lineage[doc]

    out: dict[tuple[str, str], set[str]] = {}
    for edge in truth["edges"]:
        source, target = edge["source"], edge["target"]
        spans = [words(texts[target][s["target_start"] : s["target_end"]]) for s in edge["spans"]]
        holders = {
            doc
            for doc in by_story[articles[target]["story"]]
            if doc not in (source, target)
            and target not in line_of(doc)
            and not _after(articles[doc]["date"], articles[target]["date"])
            and all(span in normal[doc] for span in spans)
        }
        if not holders:
            continue
        allowed = holders | {source}
        common = [a for a in line_of(source) if all(a in line_of(d) for d in allowed)]
        out[(source, target)] = allowed | set(common[:1])
    return out


# --- scoring ----------------------------------------------------------------------------------

EDGE_CLASSES = (
    "right",
    "text cannot tell",
    "reversed",
    "skips a link",
    "against a chain",
    "siblings, source in corpus",
    "siblings, source absent",
    "boilerplate only",
    "accidental 8-gram",
    "nothing shared",
)
OUTCOMES = ("right", "text cannot tell", "reversed", "abstained", "linked elsewhere", "not linked")
CONFIDENCE_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0001)


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None or precision + recall == 0:
        return None
    return 2 * precision * recall / (precision + recall)


class _TruthIndex:
    """The truth's pairs and edges as sets, and each article's ancestors."""

    def __init__(self, truth: dict, equivalents: dict | None = None) -> None:
        # per target, the sources the text allows for its undeterminable copies
        self.allowed: dict[str, set[str]] = collections.defaultdict(set)
        for (_, target), allowed in (equivalents or {}).items():
            self.allowed[target] |= allowed
        self.relation = {tuple(sorted((p["a"], p["b"]))): p for p in truth["pairs"]}
        self.edges = {(e["source"], e["target"]): e for e in truth["edges"]}
        self.boilerplate = {tuple(p) for p in truth["boilerplate_pairs"]}
        self.accidental = {tuple(p) for p in truth["accidental_pairs"]}
        sources = {doc: a["sources"] for doc, a in truth["articles"].items()}
        self.ancestors: dict[str, set[str]] = {}
        for doc in sources:
            stack, seen = list(sources[doc]), set()
            while stack:
                up = stack.pop()
                if up not in seen:
                    seen.add(up)
                    stack.extend(sources[up])
            self.ancestors[doc] = seen

    def edge_class(self, source: str, target: str) -> str:
        pair = tuple(sorted((source, target)))
        if (source, target) in self.edges:
            return "right"
        if (target, source) in self.edges:
            return "reversed"
        if source in self.allowed.get(target, ()):
            return "text cannot tell"
        if source in self.ancestors[target]:
            return "skips a link"
        if target in self.ancestors[source]:
            return "against a chain"
        found = self.relation.get(pair)
        if found and found["relation"] == "sibling":
            absent = not found["common_source_in_corpus"]
            return "siblings, source absent" if absent else "siblings, source in corpus"
        if pair in self.boilerplate:
            return "boilerplate only"
        if pair in self.accidental:
            return "accidental 8-gram"
        return "nothing shared"


def score_links(truth: dict, prediction: Prediction, equivalents: dict | None = None) -> dict:
    """Every link measure of one method against the truth (see docs/accuracy-chains.md).

    Returns a dict: ``pairs`` (precision, recall, F1, recall per relation, false pairs by
    kind), ``edges`` (precision, recall, F1 of directed edges, and the count of each
    :data:`EDGE_CLASSES`), ``outcomes`` (per true direct copy: ``OUTCOMES`` counts, overall,
    by ``date_orders`` and by kind), ``siblings``, ``boilerplate`` and ``calibration``.
    """
    index = _TruthIndex(truth, equivalents)
    true_pairs = set(index.relation)
    found = prediction.pairs & true_pairs
    precision = _ratio(len(found), len(prediction.pairs))
    recall = _ratio(len(found), len(true_pairs))
    by_relation = {}
    for relation in ("direct", "ancestor", "sibling"):
        wanted = {p for p, r in index.relation.items() if r["relation"] == relation}
        by_relation[relation] = (len(wanted & prediction.pairs), len(wanted))
    false_pairs = prediction.pairs - true_pairs
    pairs = {
        "predicted": len(prediction.pairs),
        "true": len(true_pairs),
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "recall_by_relation": by_relation,
        "false_boilerplate": len(false_pairs & index.boilerplate),
        "false_accidental": len(false_pairs & index.accidental - index.boilerplate),
        "false_other": len(false_pairs - index.boilerplate - index.accidental),
    }

    classes = collections.Counter(index.edge_class(s, t) for s, t in prediction.directed)
    right = classes["right"]
    edge_precision = _ratio(right, len(prediction.directed))
    edge_recall = _ratio(right, len(index.edges))
    edges = {
        "predicted": len(prediction.directed),
        "true": len(index.edges),
        "precision": edge_precision,
        "recall": edge_recall,
        "f1": _f1(edge_precision, edge_recall),
        "classes": {name: classes[name] for name in EDGE_CLASSES},
    }

    member_of: dict[str, set[str]] = collections.defaultdict(set)
    for node, docs in prediction.common.items():
        for doc in docs:
            member_of[doc].add(node)

    def under_one_common(a: str, b: str) -> bool:
        return bool(member_of[a] & member_of[b])

    def outcome(source: str, target: str) -> str:
        if (source, target) in prediction.directed:
            return "right"
        if (target, source) in prediction.directed:
            return "reversed"
        if under_one_common(source, target):
            return "abstained"
        if tuple(sorted((source, target))) in prediction.pairs:
            return "linked elsewhere"
        return "not linked"

    def told(source: str, target: str) -> str:
        result = outcome(source, target)
        allowed = (equivalents or {}).get((source, target), ())
        if result != "right" and any((x, target) in prediction.directed for x in allowed):
            return "text cannot tell"  # answered by a source the text cannot tell from it
        return result

    outcomes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for (source, target), edge in index.edges.items():
        result = told(source, target)
        outcomes["all"][result] += 1
        outcomes["dates order it" if edge["date_orders"] else "same day, a time missing"][
            result
        ] += 1
        outcomes[edge["kind"]][result] += 1

    # the scoring that lets the text's own ambiguity stand (see text_equivalents); the
    # figures above count only the true source as right
    answered = outcomes["all"]["right"] + outcomes["all"]["text cannot tell"]
    lenient_p = _ratio(right + classes["text cannot tell"], len(prediction.directed))
    lenient_r = _ratio(answered, len(index.edges))
    edges["undeterminable"] = len(equivalents or {})
    edges["precision, text"] = lenient_p
    edges["recall, text"] = lenient_r
    edges["f1, text"] = _f1(lenient_p, lenient_r)
    siblings = {}
    for in_corpus in (True, False):
        wanted = [
            p
            for p, r in index.relation.items()
            if r["relation"] == "sibling" and r["common_source_in_corpus"] == in_corpus
        ]
        siblings["source in corpus" if in_corpus else "source absent"] = {
            "pairs": len(wanted),
            "linked": sum(1 for p in wanted if p in prediction.pairs),
            "directed edge": sum(
                1
                for a, b in wanted
                if (a, b) in prediction.directed or (b, a) in prediction.directed
            ),
            "under one common node": sum(1 for a, b in wanted if under_one_common(a, b)),
        }
    boilerplate = {
        "pairs": len(index.boilerplate),
        "linked": len(index.boilerplate & prediction.pairs),
        "directed edge": sum(
            1
            for a, b in index.boilerplate
            if (a, b) in prediction.directed or (b, a) in prediction.directed
        ),
        "under one common node": sum(1 for a, b in index.boilerplate if under_one_common(a, b)),
    }
    roles = {doc: article["role"] for doc, article in truth["articles"].items()}
    wrong = collections.Counter(
        (f"{roles[s]}→{roles[t]}", index.edge_class(s, t)) for s, t in prediction.directed
    )
    wrong = {key: n for key, n in wrong.items() if key[1] != "right"}
    common_nodes = []
    for node, docs in prediction.common.items():
        pairs_under = list(itertools.combinations(sorted(docs), 2))
        common_nodes.append(
            {
                "node": node,
                "articles": len(docs),
                "outlets": len({truth["articles"][d]["outlet"] for d in docs}),
                "true pairs": sum(1 for pair in pairs_under if pair in index.relation),
                "boilerplate pairs": sum(1 for pair in pairs_under if pair in index.boilerplate),
                "pairs": len(pairs_under),
            }
        )
    common_nodes.sort(key=lambda row: (-row["articles"], row["node"]))

    calibration = []
    confident = [(c, k) for k, c in prediction.directed.items() if c is not None]
    for low, high in itertools.pairwise(CONFIDENCE_BINS):
        inside = [(c, k) for c, k in confident if low <= c < high]
        calibration.append(
            {
                "bin": f"{low:.1f}–{min(high, 1.0):.1f}",
                "edges": len(inside),
                "mean confidence": _ratio(sum(c for c, _ in inside), len(inside)),
                "share right": _ratio(sum(1 for _, k in inside if k in index.edges), len(inside)),
            }
        )
    # the test of calibration: of the edges given confidence ≥ 0.9, the share right
    top = [(c, k) for c, k in confident if c >= 0.9]
    calibration.append(
        {
            "bin": "≥ 0.9",
            "edges": len(top),
            "mean confidence": _ratio(sum(c for c, _ in top), len(top)),
            "share right": _ratio(sum(1 for _, k in top if k in index.edges), len(top)),
        }
    )
    return {
        "pairs": pairs,
        "edges": edges,
        "outcomes": {k: dict(v) for k, v in outcomes.items()},
        "siblings": siblings,
        "boilerplate": boilerplate,
        "wrong edges": dict(sorted(wrong.items(), key=lambda kv: (-kv[1], kv[0]))),
        "common nodes": common_nodes,
        "calibration": calibration if confident else [],
    }


def _visible(text: str, start: int, end: int) -> np.ndarray:
    """Mask of the non-white-space characters of ``text[start:end]``."""
    return np.frombuffer(text[start:end].encode("utf-32-le"), dtype=np.uint32) > 0x20


def score_debris(records: Sequence[dict], truth: dict, cuts: Sequence[dict]) -> dict:
    """Debris removal by the cuts (rows of ``cuts.jsonl``: ``doc``, ``start``, ``end``,
    ``reason``), counted in non-white-space characters.

    Returns precision (share of cut characters that are debris), recall (share of debris
    characters cut), F1, the share of the other characters kept, recall per debris kind and,
    per cut reason, the characters cut and the share of them that is debris.
    """
    by_doc: dict[str, list[dict]] = collections.defaultdict(list)
    for cut in cuts:
        by_doc[cut["doc"]].append(cut)
    debris_chars = cut_chars = cut_debris = other_chars = 0
    per_kind: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    per_reason: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for record in records:
        text = record["text"]
        visible = _visible(text, 0, len(text))
        debris = np.zeros(len(text), dtype=bool)
        kind_of = np.full(len(text), -1, dtype=np.int8)
        for span in truth["articles"][record["id"]]["debris"]:
            debris[span["start"] : span["end"]] = True
            kind_of[span["start"] : span["end"]] = DEBRIS_KINDS.index(span["kind"])
        cut = np.zeros(len(text), dtype=bool)
        for row in by_doc.get(record["id"], []):
            cut[row["start"] : row["end"]] = True
            inside = visible[row["start"] : row["end"]]
            per_reason[row["reason"]][0] += int(inside.sum())
            per_reason[row["reason"]][1] += int((inside & debris[row["start"] : row["end"]]).sum())
        debris &= visible
        cut &= visible
        debris_chars += int(debris.sum())
        cut_chars += int(cut.sum())
        cut_debris += int((cut & debris).sum())
        other_chars += int((visible & ~debris).sum())
        for number, kind in enumerate(DEBRIS_KINDS):
            mine = debris & (kind_of == number)
            per_kind[kind][0] += int(mine.sum())
            per_kind[kind][1] += int((mine & cut).sum())
    precision = _ratio(cut_debris, cut_chars)
    recall = _ratio(cut_debris, debris_chars)
    return {
        "debris characters": debris_chars,
        "cut characters": cut_chars,
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "other text kept": _ratio(other_chars - (cut_chars - cut_debris), other_chars),
        "recall by kind": {k: (v[1], v[0]) for k, v in per_kind.items() if v[0]},
        "by reason": {k: (v[0], _ratio(v[1], v[0])) for k, v in sorted(per_reason.items())},
    }


def reads_as_the_wire(records: Sequence[dict], truth: dict) -> collections.Counter:
    """Per kind, the true copies taken from an outlet's version whose copied spans all read
    word for word (words of letters and digits, any case) as in the story's wire article,
    when that is in the corpus: no text tells the outlet's version from the wire's."""
    texts = {r["id"]: r["text"] for r in records}
    articles = truth["articles"]

    def words(text: str) -> str:
        return " " + " ".join(re.findall(r"[^\W_]+", text.lower())) + " "

    wires = {a["story"]: words(texts[k]) for k, a in articles.items() if a["role"] == "wire"}
    out: collections.Counter = collections.Counter()
    for edge in truth["edges"]:
        wire = wires.get(articles[edge["target"]]["story"])
        if wire is None or articles[edge["source"]]["role"] == "wire":
            continue
        target = texts[edge["target"]]
        if all(words(target[s["target_start"] : s["target_end"]]) in wire for s in edge["spans"]):
            out[edge["kind"]] += 1
    return out


def edge_reason(row: dict) -> str:
    """What orders a directed row of ``chains.jsonl``, read from its evidence (the keys of
    ``dedup.syndication.CONFIDENCE``): the agency rule (``whole`` or ``part``), the source's
    changes to the agency's text (``edits``), the outlet habit, or the date."""
    favours = {(e["kind"], e["favours"]) for e in row["evidence"]}
    details = " ".join(e["detail"] for e in row["evidence"] if e["kind"] == "containment")
    if ("agency", row["source"]) in favours:
        return "agency, part" if "a few passages" in details else "agency, whole"
    if "changes to the agency's text" in details:
        return "edits"
    if ("outlet", row["source"]) in favours:
        return "outlet"
    return "date"


def score_reasons(truth: dict, rows: Iterable[dict]) -> dict[str, tuple[int, int]]:
    """Per reason (:func:`edge_reason`): directed edges, and how many are true direct copies
    the right way (the figures behind ``dedup.syndication.CONFIDENCE``)."""
    true = {(e["source"], e["target"]) for e in truth["edges"]}
    out: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for row in rows:
        if row["directed"]:
            counts = out[edge_reason(row)]
            counts[0] += 1
            counts[1] += (row["source"], row["target"]) in true
    return {k: (v[0], v[1]) for k, v in sorted(out.items())}


def goals(score: dict, debris: dict | None = None) -> list[tuple[str, str, bool]]:
    """The "Done when" goals of issue #21 on one method's :func:`score_links` (and
    :func:`score_debris` for ``dedup clean``): per goal its text, the figures measured and
    whether it is met. Edge precision and recall are the strict ones (only the true source
    is right); direction is right ÷ (right + reversed) over the copies a directed edge
    answers either way."""
    pairs, edges = score["pairs"], score["edges"]
    siblings = sum(s["directed edge"] for s in score["siblings"].values())
    outcome = score["outcomes"].get("all", {})
    right, reversed_ = outcome.get("right", 0), outcome.get("reversed", 0)
    direction = _ratio(right, right + reversed_)
    top = [row for row in score["calibration"] if row["bin"] == "≥ 0.9"]
    top_right = top[0]["share right"] if top else None

    def at_least(value: float | None, bar: float) -> bool:
        return value is not None and value >= bar

    def fig(value: float | None) -> str:
        return "—" if value is None else f"{value:.3f}"

    out = [
        (
            "pair precision ≥ 0.98 at recall ≥ 0.98",
            f"{fig(pairs['precision'])} / {fig(pairs['recall'])}",
            at_least(pairs["precision"], 0.98) and at_least(pairs["recall"], 0.98),
        ),
        (
            "chain-edge precision ≥ 0.95 and recall ≥ 0.95 (strict)",
            f"{fig(edges['precision'])} / {fig(edges['recall'])}",
            at_least(edges["precision"], 0.95) and at_least(edges["recall"], 0.95),
        ),
        ("no edge between siblings", f"{siblings}", siblings == 0),
        (
            "direction right on ≥ 0.95 of the directed copies",
            fig(direction),
            at_least(direction, 0.95),
        ),
        (
            "of the edges at confidence ≥ 0.9, ≥ 90 % right",
            fig(top_right),
            at_least(top_right, 0.9),
        ),
    ]
    if debris is not None:
        out.append(
            (
                "debris F1 ≥ 0.95 with ≥ 0.995 of other text kept",
                f"{fig(debris['f1'])} / {fig(debris['other text kept'])}",
                at_least(debris["f1"], 0.95) and at_least(debris["other text kept"], 0.995),
            )
        )
    return out


def agency_alike(
    truth: dict,
    equivalents: dict[tuple[str, str], set[str]],
    directed: Iterable[tuple[str, str]] = (),
) -> tuple[int, int]:
    """True copies taken from an outlet's article whose copied words the wire story's own
    article (in the corpus, not dated after the copy) holds too, word for word
    (:func:`text_equivalents` allows it): only what the copy left out of the wire's text (a
    struck credit) can tell them from the wire. Returns how many, and how many of them no
    edge of ``directed`` (source, target) answers."""
    roles = {doc: article["role"] for doc, article in truth["articles"].items()}
    found = set(directed)
    alike = [
        edge
        for edge, allowed in equivalents.items()
        if roles[edge[0]] != "wire" and any(roles[a] == "wire" for a in allowed)
    ]
    return len(alike), sum(1 for edge in alike if edge not in found)
