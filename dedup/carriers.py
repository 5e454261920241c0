"""What the chain decision knows about each carrier of copy: its outlet, date, agency and
credits (:class:`Carrier`), its words (:class:`Words`), and the evidence lines about two
carriers that dates, agency outlets and credit lines give."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from dedup import rules
from dedup.credits import Credit
from dedup.shingle import tokenize
from dedup.types import Evidence, PassageCluster


@dataclass(frozen=True, slots=True)
class Carrier:
    """What the chain decision knows about one carrier."""

    id: str
    outlet: str | None
    date: str | None
    agency: str | None  # the wire agency that publishes it, if any
    credits: tuple[Credit, ...]
    text_end: int  # end of the text without trailing blanks: where a closing credit ends


def order_key(doc: Carrier) -> tuple[bool, str, str]:
    """(date, id), undated last: the tie-break of every output."""
    return (doc.date is None, doc.date or "", doc.id)


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


def date_evidence(x: Carrier, y: Carrier) -> Evidence:
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


def agency_evidence(x: Carrier, y: Carrier) -> list[Evidence]:
    """A wire agency's own article is the source of an outlet's copy; two agency articles
    are not ordered by it."""
    if x.agency and y.agency:
        return [
            Evidence(
                "agency",
                None,
                f"{x.id} and {y.id} are both published by wire agencies ({x.agency}, "
                f"{y.agency}): no order from that",
            )
        ]
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


def credit_evidence(doc: Carrier, common: str, agency_docs: dict[str, str]) -> list[Evidence]:
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


def _position(credit: Credit, doc: Carrier) -> str:
    """ "ends" or "opens with" for a credit line at the end or start of the text."""
    if credit.start < 200:
        return "opens with"
    return "ends" if credit.end >= doc.text_end else "has"


def _flat(text: str) -> str:
    return " ".join(text.split())


def passage_order(passage_id: str) -> tuple[int, str]:
    """Sort key of passage ids: ``p2`` before ``p10``."""
    match = re.fullmatch(r"[a-z]*(\d+)", passage_id)
    return (int(match.group(1)) if match else -1, passage_id)


class Words:
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

    def size(self, doc: str) -> int:
        """Number of words of ``doc``."""
        lo, hi = self._range(doc)
        return hi - lo

    def hashes(self, doc: str, start: int, end: int) -> tuple[int, np.ndarray]:
        """The index of the first word of ``doc[start:end]`` and the normalised hashes of
        its words."""
        lo, hi = self._range(doc)
        first, last = (int(i) for i in np.searchsorted(self._tokens.starts[lo:hi], [start, end]))
        return first, self._tokens.hashes[lo + first : lo + last]

    def mask(self, doc: str, spans: Iterable[tuple[int, int]]) -> np.ndarray:
        """One bool per word of ``doc``: True for words starting inside ``spans``."""
        lo, hi = self._range(doc)
        starts = self._tokens.starts[lo:hi]
        inside = np.zeros(len(starts), dtype=bool)
        for start, end in spans:
            first, last = np.searchsorted(starts, [start, end])
            inside[first:last] = True
        return inside

    def count(self, doc: str, spans: Iterable[tuple[int, int]]) -> int:
        """Words of ``doc`` starting inside the union of ``spans`` (char offsets)."""
        return int(self.mask(doc, spans).sum())


#: ``passage id -> document -> [(start, end), ...]``: where each passage stands in each text.
PassageSpans = dict[str, dict[str, list[tuple[int, int]]]]


def passage_spans(passages: Iterable[PassageCluster], only: set[str] | None = None) -> PassageSpans:
    """Each passage's witness spans by document, read in one pass over ``passages`` (those
    whose ids are in ``only``, when given): a copy group's passage has a witness per copy, so
    looking one document up must not walk them all."""
    found: PassageSpans = {}
    for passage in passages:
        if only is not None and passage.id not in only:
            continue
        per_doc: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for w in passage.witnesses:
            per_doc[w.doc].append((w.start, w.end))
        found[passage.id] = per_doc
    return found
