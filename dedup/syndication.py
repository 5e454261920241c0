"""Syndication chains: who took whose copy, as a forest, from the evidence a researcher uses.

This module composes the stage: it marks boilerplate passages (furniture never makes an
edge), asks :mod:`dedup.parents` for every article's direct parent(s), and writes each
decision as edges with their evidence, plus the per-article and per-outlet tables and the
graph. Credit lines and agency outlets are found by :mod:`dedup.credits`; dates, words and
the evidence lines about two carriers are in :mod:`dedup.carriers`.

Edges
-----
* ``P → T`` (``directed``): ``P`` is the direct source of ``T``; its evidence says what
  orders them: ``agency`` (``P`` is a wire agency's own article), ``date`` (``P`` is dated
  earlier) or ``outlet`` (same day without times, and ``T``'s outlet re-publishes other
  outlets' copy while ``P``'s does not); ``edits`` when ``P`` is another outlet's article
  dated earlier whose changes to the agency's text ``T`` carries.
* ``inferred:<passage> → T`` (undirected): ``T`` and the other members of that node share a
  source the evidence cannot name or order; its ``order`` evidence gives the reason:
  ``unordered`` (same day without a time, or undated, and no outlet habit orders them),
  ``date-only`` (dated first, but neither is an agency article and the later one's outlet
  is not known to re-publish), ``alike`` (earlier articles that hold exactly the words it
  took, none of them an agency's: the text cannot tell which), ``wire-habit`` (their
  outlets take their copy from the wire, and the wire's article is not in the corpus) or
  ``credit`` (an agency credit line, and no agency article among the candidates).

Evidence kinds: ``agency``, ``date``, ``credit``, ``containment`` (what the target shares
with its parent and with the others), ``via`` (a candidate explained by the parent: its edge
is dropped as transitive, or the two share a source), ``outlet`` (an outlet's habit, learnt
from the corpus), ``order`` (why an edge is undirected). An item that favours anything
but the edge's source says what outweighed it.

Confidence
----------
The share of directed edges of that kind (what orders them and, for the agency rule,
whether the copy is most of the target) that were right on the dev split of
``benchmarks/syndication.py`` (see :data:`CONFIDENCE`); 0.5 for kinds not measured there.
Undirected edges carry 0 (they claim no direction).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dedup.carriers import (
    Carrier,
    Words,
    agency_evidence,
    credit_evidence,
    date_evidence,
    order_key,
    passage_order,
    passage_spans,
)
from dedup.chain_groups import GroupedReuse, hang_members, without_members
from dedup.config import Config
from dedup.copy_words import Shared, shared_outside
from dedup.credits import credit_lines, find_credits, outlet_agency
from dedup.errors import StageError
from dedup.furniture import (
    BOILERPLATE,
    REUSE,
    UNKNOWN_OUTLET,
    CorpusFacts,
    boilerplate_spans,
    passage_kinds,
)
from dedup.parents import (
    INFERRED_PREFIX,
    REPUBLISHER,
    WIRE,
    Forest,
    decide,
    habit_cases,
)
from dedup.types import (
    ArticleReuse,
    ChainEdge,
    ChainsResult,
    Evidence,
    OutletReuse,
    Pair,
    PassageCluster,
    Record,
    ScanResult,
)

if TYPE_CHECKING:  # networkx loads when the chains graph is built, not for every command
    import networkx as nx

__all__ = ["build_chains", "chain_graph", "credit_lines", "evidence_record", "find_credits"]

#: Confidence of a directed edge by what orders it, and for the agency rule whether the
#: copy is most of the target (``whole``: at least :data:`WHOLE_SHARE` of its words) or a
#: few passages among its own text (``part``: any version carrying them could be the
#: source). Each is the share of such edges that were right on the dev split of
#: benchmarks/syndication.py (seed 0), rounded down to 0.05; kinds that do not occur there
#: (two agency articles ordered by date) get 0.5.
CONFIDENCE = {
    "agency, whole": 0.95,  # 309 of 309
    "agency, part": 0.75,  # 52 of 69: rewrites that took an outlet's version
    "date": 0.95,  # 43 of 45
    "edits": 0.95,  # 64 of 67: the copy carries the source's changes to the agency's text
    "outlet": 0.9,  # 59 of 63
}
WHOLE_SHARE = 0.6
COMMON_PREFIX = INFERRED_PREFIX
#: ``OutletReuse.sources`` name for copy taken from an unnamed common original.
COMMON_OUTLET = "common source"
_EVIDENCE_ORDER = {
    "agency": 0,
    "date": 1,
    "outlet": 2,
    "credit": 3,
    "containment": 4,
    "via": 5,
}
_REASONS = {
    "unordered": "nothing orders them (same day without a time of day, or date unknown; no "
    "agency outlet; neither outlet's habit orders them)",
    "wire-habit": "their outlets take their copy from the wire agency, whose article is "
    "not in the corpus",
    "credit": "a credit line names a wire agency whose article is not in the corpus; the "
    "copy is agency copy, not taken from another outlet",
    "date-only": "one is dated first, but nothing shows the later one took the text from it "
    "rather than from a common source (neither is an agency article, and the later one's "
    "outlet is not known to re-publish)",
    "alike": "two or more earlier articles hold exactly the words it took, and no agency "
    "article among them is their common source: the text cannot tell which one it took",
}


def _words_of(mask: np.ndarray) -> int:
    return int(np.count_nonzero(mask))


def _sorted_evidence(evidence: Iterable[Evidence]) -> tuple[Evidence, ...]:
    unique = dict.fromkeys(evidence)
    return tuple(sorted(unique, key=lambda e: (_EVIDENCE_ORDER.get(e.kind, 9), e.detail)))


def _outweighed(evidence: Iterable[Evidence], source: str, by: str) -> list[Evidence]:
    """Items favouring anything but ``source`` say that they were outweighed, and by what."""
    out = []
    for item in evidence:
        if item.favours not in (None, source) and "outweighed" not in item.detail:
            item = Evidence(item.kind, item.favours, f"{item.detail}; outweighed by {by}")
        out.append(item)
    return out


def _habit_line(doc: Carrier, forest: Forest) -> Evidence | None:
    habit = forest.habits.get(doc.outlet)
    if habit is None or habit.kind is None:
        return None
    return Evidence(
        "outlet",
        None,
        f"{doc.outlet} ({doc.id}'s outlet) {habit.kind}: of {habit.cases} of its copies "
        f"with a wire agency's article among their sources, {habit.from_wire} took from it",
    )


def confidence(reason: str, source: Carrier, target: Carrier, share: float) -> float:
    """The calibrated confidence of a directed edge (:data:`CONFIDENCE`); ``share`` is the
    part of the target's words the source covers."""
    if reason == "agency":
        return CONFIDENCE["agency, whole" if share >= WHOLE_SHARE else "agency, part"]
    if reason == "date" and source.agency and target.agency:
        return 0.5
    return CONFIDENCE.get(reason, 0.5)


def _directed_edge(
    target: str, source: str, reason: str, forest: Forest, shared: Shared,
    docs: dict[str, Carrier],
) -> ChainEdge:  # fmt: skip
    t, p = docs[target], docs[source]
    mask = shared.masks[source]
    evidence: list[Evidence] = [*agency_evidence(p, t), date_evidence(p, t)]
    agency_docs = {p.agency: p.id} if p.agency else {}
    for item in credit_evidence(t, source if p.agency else "", agency_docs):
        if item.favours != source:
            item = Evidence(
                item.kind, None, item.detail + f"; it names no outlet, and {p.id} comes first"
            )
        evidence.append(item)
    for doc in (p, t):
        line = _habit_line(doc, forest)
        if line is not None:
            if reason == "outlet":
                line = Evidence(line.kind, source, line.detail)
            evidence.append(line)
    evidence.append(
        Evidence(
            "containment",
            source,
            f"{target} shares {_words_of(mask)} of its {len(mask)} words with {source}, "
            "which explains what it shares with every other candidate"
            + (
                "; a few passages among its own text: another version carrying them "
                "could be the source"
                if _words_of(mask) < WHOLE_SHARE * len(mask)
                else ""
            )
            + (
                f"; it carries {source}'s changes to the agency's text, which "
                f"{', '.join(c for c in forest.via.get(target, ()) if docs[c].agency)} lacks"
                if reason == "edits"
                else ""
            ),
        )
    )
    alike = forest.alike.get(target, ())
    if alike:
        evidence.append(
            Evidence(
                "containment",
                None,
                f"{', '.join(alike)} hold the same words for what {target} took: the text "
                f"cannot tell which it took them from, so it hangs from their common source",
            )
        )
    via = forest.via.get(target, ())
    for c in via:
        evidence.append(
            Evidence(
                "via",
                None,
                f"{c} → {target} dropped: the {_words_of(shared.masks[c])} words {target} "
                f"shares with {c} lie within what it shares with {source}",
            )
        )
    found = _sorted_evidence(
        _outweighed(evidence, source, f"the {reason} order and the containment of {source}")
    )
    score = confidence(reason, p, t, _words_of(mask) / max(1, len(mask)))
    return ChainEdge(
        source=source,
        target=target,
        directed=True,
        confidence=round(score, 3),
        passages=tuple(sorted(set(shared.passages[source]), key=passage_order)),
        reused_words=_words_of(mask),
        evidence=found,
    )


def _peers_whole(grouped: GroupedReuse) -> dict[str, set[str]]:
    """Per article outside the copy groups, the members kept among its candidates (its
    peers) and their representatives: what each shares with it is compared over the
    whole texts (the scan aligned the members with their representative only)."""
    out = {}
    for doc, peers in grouped.peers.items():
        if doc not in grouped.representative:
            out[doc] = peers | {grouped.representative[m] for m in peers}
    return out


def _inferred_edges(
    node: str, members: Sequence[str], forest: Forest, shared: dict[str, Shared],
    docs: dict[str, Carrier],
) -> list[ChainEdge]:  # fmt: skip
    out = []
    rank = {m: k for k, m in enumerate(members)}
    for m in members:
        others = sorted((c for c in shared[m].masks if c != m and c in rank), key=rank.__getitem__)
        mask = np.zeros_like(next(iter(shared[m].masks.values())))
        passages: set[str] = set()
        for c in others:
            mask |= shared[m].masks[c]
            passages.update(shared[m].passages[c])
        reason = forest.hung.get(m, "unordered")
        evidence: list[Evidence] = [
            Evidence("order", None, f"undirected ({reason}): {_REASONS[reason]}")
        ]
        for c in others[:3]:
            evidence.append(date_evidence(docs[m], docs[c]))
        evidence.extend(credit_evidence(docs[m], node, {}))
        line = _habit_line(docs[m], forest)
        if line is not None:
            evidence.append(line)
        out.append(
            ChainEdge(
                source=node,
                target=m,
                directed=False,
                confidence=0.0,
                passages=tuple(sorted(passages, key=passage_order)),
                reused_words=_words_of(mask),
                evidence=_sorted_evidence(
                    _outweighed(evidence, node, f"the reason {node} stands instead ({reason})")
                ),
            )
        )
    return out


@dataclass(frozen=True)
class _Reuse:
    words: Words
    docs: dict[str, Carrier]
    kinds: dict[str, str]
    reuse: list[PassageCluster]
    boilerplate_only: list[Pair]
    credited: dict[str, bool]
    furniture: dict[str, list[tuple[int, int]]]


def _reuse_of(
    records: Iterable[Record], scan_result: ScanResult, config: Config, corpus: CorpusFacts | None
) -> _Reuse:
    """The carriers, the kind of each passage and the reuse passages of a scan."""
    by_id = {r.id: r for r in records}
    missing = [d.id for d in scan_result.documents if d.id not in by_id]
    if missing:
        raise StageError(f"chains: scanned document {missing[0]!r} is not among the records")
    words = Words({d.id: by_id[d.id].text for d in scan_result.documents})
    docs = {
        info.id: Carrier(
            id=info.id,
            outlet=info.outlet,
            date=info.date,
            agency=outlet_agency(info.outlet, config.wire_agencies),
            credits=find_credits(by_id[info.id].text, config.wire_agencies),
            text_end=len(by_id[info.id].text.rstrip()),
        )
        for info in scan_result.documents
    }
    furniture = boilerplate_spans(
        [by_id[d.id] for d in scan_result.documents], words, config, corpus=corpus
    )
    kinds = passage_kinds(
        scan_result.passages, furniture, words, docs, config,
        per_outlet=corpus.per_outlet if corpus is not None else None,
    )  # fmt: skip
    reuse = [p for p in scan_result.passages if kinds[p.id] == REUSE and len(p.docs) >= 2]
    boilerplate_only = [
        p for p in scan_result.pairs
        if p.alignments and all(kinds.get(a.cluster) == BOILERPLATE for a in p.alignments)
    ]  # fmt: skip
    credited = {d: any(c.kind == "credit line" for c in docs[d].credits) for d in docs}
    return _Reuse(words, docs, kinds, reuse, boilerplate_only, credited, furniture)


def part_habit_cases(
    records: Iterable[Record], scan_result: ScanResult, config: Config, corpus: CorpusFacts
) -> dict[str | None, list[int]]:
    """Per outlet, the copies of this part of a corpus counted for its habit
    (:func:`dedup.parents.habit_cases`; the parts' counts add up to the corpus'), from the
    passages :func:`build_chains` decides pairwise (copy groups' members left out, as there)."""
    part = _reuse_of(records, scan_result, config, corpus)
    grouped = without_members(part.reuse, scan_result.groups, part.words, part.furniture)
    shared = shared_outside(grouped.passages, part.words, part.furniture)
    return habit_cases(
        {d: found for d, found in shared.items() if d not in grouped.representative}, part.docs
    )


def outlet_reuse(
    articles: Sequence[ArticleReuse], docs: dict[str, Carrier]
) -> tuple[OutletReuse, ...]:
    """The outlets' table of ``articles`` (``docs``: at least every directed source)."""
    return _outlets(articles, docs)


def build_chains(
    records: Iterable[Record],
    scan_result: ScanResult,
    config: Config | None = None,
    *,
    corpus: CorpusFacts | None = None,
) -> ChainsResult:
    """Decide every article's direct source(s): the syndication forest of a scan.

    Parameters
    ----------
    records : iterable of Record
        The scanned records (any order; others are ignored): their text for credit lines and
        word offsets, their outlet and date.
    scan_result : ScanResult
        The scan of those records; its passages are the reuse.
    config : Config, optional
        ``wire_agencies`` and the boilerplate settings are used.
    corpus : CorpusFacts, optional
        What is learnt from the whole corpus when ``records`` are a part of it (whole
        connected sets of documents: :mod:`dedup.chains_spilled`); by default learnt from
        ``records``.

    Returns
    -------
    ChainsResult
        Edges sorted by (first passage, source, target), articles by id, outlets by name.
    """
    config = config or scan_result.config
    part = _reuse_of(records, scan_result, config, corpus)
    words, docs, kinds, reuse = part.words, part.docs, part.kinds, part.reuse
    boilerplate_only, credited = part.boilerplate_only, part.credited
    grouped = without_members(reuse, scan_result.groups, words, part.furniture)
    forest, shared = decide(
        grouped.passages, docs, words, credited, part.furniture,
        habits=corpus.habits if corpus is not None else None, skip=grouped.representative,
        whole=_peers_whole(grouped),
    )  # fmt: skip
    if grouped.member_passages:
        forest = hang_members(grouped, reuse, forest, shared, docs, words, credited, part.furniture)
    edges: list[ChainEdge] = []
    for target, found in forest.parents.items():
        for source, reason in found:
            edges.append(_directed_edge(target, source, reason, forest, shared[target], docs))
    for node, members in forest.inferred.items():
        edges.extend(_inferred_edges(node, members, forest, shared, docs))
    edges.sort(
        key=lambda e: (
            passage_order(e.passages[0]) if e.passages else (-1, ""),
            e.source,
            order_key(docs[e.target]),
        )
    )
    chain_edges = tuple(edges)
    articles = _articles(scan_result, docs, chain_edges, words)
    outlets = _outlets(articles, docs)
    touched = {d for e in chain_edges for d in (e.source, e.target)}
    transitive = sum(
        1
        for t, via in forest.via.items()
        for c in via
        if t in forest.parents and c not in {s for s, _ in forest.parents[t]}
    )
    counts = {
        "documents": len(docs),
        "reuse_passages": len(reuse),
        "boilerplate_passages": sum(1 for k in kinds.values() if k == BOILERPLATE),
        "boilerplate_only_pairs": len(boilerplate_only),
        "edges": len(chain_edges),
        "directed_edges": sum(1 for e in chain_edges if e.directed),
        "common_edges": sum(1 for e in chain_edges if not e.directed),
        "common_sources": len(forest.inferred),
        "via_dropped": transitive,
        "outlets_wire_habit": sum(1 for h in forest.habits.values() if h.kind == WIRE),
        "outlets_republishing": sum(1 for h in forest.habits.values() if h.kind == REPUBLISHER),
        "documents_reusing": sum(1 for a in articles if a.reused_words),
        "documents_without_edges": sum(1 for d in docs if d not in touched),
    }
    return ChainsResult(
        config,
        scan_result,
        chain_edges,
        articles,
        outlets,
        counts,
        passage_kinds=kinds,
        boilerplate_pairs=tuple(sorted((p.a, p.b) for p in boilerplate_only)),
    )


# --- tables -------------------------------------------------------------------------------


def _articles(
    scan_result: ScanResult, docs: dict[str, Carrier], edges: Sequence[ChainEdge], words: Words
) -> tuple[ArticleReuse, ...]:
    """Per document: its words inside passages it took from someone (a common source
    included), per source, and the rest as its own."""
    incoming: dict[str, list[ChainEdge]] = defaultdict(list)
    for edge in edges:
        incoming[edge.target].append(edge)
    spans_in = passage_spans(scan_result.passages)
    out = []
    for info in scan_result.documents:
        taken = incoming.get(info.id, [])
        spans = [s for e in taken for p in e.passages for s in spans_in[p].get(info.id, ())]
        reused = words.count(info.id, spans)
        per_source: dict[str, int] = defaultdict(int)
        for edge in taken:
            per_source[edge.source] += edge.reused_words
        doc = docs[info.id]
        out.append(
            ArticleReuse(
                doc=info.id,
                outlet=info.outlet,
                date=info.date,
                words=info.words,
                reused_words=reused,
                reused_fraction=reused / info.words if info.words else 0.0,
                original_words=info.words - reused,
                sources=tuple(sorted(per_source.items(), key=lambda kv: (-kv[1], kv[0]))),
                credits=tuple(dict.fromkeys(c.agency for c in doc.credits)),
            )
        )
    return tuple(out)


def _outlets(articles: Sequence[ArticleReuse], docs: dict[str, Carrier]) -> tuple[OutletReuse, ...]:
    """Per outlet (``(unknown)`` when the input names none): how much of its copy came
    from which source outlet (``common source`` for an unnamed common original)."""
    grouped: dict[str, list[ArticleReuse]] = defaultdict(list)
    for article in articles:
        grouped[article.outlet or UNKNOWN_OUTLET].append(article)
    out = []
    for outlet in sorted(grouped):
        members = grouped[outlet]
        per_source: dict[str, int] = defaultdict(int)
        for article in members:
            for source, count in article.sources:
                name = (
                    COMMON_OUTLET
                    if source.startswith(COMMON_PREFIX)
                    else docs[source].outlet or UNKNOWN_OUTLET
                )
                per_source[name] += count
        total = sum(a.words for a in members)
        reused = sum(a.reused_words for a in members)
        out.append(
            OutletReuse(
                outlet=outlet,
                documents=len(members),
                words=total,
                reused_words=reused,
                reused_fraction=reused / total if total else 0.0,
                sources=tuple(sorted(per_source.items(), key=lambda kv: (-kv[1], kv[0]))),
            )
        )
    return tuple(out)


# --- graph --------------------------------------------------------------------------------


def evidence_record(evidence: Evidence) -> dict[str, str | None]:
    return {"kind": evidence.kind, "favours": evidence.favours, "detail": evidence.detail}


def chain_graph(result: ChainsResult) -> nx.DiGraph:
    """The chains as a directed graph.

    Nodes are every scanned document (``kind="document"``, with ``outlet``, ``date``,
    ``words``, ``reused_words``, ``reused_fraction``, ``credits``) and every common source
    (``kind="common"``); missing values are empty strings so the graph exports to GraphML.
    Each edge runs source → target with ``directed``, ``confidence``, ``passages`` (space
    separated ids), ``reused_words`` and ``evidence`` (a JSON list of
    ``{kind, favours, detail}``).
    """
    import networkx as nx  # loaded by the chains stage only

    graph = nx.DiGraph(name="dedup chains")
    for article in result.articles:
        graph.add_node(
            article.doc,
            kind="document",
            outlet=article.outlet or "",
            date=article.date or "",
            words=article.words,
            reused_words=article.reused_words,
            reused_fraction=round(article.reused_fraction, 6),
            credits="; ".join(article.credits),
        )
    for edge in result.edges:
        if edge.source not in graph:
            graph.add_node(
                edge.source,
                kind="common",
                outlet="",
                date="",
                words=0,
                reused_words=0,
                reused_fraction=0.0,
                credits="",
            )
        graph.add_edge(
            edge.source,
            edge.target,
            directed=edge.directed,
            confidence=edge.confidence,
            passages=" ".join(edge.passages),
            reused_words=edge.reused_words,
            evidence=json.dumps([evidence_record(e) for e in edge.evidence], ensure_ascii=False),
        )
    return graph
