"""Syndication chains: who carried whose copy, decided from the evidence a researcher uses.

The unit is a *reuse group*: the passage clusters of a scan (``ScanResult.passages``) that
are shared by exactly the same set of documents. A group carried by two documents becomes
one edge; a group carried by more becomes a star from its source, or from a common node.
Nothing here measures similarity again: the passages, pairs and alignments come from the
scan, and the records give only dates, outlets and credit lines.

Evidence
--------
Each observation is an :class:`dedup.types.Evidence` that *favours* one hypothesis (a
document as the source, or the group's common node) with a fixed weight, or orders nothing
(``favours=None``, weight 0):

============== ======= ===================================================================
kind           weight  what it says
============== ======= ===================================================================
``agency``     0.9     one carrier is published by a wire agency (``Config.wire_agencies``)
``date``       0.6     the earlier of two different dates (or times on one day) is source
``credit``     0.5     a credit line ("Source: Al Jazeera, News Agencies", "(AFP) -",
                       "Reuters contributed to this report"): the copy is agency copy, so
                       it favours the common source (or the agency's own copy when that
                       agency's article is in the group)
``credit``     0.25    an agency named only in the body ("telling AFP on Friday"): it may
                       be a quote the outlet gathered itself, so it counts half. The
                       credits of the earlier of two dated copies count for nothing: they
                       say where it got the text, not that the later copy went elsewhere
``containment`` 0.3    one copy holds nearly all of the other's words plus more
                       (``Config.chain_contained_fraction``): the contained copy is the
                       source. Weak, because a trimmed reprint looks the same as an
                       expanded original
``shared-edit`` 0.3    under a known source, two copies sharing a change the source lacks
                       descend from one another: the earlier one is the later one's source
============== ======= ===================================================================

Decision
--------
For two carriers *x* and *y* the hypotheses are "x is the source", "y is the source" and
"common source" (an unseen original, usually wire copy). Each gets the support
``1 - prod(1 - w)`` of the evidence favouring it (a noisy-OR). Then, in order:

1. when exactly one carrier is a wire agency, it is the source;
2. a document dated after the other cannot be the source;
3. of the hypotheses left, the best supported wins, and a tie goes to the common source:
   nothing orders two same-day copies without credits, and no direction is invented.

With three or more carriers, a document is the group's source when it wins that decision
against every other carrier; otherwise all of them hang from the common node.

Confidence
----------
``confidence = support(chosen) * (1 - support(all other hypotheses))``, rounded to 3 places:
how much evidence backs the edge, discounted by the evidence against it. A common source
that nothing but the absence of order supports has confidence 0.

Common nodes
------------
A common source is one node per reuse group, named ``common:<first passage id>`` (for
example ``common:p1`` for the five passages that only 000 and 001 share); its edges have
``directed=False``. Separate groups get separate nodes, since the evidence cannot tell
whether two groups come from one original.

Shared edits
------------
They are used only under a known source (a group with a directed root and at least two
other carriers): a word-level difference from the source's reading that two copies share is a
shared change. Without a known source a reading shared by two copies may simply be the
original's, so nothing is inferred from it.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

from dedup import rules
from dedup.config import DEFAULT_WIRE_AGENCIES, Config
from dedup.errors import StageError
from dedup.shingle import tokenize
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
    Witness,
)

if TYPE_CHECKING:  # networkx loads when the chains graph is built, not for every command
    import networkx as nx

#: Weight of each kind of evidence in the noisy-OR (see the module docstring).
WEIGHTS = {
    "agency": 0.9,
    "date": 0.6,
    "credit line": 0.5,
    "body mention": 0.25,
    "containment": 0.3,
    "shared-edit": 0.3,
}
COMMON_PREFIX = "common:"
#: ``OutletReuse.sources`` name for copy taken from an unnamed common original.
COMMON_OUTLET = "common source"
#: Outlet name for documents whose input gives none.
UNKNOWN_OUTLET = "(unknown)"
#: A credit line naming "agencies" or "wires" without saying which.
GENERIC_AGENCIES = "News Agencies"
_GENERIC = re.compile(r"(?i)^(?:news\s+|wire\s+)?(?:agenc(?:y|ies)|wires?|wire\s+services)$")
_EVIDENCE_ORDER = {
    "agency": 0,
    "date": 1,
    "credit": 2,
    "containment": 3,
    "shared-edit": 4,
}


# --- credits ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Credit:
    """One agency credit found in a text.

    ``agency`` is the normalised name (the first name of its ``wire_agencies`` entry, or
    ``News Agencies``); ``kind`` is ``credit line`` (a source line, dateline or
    contributor line) or ``body mention`` (the agency named in running text); ``text`` is the
    matched text as printed, ``text == document[start:end]``.
    """

    agency: str
    kind: str
    text: str
    start: int
    end: int


def _alias_table(agencies: Sequence[str]) -> dict[str, str]:
    """Alias as written → agency name (the first name of its entry)."""
    table: dict[str, str] = {}
    for entry in agencies:
        names = entry.split("|")
        for alias in names:
            table.setdefault(alias, names[0])
    return table


def _alias_pattern(aliases: Iterable[str]) -> str:
    """One regex alternative per alias, longest first, case-sensitive for acronyms.

    An alias without lowercase letters ("AP", "AFP", "EFE") must match as written, since
    "ap" or "Efe" are other words; other names match in any case.
    """
    parts = []
    for alias in sorted(aliases, key=lambda a: (-len(a), a)):
        escaped = r"\s+".join(re.escape(word) for word in alias.split())
        parts.append(escaped if alias.upper() == alias else f"(?i:{escaped})")
    return "|".join(parts) or r"(?!x)x"


def _agency_of(name: str, table: dict[str, str]) -> str | None:
    """The agency a credited name stands for, or None (e.g. "Al Jazeera")."""
    name = " ".join(name.strip(" .()[]\"'").split())
    if _GENERIC.match(name):
        return GENERIC_AGENCIES
    if name.startswith(("The ", "the ")):
        name = name[4:]
    for alias, agency in table.items():
        same = name == alias if alias.upper() == alias else name.casefold() == alias.casefold()
        if same:
            return agency
    return None


_SOURCE_LINE = re.compile(
    r"^[ \t]*(?:Sources?|Credits?|With)[ \t]*:[ \t]*(?P<names>[^\n]+?)[ \t]*$", re.MULTILINE
)
_CONTRIBUTED = re.compile(
    r"(?P<who>(?:[\w.\-]+[ \t]+){0,4}?[\w.\-]+)[ \t]+contributed[ \t]+to[ \t]+this[ \t]+report"
)


def find_credits(text: str, agencies: Sequence[str] = DEFAULT_WIRE_AGENCIES) -> tuple[Credit, ...]:
    """Every agency credit in ``text``, credit lines first claimed, sorted by offset.

    Parameters
    ----------
    text : str
        A document's original text.
    agencies : sequence of str
        ``name|alias|…`` entries, as ``Config.wire_agencies``.

    Returns
    -------
    tuple of Credit, sorted by (start, agency)
    """
    table = _alias_table(agencies)
    names = _alias_pattern(table)
    found: list[Credit] = []
    claimed: list[tuple[int, int]] = []

    def add(agency: str, kind: str, start: int, end: int) -> None:
        found.append(Credit(agency, kind, text[start:end], start, end))
        claimed.append((start, end))

    for match in _SOURCE_LINE.finditer(text):
        credited = [_agency_of(n, table) for n in re.split(r",|;|/|&|\band\b", match["names"])]
        for credited_agency in dict.fromkeys(a for a in credited if a):
            add(
                credited_agency,
                "credit line",
                match.start("names") - _label_width(match),
                match.end(),
            )
    for match in _CONTRIBUTED.finditer(text):
        # the longest trailing run of words that names an agency: "The AP contributed"
        words = match["who"].split()
        for first in range(len(words)):
            agency = _agency_of(" ".join(words[first:]), table)
            if agency:
                add(agency, "credit line", match.start("who"), match.end())
                break
    # datelines and sign-offs: "PARIS (AFP) -", "(Reuters)", a line "— AFP"
    dateline = re.compile(
        rf"\((?:{names})\)|^[ \t]*[-–—]?[ \t]*(?:{names})[ \t]*$|©[ \t]*(?:{names})", re.MULTILINE
    )
    for match in dateline.finditer(text):
        if not _inside(match.start(), match.end(), claimed):
            agency = _agency_of(re.sub(r"^[-–—©\s(]+|[)\s]+$", "", match[0]), table)
            if agency:
                add(agency, "credit line", match.start(), match.end())
    mention = re.compile(rf"(?<!\w)(?:{names})(?!\w)")
    for match in mention.finditer(text):
        if not _inside(match.start(), match.end(), claimed):
            agency = _agency_of(match[0], table)
            if agency:
                start, end = _clause_around(text, match.start(), match.end())
                found.append(Credit(agency, "body mention", text[start:end], start, end))
    return tuple(sorted(found, key=lambda c: (c.start, c.agency, c.kind)))


def _label_width(match: re.Match[str]) -> int:
    """Characters from the start of a "Source:" line to its names (to keep the label)."""
    return match.start("names") - match.start() - (len(match[0]) - len(match[0].lstrip()))


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(lo <= start and end <= hi for lo, hi in spans)


def _clause_around(text: str, start: int, end: int, words: int = 2) -> tuple[int, int]:
    """``start:end`` widened by up to ``words`` words on each side, within its line and
    sentence, so the evidence shows how the agency is named ("telling AFP on Friday")."""
    left = start
    for _ in range(words):
        match = re.search(r"[\w’'\-]+[ \t]*$", text[max(0, left - 60) : left])
        if not match or "." in text[max(0, left - 60) + match.start() : left].strip()[-1:]:
            break
        left = max(0, left - 60) + match.start()
    right = end
    for _ in range(words):
        match = re.match(r"[ \t]*[\w’'\-]+", text[right : right + 60])
        if not match:
            break
        right += match.end()
    return left, right


def credit_lines(text: str, agencies: Sequence[str] = DEFAULT_WIRE_AGENCIES) -> tuple[str, ...]:
    """The agencies ``text`` credits in a credit line, normalised ("AFP", "News Agencies").

    An agency named only in running text ("telling AFP on Friday") is not a credit line;
    :func:`find_credits` returns those too, with the matched text.

    Returns
    -------
    tuple of str, sorted
    """
    return tuple(
        sorted({c.agency for c in find_credits(text, agencies) if c.kind == "credit line"})
    )


# --- documents ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Doc:
    """What the chain decision knows about one carrier."""

    id: str
    outlet: str | None
    date: str | None
    agency: str | None  # the wire agency that publishes it, if any
    credits: tuple[Credit, ...]
    text_end: int  # end of the text without trailing blanks: where a closing credit ends


def _order_key(doc: _Doc) -> tuple[bool, str, str]:
    """(date, id), undated last: the tie-break of every output."""
    return (doc.date is None, doc.date or "", doc.id)


def outlet_agency(outlet: str | None, agencies: Sequence[str]) -> str | None:
    """The wire agency an outlet is, by name or alias ("AP" → "Associated Press")."""
    if not outlet:
        return None
    table = _alias_table(agencies)
    agency = _agency_of(outlet, table)
    if agency and agency != GENERIC_AGENCIES:
        return agency
    # "Reuters UK", "AFP English": the agency's name followed by an edition
    head = outlet.split()[0]
    agency = _agency_of(head, table)
    return agency if agency and agency != GENERIC_AGENCIES else None


def _parse_moment(date: str) -> datetime | None:
    if "T" not in date and " " not in date.strip():
        return None
    try:
        return datetime.fromisoformat(date.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def compare_dates(a: str | None, b: str | None) -> int | None:
    """-1 when ``a`` is earlier, 1 when later, 0 on the same day (or same time), None when
    either is unknown. Times order two copies of one day only when both give one."""
    if not a or not b:
        return None
    day_a, day_b = a[:10], b[:10]
    moment_a, moment_b = _parse_moment(a), _parse_moment(b)
    if moment_a and moment_b and (moment_a.tzinfo is None) == (moment_b.tzinfo is None):
        return (moment_a > moment_b) - (moment_a < moment_b)
    return (day_a > day_b) - (day_a < day_b)


# --- evidence -----------------------------------------------------------------------------


def _date_evidence(x: _Doc, y: _Doc) -> Evidence:
    order = compare_dates(x.date, y.date)
    if order is None:
        missing = " and ".join(d.id for d in (x, y) if not d.date)
        return Evidence("date", None, f"{missing} undated: dates give no order")
    if order == 0:
        return Evidence(
            "date", None, f"{x.id} and {y.id} both dated {x.date}: same day, no order from dates"
        )
    early, late = (x, y) if order < 0 else (y, x)
    return Evidence("date", early.id, f"{early.id} dated {early.date}, {late.id} dated {late.date}")


def _agency_evidence(x: _Doc, y: _Doc) -> list[Evidence]:
    out = []
    for doc in (x, y):
        if doc.agency:
            out.append(
                Evidence(
                    "agency",
                    doc.id,
                    f"{doc.id} is published by {doc.outlet}, a wire agency ({doc.agency})",
                )
            )
    return out


def _credit_evidence(doc: _Doc, common: str, agency_docs: dict[str, str]) -> list[Evidence]:
    """A credit line or body mention per (document, kind); it favours the credited agency's
    own article when that is in the group, else the common source."""
    out = []
    for kind in ("credit line", "body mention"):
        credits = [c for c in doc.credits if c.kind == kind]
        if not credits:
            continue
        agencies = list(dict.fromkeys(c.agency for c in credits))
        own = [agency_docs[a] for a in agencies if a in agency_docs and agency_docs[a] != doc.id]
        favours = own[0] if own else common
        quoted = f"'{_flat(credits[0].text)}'"
        if kind == "credit line":
            where = _position(credits[0], doc)
            detail = f"{doc.id} {where} {quoted}: credit line, agency copy ({', '.join(agencies)})"
        else:
            times = f" ({len(credits)} times)" if len(credits) > 1 else ""
            detail = (
                f"{doc.id} names {', '.join(agencies)} in its body{times}, e.g. {quoted}: "
                "a body mention, weaker than a credit line"
            )
        out.append(Evidence("credit", favours, detail))
    return out


def _position(credit: Credit, doc: _Doc) -> str:
    """ "ends" or "opens with" for a credit line at the end or start of the text."""
    if credit.start < 200:
        return "opens with"
    return "ends" if credit.end >= doc.text_end else "has"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _containment_evidence(x: _Doc, y: _Doc, pair: Pair, threshold: float) -> Evidence:
    frac = {pair.a: pair.reused_fraction_a, pair.b: pair.reused_fraction_b}
    fx, fy = frac[x.id], frac[y.id]
    shares = (
        f"{100 * fx:.0f}% of {x.id}'s words and {100 * fy:.0f}% of {y.id}'s are in passages "
        "they share"
    )
    if fx >= threshold and fy >= threshold:
        return Evidence("containment", None, f"{shares}: near-duplicates, no order")
    for small, big, f_small in ((x, y, fx), (y, x, fy)):
        if f_small >= threshold:
            return Evidence(
                "containment",
                small.id,
                f"{shares}: {big.id} holds nearly all of {small.id} plus more "
                f"({big.id} built on {small.id}, or both on a common original)",
            )
    return Evidence("containment", None, f"{shares}: no containment asymmetry")


def _weight(evidence: Evidence) -> float:
    if evidence.favours is None:
        return 0.0
    if evidence.kind == "credit":
        return WEIGHTS["credit line" if "credit line" in evidence.detail else "body mention"]
    return WEIGHTS[evidence.kind]


def _support(evidence: Iterable[Evidence], hypothesis: str) -> float:
    """Noisy-OR of the weights of the evidence favouring ``hypothesis``."""
    doubt = 1.0
    for item in evidence:
        if item.favours == hypothesis:
            doubt *= 1.0 - _weight(item)
    return 1.0 - doubt


def confidence(evidence: Sequence[Evidence], chosen: str) -> float:
    """``support(chosen) * (1 - support(everything else))``, rounded to 3 places."""
    doubt = 1.0
    for item in evidence:
        if item.favours not in (None, chosen):
            doubt *= 1.0 - _weight(item)
    return round(_support(evidence, chosen) * doubt, 3)


def _decide(x: _Doc, y: _Doc, evidence: Sequence[Evidence], common: str) -> str:
    """The source of the copy ``x`` and ``y`` share: ``x.id``, ``y.id`` or ``common``."""
    if bool(x.agency) != bool(y.agency):
        # a wire agency carries its own copy: it is the source, whatever else is seen
        return x.id if x.agency else y.id
    allowed = [x.id, y.id]
    order = compare_dates(x.date, y.date)
    if order:
        allowed = [x.id if order < 0 else y.id]  # a later copy cannot be the source
    best = common
    best_support = _support(evidence, common)
    for candidate in allowed:
        support = _support(evidence, candidate)
        if support > best_support:  # strictly: a tie never invents a direction
            best, best_support = candidate, support
    return best


# --- groups -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Group:
    """Passage clusters shared by the same documents."""

    docs: tuple[str, ...]
    passages: tuple[PassageCluster, ...]

    @property
    def common(self) -> str:
        return COMMON_PREFIX + self.passages[0].id


def passage_order(passage_id: str) -> tuple[int, str]:
    """Sort key of passage ids: ``p2`` before ``p10``."""
    match = re.fullmatch(r"[a-z]*(\d+)", passage_id)
    return (int(match.group(1)) if match else -1, passage_id)


def reuse_groups(passages: Iterable[PassageCluster]) -> list[_Group]:
    """Passages carried by two or more documents, grouped by the set of their carriers and
    sorted by their first passage (self-repeats inside one document are not reuse)."""
    by_docs: dict[tuple[str, ...], list[PassageCluster]] = defaultdict(list)
    for passage in passages:
        if len(passage.docs) >= 2:
            by_docs[passage.docs].append(passage)
    groups = [
        _Group(docs, tuple(sorted(found, key=lambda p: passage_order(p.id))))
        for docs, found in by_docs.items()
    ]
    return sorted(groups, key=lambda g: passage_order(g.passages[0].id))


class _Words:
    """Each document's text and word offsets (from :func:`dedup.shingle.tokenize`), to count
    a document's words inside character spans and to read its words for shared edits."""

    def __init__(self, texts: dict[str, str]) -> None:
        self._ids = sorted(texts)
        self._index = {doc: k for k, doc in enumerate(self._ids)}
        self._texts = texts
        self._tokens = tokenize([texts[doc] for doc in self._ids])

    def _range(self, doc: str) -> tuple[int, int]:
        k = self._index[doc]
        return int(self._tokens.doc_ptr[k]), int(self._tokens.doc_ptr[k + 1])

    def lines(self, doc: str) -> rules.Lines:
        """The document's lines and their words (for the boilerplate rules)."""
        lo, hi = self._range(doc)
        return rules.lines_of(
            self._texts[doc], self._tokens.starts[lo:hi], self._tokens.hashes[lo:hi]
        )

    def span(self, doc: str, start: int, end: int) -> tuple[list[int], list[str]]:
        """The normalised word hashes and the printed words of ``doc[start:end]``."""
        lo, hi = self._range(doc)
        starts = self._tokens.starts[lo:hi]
        first, last = (int(i) for i in np.searchsorted(starts, [start, end]))
        text = self._texts[doc]
        printed = [
            text[int(self._tokens.starts[lo + t]) : int(self._tokens.ends[lo + t])]
            for t in range(first, last)
        ]
        return self._tokens.hashes[lo + first : lo + last].tolist(), printed

    def count(self, doc: str, spans: Iterable[tuple[int, int]]) -> int:
        """Words of ``doc`` starting inside the union of ``spans`` (char offsets)."""
        lo, hi = self._range(doc)
        starts = self._tokens.starts[lo:hi]
        inside = np.zeros(len(starts), dtype=bool)
        for start, end in spans:
            first, last = np.searchsorted(starts, [start, end])
            inside[first:last] = True
        return int(inside.sum())


def _spans(passages: Iterable[PassageCluster], doc: str) -> list[tuple[int, int]]:
    return [(w.start, w.end) for p in passages for w in p.witnesses if w.doc == doc]


def _shared_edits(
    group: _Group, root: str, others: Sequence[str], words: _Words, credit_words: set[str]
) -> tuple[dict[tuple[str, str], list[str]], dict[str, set[tuple]]]:
    """Changes from ``root``'s reading that two copies share, per pair of copies (sorted),
    and every copy's own set of changes (keys comparable between copies).

    Each copy's words are diffed against the root's witness of every passage; a change at
    the first or last word is left out, since witnesses may simply begin or end elsewhere.
    So is a change that only strikes or adds an agency's name (``credit_words``): striking
    "(Reuters)" is house style that subscribers share without copying each other.
    """
    shared: dict[tuple[str, str], list[str]] = defaultdict(list)
    every: dict[str, set[tuple]] = {doc: set() for doc in others}
    for passage in group.passages:
        first: dict[str, Witness] = {}
        for witness in passage.witnesses:
            first.setdefault(witness.doc, witness)
        base_hashes, base_words = words.span(root, first[root].start, first[root].end)
        changes: dict[str, dict[tuple, str]] = {}
        for doc in others:
            hashes, printed = words.span(doc, first[doc].start, first[doc].end)
            matcher = SequenceMatcher(None, base_hashes, hashes, autojunk=False)
            changes[doc] = {
                (passage.id, i1, i2, tuple(hashes[j1:j2])): (
                    f"'{' '.join(printed[j1:j2]) or '(nothing)'}' for "
                    f"'{' '.join(base_words[i1:i2]) or '(nothing)'}'"
                )
                for tag, i1, i2, j1, j2 in matcher.get_opcodes()
                if tag != "equal"
                and i1 > 0
                and i2 < len(base_hashes)
                and not {w.casefold() for w in (*base_words[i1:i2], *printed[j1:j2])}
                <= credit_words
            }
            every[doc] |= changes[doc].keys()
        for a, b in combinations(sorted(others), 2):
            for key in sorted(changes[a].keys() & changes[b].keys()):
                shared[(a, b)].append(f"{passage.id}: {changes[a][key]}")
    return shared, every


# --- the stage ----------------------------------------------------------------------------


def build_chains(
    records: Iterable[Record], scan_result: ScanResult, config: Config | None = None
) -> ChainsResult:
    """Decide the source and order of the copies of every passage group of a scan.

    Parameters
    ----------
    records : iterable of Record
        The scanned records (any order; others are ignored): their text for credit lines and
        word offsets, their outlet and date.
    scan_result : ScanResult
        The scan of those records; its passages and pairs are the reuse.
    config : Config, optional
        ``wire_agencies`` and ``chain_contained_fraction`` are used.

    Returns
    -------
    ChainsResult
        Edges sorted by (first passage, source, target), articles by id, outlets by name.
    """
    config = config or scan_result.config
    by_id = {r.id: r for r in records}
    missing = [d.id for d in scan_result.documents if d.id not in by_id]
    if missing:
        raise StageError(f"chains: scanned document {missing[0]!r} is not among the records")
    words = _Words({d.id: by_id[d.id].text for d in scan_result.documents})
    docs = {
        info.id: _Doc(
            id=info.id,
            outlet=info.outlet,
            date=info.date,
            agency=outlet_agency(info.outlet, config.wire_agencies),
            credits=find_credits(by_id[info.id].text, config.wire_agencies),
            text_end=len(by_id[info.id].text.rstrip()),
        )
        for info in scan_result.documents
    }
    furniture = boilerplate_spans([by_id[d.id] for d in scan_result.documents], words, config)
    kinds = passage_kinds(scan_result.passages, furniture, words, docs, config)
    reuse = [p for p in scan_result.passages if kinds[p.id] == REUSE]
    boilerplate_only = [
        p for p in scan_result.pairs
        if p.alignments and all(kinds.get(a.cluster) == BOILERPLATE for a in p.alignments)
    ]  # fmt: skip
    pairs = {(p.a, p.b): p for p in scan_result.pairs}
    edges: list[tuple[tuple, ChainEdge]] = []
    for group in reuse_groups(reuse):
        for edge in _group_edges(group, docs, pairs, words, config):
            key = (passage_order(group.passages[0].id), edge.source, _order_key(docs[edge.target]))
            edges.append((key, edge))
    edges.sort(key=lambda item: item[0])
    chain_edges = tuple(edge for _, edge in edges)
    articles = _articles(scan_result, docs, chain_edges, words)
    outlets = _outlets(articles, docs)
    counts = {
        "documents": len(docs),
        "reuse_groups": len(reuse_groups(reuse)),
        "boilerplate_passages": sum(1 for k in kinds.values() if k == BOILERPLATE),
        "boilerplate_only_pairs": len(boilerplate_only),
        "edges": len(chain_edges),
        "directed_edges": sum(1 for e in chain_edges if e.directed),
        "common_edges": sum(1 for e in chain_edges if not e.directed),
        "common_sources": len({e.source for e in chain_edges if not e.directed}),
        "documents_reusing": sum(1 for a in articles if a.reused_words),
        "documents_without_edges": sum(
            1 for d in docs if not any(d in (e.source, e.target) for e in chain_edges)
        ),
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


# --- boilerplate --------------------------------------------------------------------------

REUSE = "reuse"
BOILERPLATE = "boilerplate"
#: A passage is boilerplate when at least this share of its witnesses' words is furniture.
FURNITURE_SHARE = 0.5


def boilerplate_spans(
    records: Sequence[Record], words: _Words, config: Config
) -> dict[str, list[tuple[int, int]]]:
    """Per document, the spans ``dedup clean`` would cut as boilerplate (comment forms,
    teasers, tag lists, share prompts, lines learned as an outlet's furniture, the user's
    patterns), merged: what is furniture, not copy. Self-duplicates are not boilerplate."""
    lines = {r.id: words.lines(r.id) for r in records}
    learned: set[tuple[str, str, bytes]] = set()
    if "learned" not in config.clean_skip:
        learned = rules.learn_boilerplate(
            [lines[r.id] for r in records],
            [r.outlet for r in records],
            min_docs=config.boilerplate_min_docs,
            fraction=config.boilerplate_fraction,
            max_words=config.boilerplate_max_words,
        )
    titles = {rules.normalise_title(r.title) for r in records if r.title}
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


def passage_kinds(
    passages: Sequence[PassageCluster],
    furniture: dict[str, list[tuple[int, int]]],
    words: _Words,
    docs: dict[str, _Doc],
    config: Config,
) -> dict[str, str]:
    """``boilerplate`` or ``reuse`` per passage id.

    A passage is boilerplate when at least :data:`FURNITURE_SHARE` of its witnesses' words
    lie in furniture (:func:`boilerplate_spans`), or when one outlet prints it in at least
    ``max(boilerplate_min_docs, boilerplate_fraction * n)`` of its ``n`` documents: text an
    outlet repeats under many of its own articles is its furniture, whatever its layout.
    """
    per_outlet: dict[str, int] = defaultdict(int)
    for doc in docs.values():
        per_outlet[doc.outlet or UNKNOWN_OUTLET] += 1
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


def _pair_evidence(
    x: _Doc, y: _Doc, group: _Group, docs: dict[str, _Doc], pairs: dict, config: Config
) -> list[Evidence]:
    """Every observation about the copy ``x`` and ``y`` share, in a fixed order."""
    agency_docs = {
        agency: d
        for d in sorted(group.docs, key=lambda d: _order_key(docs[d]))
        if (agency := docs[d].agency)
    }
    evidence = [*_agency_evidence(x, y), _date_evidence(x, y)]
    order = compare_dates(x.date, y.date)
    earlier = (x.id if order < 0 else y.id) if order else None
    for doc in (x, y):
        for item in _credit_evidence(doc, group.common, agency_docs):
            if doc.id == earlier and item.favours == group.common:
                # the earlier copy's credit says where it got the text, not that the later
                # copy went to the agency rather than to it: it orders nothing
                item = Evidence(
                    item.kind,
                    None,
                    item.detail + "; but it is the earlier copy, so no sign "
                    "that the later one took the text elsewhere",
                )
            evidence.append(item)
    pair = pairs.get((x.id, y.id)) or pairs.get((y.id, x.id))
    if pair is not None:
        evidence.append(_containment_evidence(x, y, pair, config.chain_contained_fraction))
    return evidence


def _sorted_evidence(evidence: Iterable[Evidence]) -> tuple[Evidence, ...]:
    unique = dict.fromkeys(evidence)
    return tuple(sorted(unique, key=lambda e: (_EVIDENCE_ORDER[e.kind], e.detail)))


def _group_edges(
    group: _Group, docs: dict[str, _Doc], pairs: dict, words: _Words, config: Config
) -> list[ChainEdge]:
    """The edges of one reuse group: from its source when one carrier wins against every
    other, else from the group's common node (undirected)."""
    carriers = sorted((docs[d] for d in group.docs), key=_order_key)
    evidence = {
        (x.id, y.id): _pair_evidence(x, y, group, docs, pairs, config)
        for x, y in combinations(carriers, 2)
    }

    def between(a: str, b: str) -> list[Evidence]:
        return evidence.get((a, b)) or evidence[(b, a)]

    passage_ids = tuple(p.id for p in group.passages)
    root = None
    for candidate in carriers:
        rivals = [d for d in carriers if d.id != candidate.id]
        if all(
            _decide(candidate, other, between(candidate.id, other.id), group.common) == candidate.id
            for other in rivals
        ):
            root = candidate.id
            break
    if root is None:
        every = _sorted_evidence(e for found in evidence.values() for e in found)
        score = confidence(every, group.common)
        return [
            ChainEdge(
                source=group.common,
                target=doc.id,
                directed=False,
                confidence=score,
                passages=passage_ids,
                reused_words=words.count(doc.id, _spans(group.passages, doc.id)),
                evidence=every,
            )
            for doc in carriers
        ]
    others = [d.id for d in carriers if d.id != root]
    sources = {doc: root for doc in others}
    extra: dict[str, list[Evidence]] = defaultdict(list)
    if len(others) >= 2:
        credit_words = {
            w.casefold() for entry in config.wire_agencies for w in re.findall(r"\w+", entry)
        }
        shared, changed = _shared_edits(group, root, others, words, credit_words)
        earlier: dict[str, list[tuple[int, tuple, str, list[str]]]] = defaultdict(list)
        for (a, b), changes in sorted(shared.items()):
            order = compare_dates(docs[a].date, docs[b].date)
            shown = "; ".join(changes[:3]) + (
                f" (+{len(changes) - 3} more)" if len(changes) > 3 else ""
            )
            if order not in (-1, 1):
                item = Evidence(
                    "shared-edit",
                    None,
                    f"{a} and {b} share changes to {root}'s text ({shown}): one descends from "
                    "the other, or both from one edited copy; dates give no order",
                )
                extra[a].append(item)
                extra[b].append(item)
            else:
                early, late = (a, b) if order == -1 else (b, a)
                if changed[early] <= changed[late]:
                    earlier[late].append((len(changes), _order_key(docs[early]), early, changes))
                    continue
                # a copy carries every change of its source: the later one keeps root's
                # reading where the earlier one changed it, so the shared changes were made
                # twice (house style), not copied
                lost = len(changed[early] - changed[late])
                item = Evidence(
                    "shared-edit",
                    None,
                    f"{early} and {late} share changes to {root}'s text ({shown}), but {late} "
                    f"keeps {root}'s reading at {lost} other change(s) of {early}: made "
                    "independently, not copied",
                )
                extra[late].append(item)
        for late, through in earlier.items():
            # most shared changes first, then the earliest: not the first in id order
            through.sort(key=lambda item: (-item[0], item[1]))
            _, _, early, changes = through[0]
            shown = "; ".join(changes[:3]) + (
                f" (+{len(changes) - 3} more)" if len(changes) > 3 else ""
            )
            extra[late].append(
                Evidence(
                    "shared-edit",
                    early,
                    f"{early} and {late} share changes to {root}'s text ({shown}), {late} "
                    f"carries every change of {early}, and {early} is earlier: {late} took "
                    f"{root}'s copy through {early}",
                )
            )
            extra[late].append(_date_evidence(docs[early], docs[late]))
            sources[late] = early
    edges = []
    for doc in others:
        source = sources[doc]
        found = _sorted_evidence([*between(source, doc), *extra[doc]])
        edges.append(
            ChainEdge(
                source=source,
                target=doc,
                directed=True,
                confidence=confidence(found, source),
                passages=passage_ids,
                reused_words=words.count(doc, _spans(group.passages, doc)),
                evidence=found,
            )
        )
    return edges


def _articles(
    scan_result: ScanResult, docs: dict[str, _Doc], edges: Sequence[ChainEdge], words: _Words
) -> tuple[ArticleReuse, ...]:
    """Per document: its words inside passages it took from someone (a common source
    included), per source, and the rest as its own."""
    passages = {p.id: p for p in scan_result.passages}
    incoming: dict[str, list[ChainEdge]] = defaultdict(list)
    for edge in edges:
        incoming[edge.target].append(edge)
    out = []
    for info in scan_result.documents:
        taken = incoming.get(info.id, [])
        spans = [s for e in taken for s in _spans((passages[p] for p in e.passages), info.id)]
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


def _outlets(articles: Sequence[ArticleReuse], docs: dict[str, _Doc]) -> tuple[OutletReuse, ...]:
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
