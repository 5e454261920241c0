"""Words of the HTML report: how an article, a source, an edge and a pair verdict read.

The report names articles by outlet, date and headline (the id goes in small print), names a
common source by what it is ("AFP copy, original not in the corpus"), writes the evidence of
each edge as a sentence, and says for each pair who took from whom. These words come from the
result objects as they are (:class:`~dedup.types.ChainsResult`'s edges and articles); nothing
here measures anything. :func:`pair_verdict` is the one place that reads chain edges for a
pair, so a change in how chains are shaped touches only it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from dedup.parents import INFERRED_PREFIX
from dedup.types import ChainEdge, ChainsResult, Evidence, Record

#: The one word the report uses for a value the input does not give (outlet, date).
UNKNOWN = "unknown"
#: Words of a text shown as its headline when it has no title.
HEADLINE_WORDS = 12
#: Node ids of the inferred common sources (originals not in the corpus) start with this.
COMMON_PREFIX = INFERRED_PREFIX


def headline(record: Record | None, words: int = HEADLINE_WORDS) -> str:
    """The record's title, or the first ``words`` words of its text (with an ellipsis)."""
    if record is None:
        return UNKNOWN
    if record.title and record.title.strip():
        return " ".join(record.title.split())
    first = record.text.split(maxsplit=words)
    return " ".join(first[:words]) + ("…" if len(first) > words else "") if first else UNKNOWN


def article_label(record: Record | None) -> str:
    """``Outlet date: headline``, e.g. "Reuters 1987-03-11: Bank of England ...".

    The date keeps its time of day when the input gives one ("1987-03-11 09:34").
    """
    outlet = (record.outlet if record else None) or f"outlet {UNKNOWN}"
    date = (record.date if record else None) or f"date {UNKNOWN}"
    return f"{outlet} {date.replace('T', ' ')[:16]}: {headline(record)}"


def short_label(record: Record | None, words: int = 6) -> str:
    """``Outlet "first words of the headline…"``: an article named inside a sentence."""
    outlet = (record.outlet if record else None) or f"outlet {UNKNOWN}"
    return f"{outlet} “{_first(headline(record), words)}”"


def _first(text: str, words: int) -> str:
    parts = text.removesuffix("…").split(maxsplit=words)
    return " ".join(parts[:words]) + ("…" if len(parts) > words or text.endswith("…") else "")


_TOKEN = re.compile(r"[^\s'’\",:;()]+")


def name_ids(text: str, records: Mapping[str, Record]) -> str:
    """``text`` (an evidence detail, written with document ids) with each id of ``records``
    replaced by the article's outlet and first words of its headline."""
    return _TOKEN.sub(
        lambda m: short_label(records[m.group()]) if m.group() in records else m.group(), text
    )


def common_source_labels(chains: ChainsResult) -> dict[str, str]:
    """``inferred:<passage>`` → what that source is, from the credits of the articles carrying
    its copy: "AFP copy, original not in the corpus" (or "copy of an original not in the
    corpus" when no article credits anyone)."""
    credits: dict[str, set[str]] = defaultdict(set)
    articles = {a.doc: a for a in chains.articles}
    for edge in chains.edges:
        if edge.source.startswith(COMMON_PREFIX):
            article = articles.get(edge.target)
            credits[edge.source].update(article.credits if article else ())
    return {
        source: (
            f"{' / '.join(sorted(named))} copy, original not in the corpus"
            if named
            else "copy of an original not in the corpus"
        )
        for source, named in sorted(credits.items())
    }


def source_label(key: str, records: Mapping[str, Record], commons: Mapping[str, str]) -> str:
    """A chain node (document id or ``inferred:<passage>``) as a reader would name it."""
    if key.startswith(COMMON_PREFIX):
        return commons.get(key, "copy of an original not in the corpus")
    return article_label(records.get(key))


def _weighed(evidence: Iterable[Evidence]) -> list[Evidence]:
    """The evidence that orders something first (it decides the edge), then the rest."""
    evidence = list(evidence)
    return [e for e in evidence if e.favours is not None] + [
        e for e in evidence if e.favours is None
    ]


def edge_sentence(
    edge: ChainEdge, records: Mapping[str, Record], commons: Mapping[str, str]
) -> str:
    """One sentence saying what an edge claims and on what evidence."""
    target = article_label(records.get(edge.target))
    source = source_label(edge.source, records, commons)
    passages = f"{len(edge.passages)} passage" + ("s" if len(edge.passages) != 1 else "")
    verb = "took" if edge.directed else "carries"
    head = f"{target} {verb} {edge.reused_words:,} words ({passages}) from {source}"
    weighed = _weighed(edge.evidence)
    return head + (f"; evidence: {name_ids(weighed[0].detail, records)}" if weighed else "")


@dataclass(frozen=True)
class Verdict:
    """Who took from whom in one pair: ``kind`` is ``directed`` (``source`` → ``target``),
    ``common`` (both carry the copy of ``source``, a common original) or ``unknown``;
    ``text`` says it in words, ``evidence`` lists the details it rests on."""

    kind: str
    text: str
    evidence: tuple[str, ...]
    source: str | None = None
    target: str | None = None


def pair_verdict(
    chains: ChainsResult,
    a: str,
    b: str,
    records: Mapping[str, Record],
    commons: Mapping[str, str],
    edges_of: Mapping[str, list[ChainEdge]] | None = None,
    boilerplate: Collection[tuple[str, str]] | None = None,
) -> Verdict:
    """The chain verdict of the pair ``(a, b)``, read from ``chains.edges``.

    ``edges_of`` (edges by target, from :func:`edges_by_target`) and ``boilerplate`` (a set
    of ``chains.boilerplate_pairs``) save a pass over every edge per pair on a large corpus.
    """
    by_target = edges_of if edges_of is not None else edges_by_target(chains)
    boilerplate = boilerplate if boilerplate is not None else set(chains.boilerplate_pairs)
    into_a, into_b = by_target.get(a, []), by_target.get(b, [])
    direct = [e for e in into_b if e.source == a] + [e for e in into_a if e.source == b]
    if direct:
        edge = max(direct, key=lambda e: (e.confidence, e.reused_words))
        text = (
            f"{article_label(records.get(edge.target))} took copy from "
            f"{article_label(records.get(edge.source))} "
            f"(confidence {edge.confidence:.2f})"
        )
        return Verdict(
            "directed",
            text,
            tuple(name_ids(e.detail, records) for e in _weighed(edge.evidence)),
            edge.source,
            edge.target,
        )
    common_a = {e.source: e for e in into_a if e.source.startswith(COMMON_PREFIX)}
    shared = [e for e in into_b if e.source in common_a]
    if shared:
        edge = max(shared, key=lambda e: (e.confidence, e.reused_words, e.source))
        unordered = [name_ids(e.detail, records) for e in edge.evidence if e.favours is None]
        reason = unordered[0] if unordered else "the evidence names no first publisher"
        text = (
            f"Neither took from the other: both carry "
            f"{source_label(edge.source, records, commons)}. Order unknown: {reason}"
        )
        return Verdict(
            "common",
            text,
            tuple(name_ids(e.detail, records) for e in _weighed(edge.evidence)),
            edge.source,
        )
    if (min(a, b), max(a, b)) in boilerplate:
        reason = "they share only boilerplate (an outlet's furniture), which makes no edge"
    else:
        reason = "no chain edge links them"
    return Verdict("unknown", f"Order unknown: {reason}.", ())


def edges_by_target(chains: ChainsResult) -> dict[str, list[ChainEdge]]:
    """Chain edges grouped by the document they point to."""
    grouped: dict[str, list[ChainEdge]] = defaultdict(list)
    for edge in chains.edges:
        grouped[edge.target].append(edge)
    return grouped
