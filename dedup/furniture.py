"""What in a carrier is furniture, not copy: the spans ``dedup clean`` would cut as
boilerplate, and the passages that are boilerplate (mostly furniture, or printed by one
outlet under many of its own articles) rather than reuse. Used by
:mod:`dedup.syndication`; what is learnt from the whole corpus can be given
(:class:`CorpusFacts`) when the chains are built a part of it at a time."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dedup import rules
from dedup.carriers import Carrier, Words
from dedup.config import Config
from dedup.parents import Habit
from dedup.types import PassageCluster, Record

#: Outlet name for documents whose input gives none.
UNKNOWN_OUTLET = "(unknown)"


@dataclass(frozen=True)
class CorpusFacts:
    """What the chains learn from the whole corpus, given to :func:`build_chains` when it
    builds them a part at a time: the learned boilerplate lines, the titles (normalised),
    the documents per outlet, and the outlets' habits (``None``: learnt from the part)."""

    learned: set[tuple[str, str, bytes]]
    titles: set[str]
    per_outlet: dict[str, int]
    habits: dict[str | None, Habit] | None = None


REUSE = "reuse"
BOILERPLATE = "boilerplate"
#: A passage is boilerplate when at least this share of its witnesses' words is furniture.
FURNITURE_SHARE = 0.5


def boilerplate_spans(
    records: Sequence[Record], words: Words, config: Config, *, corpus: CorpusFacts | None = None
) -> dict[str, list[tuple[int, int]]]:
    """Per document, the spans ``dedup clean`` would cut as boilerplate (comment forms,
    teasers, tag lists, share prompts, lines learned as an outlet's furniture, the user's
    patterns), merged: what is furniture, not copy. Self-duplicates are not boilerplate.
    The lines and titles are learnt from ``records`` unless ``corpus`` gives them."""
    lines = {r.id: words.lines(r.id) for r in records}
    learned: set[tuple[str, str, bytes]] = set()
    if corpus is not None:
        learned = corpus.learned
    elif "learned" not in config.clean_skip:
        learned = rules.learn_boilerplate(
            [lines[r.id] for r in records],
            [r.outlet for r in records],
            min_docs=config.boilerplate_min_docs,
            fraction=config.boilerplate_fraction,
            max_words=config.boilerplate_max_words,
        )
    titles = corpus.titles if corpus is not None else corpus_titles(records)
    user_patterns = [re.compile(p, re.MULTILINE) for p in config.boilerplate_patterns]
    out = {}
    for record in records:
        found = rules.furniture_spans(
            record.text,
            lines[record.id],
            record.outlet,
            learned=learned,
            max_words=config.boilerplate_max_words,
            user_patterns=user_patterns,
            skip=config.clean_skip,
            titles=titles,
            own_title=record.title,
        )
        spans = sorted((s.start, s.end) for rule in found for s in rule)
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        out[record.id] = merged
    return out


def corpus_titles(records: Iterable[Record]) -> set[str]:
    """The records' titles, normalised (a line repeating a title is furniture)."""
    return {rules.normalise_title(r.title) for r in records if r.title}


def outlet_sizes(outlets: Iterable[str | None]) -> dict[str, int]:
    """Documents per outlet (``(unknown)`` for those without one)."""
    per_outlet: dict[str, int] = defaultdict(int)
    for outlet in outlets:
        per_outlet[outlet or UNKNOWN_OUTLET] += 1
    return per_outlet


def passage_kinds(
    passages: Sequence[PassageCluster],
    furniture: dict[str, list[tuple[int, int]]],
    words: Words,
    docs: dict[str, Carrier],
    config: Config,
    per_outlet: dict[str, int] | None = None,
) -> dict[str, str]:
    """``boilerplate`` or ``reuse`` per passage id.

    A passage is boilerplate when at least :data:`FURNITURE_SHARE` of its witnesses' words
    lie in furniture (:func:`boilerplate_spans`), or when one outlet prints it in at least
    ``max(boilerplate_min_docs, boilerplate_fraction * n)`` of its ``n`` documents: text an
    outlet repeats under many of its own articles is its furniture, whatever its layout.
    """
    if per_outlet is None:
        per_outlet = outlet_sizes(doc.outlet for doc in docs.values())
    kinds = {}
    for passage in passages:
        total = inside = 0
        for witness in passage.witnesses:
            span = [(witness.start, witness.end)]
            n_words = words.count(witness.doc, span)
            total += n_words
            overlaps = [
                (max(s, witness.start), min(e, witness.end))
                for s, e in furniture.get(witness.doc, [])
                if s < witness.end and e > witness.start
            ]
            inside += words.count(witness.doc, overlaps) if overlaps else 0
        carriers: dict[str, int] = defaultdict(int)
        for doc_id in passage.docs:
            carriers[docs[doc_id].outlet or UNKNOWN_OUTLET] += 1
        recurring = any(
            count >= max(config.boilerplate_min_docs, config.boilerplate_fraction * per_outlet[o])
            for o, count in carriers.items()
        )
        furniture_share = inside / total if total else 0.0
        kinds[passage.id] = (
            BOILERPLATE if recurring or furniture_share >= FURNITURE_SHARE else REUSE
        )
    return kinds
