"""The PAN text-alignment measures: character precision, recall, granularity and plagdet.

Definitions from M. Potthast, B. Stein, A. Barrón-Cedeño and P. Rosso, "An Evaluation
Framework for Plagiarism Detection", COLING 2010, as computed by the PAN organisers'
``perfmeasures.py`` (webis.de, macro-averaged variant):

* A **case** ``s`` (planted reuse) and a **detection** ``r`` (what a detector reports) each
  reference a span of a suspicious document and a span of a source document. ``r`` detects
  ``s`` when they name the same two documents and overlap in **both** of them; a detection that
  overlaps a case in the suspicious document only detects nothing.
* ``s ⊓ r`` is ``s ∩ r`` (the characters of both spans, suspicious and source, counted
  together) when ``r`` detects ``s``, and empty otherwise.
* recall ``rec(S, R) = 1/|S| Σ_s |∪_r (s ⊓ r)| / |s|``, where ``|s|`` counts the case's
  characters in both documents;
* precision ``prec(S, R) = 1/|R| Σ_r |∪_s (s ⊓ r)| / |r|``, the same with cases and
  detections exchanged;
* granularity ``gran(S, R) = 1/|S_R| Σ_{s ∈ S_R} |R_s|``, where ``S_R`` are the cases detected
  by at least one detection and ``R_s`` the detections that detect ``s`` (1 when no case is
  detected);
* ``plagdet = F1 / log2(1 + gran)``, with ``F1`` the harmonic mean of precision and recall
  (0 when both are 0).

As in ``perfmeasures.py``: with no cases and no detections precision and recall are 1; with
cases but no detections (or the reverse) they are 0.

Beside them, the document-pair measures of this benchmark: a pair of documents carrying a case
is **found** when at least one detection detects one of its cases; pair recall is the share of
case pairs found, pair precision the share of flagged pairs (pairs a detector reports) that
are found.

Spans are half-open ``[start, end)`` ``str`` offsets, as everywhere in ``dedup``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DocumentPair = tuple[str, str]  # (suspicious id, source id)


@dataclass(frozen=True, slots=True)
class Annotation:
    """A case or a detection: ``suspicious[suspicious_start:suspicious_end]`` is reused from
    (or reported as reused from) ``source[source_start:source_end]``."""

    suspicious: str
    suspicious_start: int
    suspicious_end: int
    source: str
    source_start: int
    source_end: int

    @property
    def pair(self) -> DocumentPair:
        return (self.suspicious, self.source)

    @property
    def chars(self) -> int:
        """Characters referenced in both documents."""
        return (self.suspicious_end - self.suspicious_start) + (self.source_end - self.source_start)


def detects(case: Annotation, detection: Annotation) -> bool:
    """True when ``detection`` and ``case`` name the same documents and overlap in both.

    The relation is symmetric, which is what lets precision be recall with the roles swapped.
    """
    return (
        case.pair == detection.pair
        and detection.suspicious_start < case.suspicious_end
        and case.suspicious_start < detection.suspicious_end
        and detection.source_start < case.source_end
        and case.source_start < detection.source_end
    )


def _covered_chars(start: int, end: int, others: Iterable[tuple[int, int]]) -> int:
    """Characters of ``[start, end)`` inside at least one of the ``others`` spans."""
    clipped = sorted((max(start, lo), min(end, hi)) for lo, hi in others)
    covered, reach = 0, start
    for lo, hi in clipped:
        lo = max(lo, reach)
        if hi > lo:
            covered += hi - lo
            reach = hi
    return covered


def _by_pair(annotations: Iterable[Annotation]) -> dict[DocumentPair, list[Annotation]]:
    index: dict[DocumentPair, list[Annotation]] = defaultdict(list)
    for annotation in annotations:
        index[annotation.pair].append(annotation)
    return index


def _covered_share(target: Annotation, others: Sequence[Annotation]) -> float:
    """``|∪_o (target ⊓ o)| / |target|`` over the ``others`` that overlap ``target``."""
    hits = [other for other in others if detects(target, other)]
    if not hits or target.chars == 0:
        return 0.0
    covered = _covered_chars(
        target.suspicious_start,
        target.suspicious_end,
        ((h.suspicious_start, h.suspicious_end) for h in hits),
    ) + _covered_chars(
        target.source_start, target.source_end, ((h.source_start, h.source_end) for h in hits)
    )
    return covered / target.chars


def macro_recall(cases: Sequence[Annotation], detections: Sequence[Annotation]) -> float:
    """``rec(S, R)``: mean over cases of the share of their characters detected."""
    if not cases and not detections:
        return 1.0
    if not cases or not detections:
        return 0.0
    index = _by_pair(detections)
    return sum(_covered_share(case, index.get(case.pair, [])) for case in cases) / len(cases)


def macro_precision(cases: Sequence[Annotation], detections: Sequence[Annotation]) -> float:
    """``prec(S, R)``: mean over detections of the share of their characters inside cases."""
    return macro_recall(detections, cases)


def granularity(cases: Sequence[Annotation], detections: Sequence[Annotation]) -> float:
    """``gran(S, R)``: mean number of detections per detected case (1 if none is detected)."""
    index = _by_pair(detections)
    per_case = [
        sum(detects(case, detection) for detection in index.get(case.pair, [])) for case in cases
    ]
    detected = [n for n in per_case if n > 0]
    return sum(detected) / len(detected) if detected else 1.0


def plagdet(precision: float, recall: float, gran: float) -> float:
    """``F1 / log2(1 + gran)``; 0 when precision and recall are both 0."""
    if precision + recall == 0:
        return 0.0
    f1 = 2 * precision * recall / (precision + recall)
    return f1 / math.log2(1 + gran)


@dataclass(frozen=True, slots=True)
class Scores:
    """PAN character measures and the document-pair measures of one set of cases.

    ``detections`` and ``flagged`` count what the detector reported (detections, document
    pairs); when they are 0 precision is PAN's convention (0, or 1 with no cases either), which
    a table had better print as undefined.
    """

    precision: float
    recall: float
    granularity: float
    plagdet: float
    pair_precision: float
    pair_recall: float
    cases: int
    detections: int
    case_pairs: int
    flagged: int
    found: int


def found_pairs(cases: Sequence[Annotation], detections: Sequence[Annotation]) -> set[DocumentPair]:
    """Document pairs with a case that at least one detection detects."""
    index = _by_pair(detections)
    return {
        case.pair
        for case in cases
        if any(detects(case, detection) for detection in index.get(case.pair, []))
    }


def pair_precision_recall(
    case_pairs: set[DocumentPair], flagged: set[DocumentPair], found: set[DocumentPair]
) -> tuple[float, float]:
    """Share of flagged pairs that are found, and share of case pairs found.

    ``found`` must be a subset of ``flagged`` and of ``case_pairs``. Same empty-set
    conventions as the character measures.
    """
    assert found <= flagged and found <= case_pairs, "found pairs must be flagged case pairs"
    if not case_pairs and not flagged:
        return 1.0, 1.0
    precision = len(found) / len(flagged) if flagged else 0.0
    recall = len(found) / len(case_pairs) if case_pairs else 0.0
    return precision, recall


def score(
    cases: Sequence[Annotation],
    detections: Sequence[Annotation],
    flagged: Iterable[DocumentPair] = (),
    case_pairs: Iterable[DocumentPair] = (),
) -> Scores:
    """Every measure at once.

    ``flagged`` adds document pairs the detector reported without a span (the pairs of
    ``detections`` are always flagged); ``case_pairs`` adds pairs that must be found although
    they carry no span of their own (the pairs of ``cases`` always must).
    """
    precision = macro_precision(cases, detections)
    recall = macro_recall(cases, detections)
    gran = granularity(cases, detections)
    all_flagged = {d.pair for d in detections} | set(flagged)
    all_case_pairs = {c.pair for c in cases} | set(case_pairs)
    found = found_pairs(cases, detections)
    pair_precision, pair_recall = pair_precision_recall(all_case_pairs, all_flagged, found)
    return Scores(
        precision=precision,
        recall=recall,
        granularity=gran,
        plagdet=plagdet(precision, recall, gran),
        pair_precision=pair_precision,
        pair_recall=pair_recall,
        cases=len(cases),
        detections=len(detections),
        case_pairs=len(all_case_pairs),
        flagged=len(all_flagged),
        found=len(found),
    )
