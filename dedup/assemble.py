"""The assemble stage: aligned spans grouped into passage clusters with their witnesses, pair
records and per-document measures, with character offsets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.candidates import Overlap
from dedup.config import Config
from dedup.edits import (
    A_HI,
    A_LO,
    B_HI,
    B_LO,
    DELETED,
    EDITED,
    EXACT,
    INSERTED,
    KIND,
    MATCHED_A,
    MATCHED_B,
    REORDERED,
    SUBSTITUTED,
)
from dedup.shingle import (
    Tokens,
)
from dedup.spans import cluster_spans, union_lengths
from dedup.types import (
    Alignment,
    DocumentInfo,
    Pair,
    PassageCluster,
    Record,
    Witness,
)

#: An alignment row: the passage columns of :mod:`dedup.align` (``A_LO`` … ``MATCHED_B``),
#: then its edit columns (``KIND`` … ``PIECES``) from ``EDITS_AT`` on.
EDITS_AT = 6
ROW_WIDTH = 12
#: The name of each ``KIND`` of reuse, in the order of increasing change: a passage cluster
#: takes the most changed kind of the alignments that make it.
REUSE_KINDS = {EXACT: "exact", EDITED: "edited", REORDERED: "reordered"}


def alignment_rows(passages: np.ndarray, edits: np.ndarray) -> np.ndarray:
    """Rows of ``ROW_WIDTH`` columns: each passage (shape (n, 6)) beside its edits (n, 6)."""
    return np.hstack(
        [
            np.asarray(passages, dtype=np.int64).reshape(-1, EDITS_AT),
            np.asarray(edits, dtype=np.int64).reshape(-1, ROW_WIDTH - EDITS_AT),
        ]
    )


def _reuse_kind(row: list[int]) -> str:
    return REUSE_KINDS[row[EDITS_AT + KIND]]


def span_offsets(
    raw: list[tuple[int, int, list[int]]], tokens: Tokens
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Document and character span of both sides of every alignment row: entries ``2k`` and
    ``2k + 1`` are row ``k``'s ``a`` and ``b`` side (ndarrays of int64)."""
    if not raw:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    rows = np.array([row for _, _, row in raw], dtype=np.int64).reshape(-1, ROW_WIDTH)
    pairs = np.array([(a, b) for a, b, _ in raw], dtype=np.int64).reshape(-1, 2)
    docs = pairs.reshape(-1)
    first = np.stack([rows[:, A_LO], rows[:, B_LO]], axis=1).reshape(-1)
    past = np.stack([rows[:, A_HI], rows[:, B_HI]], axis=1).reshape(-1)
    base = tokens.doc_ptr[docs]
    return docs, tokens.starts[base + first], tokens.ends[base + past - 1]


def cluster_passages(
    raw: list[tuple[int, int, list[int]]], spans: np.ndarray, table: DocTable
) -> tuple[list[tuple[int, int, list[int], Alignment]], list[PassageCluster]]:
    """Alignments in character offsets (beside their word-position rows), and the passage
    clusters they form. ``spans`` holds the document, start and end of both sides of every
    row (:func:`span_offsets`), shape (3, 2 * len(raw))."""
    if not raw:
        return [], []
    docs = table.records
    span_doc, span_start, span_end = (column.tolist() for column in spans)
    # equal occurrences are one: a passage carried by N copies has N equal spans in the
    # representative, and overlapping spans of one document are compared two by two
    distinct, same = np.unique(spans, axis=1, return_inverse=True)
    same = same.reshape(-1)
    links = same.reshape(-1, 2)
    labels = cluster_spans(distinct[0], distinct[1], distinct[2], links)[same]

    members: dict[int, list[int]] = defaultdict(list)
    for span, label in enumerate(labels.tolist()):
        members[label].append(span)
    clusters = []
    for spans_of in members.values():
        witnesses = _merge_witnesses([(span_doc[s], span_start[s], span_end[s]) for s in spans_of])
        clusters.append((witnesses, spans_of))
    clusters.sort(key=lambda item: item[0][0])
    cluster_id: dict[int, str] = {}
    passages = []
    for number, (witnesses, spans_of) in enumerate(clusters, 1):
        name = f"p{number}"
        for s in spans_of:
            cluster_id[s] = name
        kind = max(raw[s // 2][2][EDITS_AT + KIND] for s in spans_of)
        doc, start, end = max(witnesses, key=lambda w: (w[2] - w[1], -w[0], -w[1]))
        passages.append(
            PassageCluster(
                name,
                table.text_of(doc)[start:end],
                tuple(Witness(docs[d].id, s, e) for d, s, e in witnesses),
                reuse_kind=REUSE_KINDS[kind],
            )
        )
    alignments = []
    for k, (a, b, row) in enumerate(raw):
        alignments.append(
            (
                a,
                b,
                row,
                Alignment(
                    a=docs[a].id,
                    a_start=span_start[2 * k],
                    a_end=span_end[2 * k],
                    b=docs[b].id,
                    b_start=span_start[2 * k + 1],
                    b_end=span_end[2 * k + 1],
                    words_a=row[A_HI] - row[A_LO],
                    words_b=row[B_HI] - row[B_LO],
                    matched_words=min(row[MATCHED_A], row[MATCHED_B]),
                    reuse_kind=_reuse_kind(row),
                    substituted_words=row[EDITS_AT + SUBSTITUTED],
                    inserted_words=row[EDITS_AT + INSERTED],
                    deleted_words=row[EDITS_AT + DELETED],
                    cluster=cluster_id[2 * k],
                ),
            )
        )
    return alignments, passages


def _merge_witnesses(spans: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Sorted occurrences, overlapping ones in one document merged into their union."""
    merged: list[list[int]] = []
    for doc, start, end in sorted(spans):
        if merged and merged[-1][0] == doc and start < merged[-1][2]:
            merged[-1][2] = max(merged[-1][2], end)
        else:
            merged.append([doc, start, end])
    return [(doc, start, end) for doc, start, end in merged]


def assemble_pairs(
    alignments: list[tuple[int, int, list[int], Alignment]],
    near_duplicates: dict[tuple[int, int], Overlap],
    measures: dict[tuple[int, int], Overlap],
    ids: list[str],
    words: np.ndarray,
    config: Config,
) -> list[Pair]:
    cross = [(a, b, row, alignment) for a, b, row, alignment in alignments if a != b]
    keys = sorted({(a, b) for a, b, _, _ in cross} | near_duplicates.keys())
    number = {key: k for k, key in enumerate(keys)}
    groups = np.array([number[(a, b)] for a, b, _, _ in cross], dtype=np.int64)
    rows = np.array([row for _, _, row, _ in cross], dtype=np.int64).reshape(-1, ROW_WIDTH)
    n = len(keys)
    reused_a = union_lengths(groups, rows[:, A_LO], rows[:, A_HI], n).tolist()
    reused_b = union_lengths(groups, rows[:, B_LO], rows[:, B_HI], n).tolist()
    matched_a = np.bincount(groups, weights=rows[:, MATCHED_A], minlength=n).astype(np.int64)
    matched_b = np.bincount(groups, weights=rows[:, MATCHED_B], minlength=n).astype(np.int64)
    found: list[list[Alignment]] = [[] for _ in keys]
    for k, (_, _, _, alignment) in zip(groups.tolist(), cross):
        found[k].append(alignment)
    pairs = []
    for k, (a, b) in enumerate(keys):
        overlap = measures[(a, b)]
        words_a, words_b = int(words[a]), int(words[b])
        pairs.append(
            Pair(
                a=ids[a],
                b=ids[b],
                words_a=words_a,
                words_b=words_b,
                reused_words_a=reused_a[k],
                reused_words_b=reused_b[k],
                reused_fraction_a=reused_a[k] / words_a,
                reused_fraction_b=reused_b[k] / words_b,
                copied_words_a=min(int(matched_a[k]), reused_a[k]),
                copied_words_b=min(int(matched_b[k]), reused_b[k]),
                jaccard=overlap.jaccard,
                containment_a=overlap.containment_a,
                containment_b=overlap.containment_b,
                near_duplicate=overlap.jaccard >= config.threshold,
                alignments=tuple(sorted(found[k], key=lambda x: (x.a_start, x.b_start))),
            )
        )
    return pairs


def document_measures(
    n_docs: int, raw: list[tuple[int, int, list[int]]]
) -> tuple[np.ndarray, np.ndarray]:
    """Each document's reused and repeated words (ndarrays of int64, length ``n_docs``), from
    the alignment rows ``raw``."""
    rows = np.array([row for _, _, row in raw], dtype=np.int64).reshape(-1, ROW_WIDTH)
    a = np.array([a for a, _, _ in raw], dtype=np.int64)
    b = np.array([b for _, b, _ in raw], dtype=np.int64)
    cross, same = a != b, a == b
    reused = union_lengths(
        np.concatenate([a[cross], b[cross]]),
        np.concatenate([rows[cross, A_LO], rows[cross, B_LO]]),
        np.concatenate([rows[cross, A_HI], rows[cross, B_HI]]),
        n_docs,
    )
    repeated = union_lengths(a[same], rows[same, B_LO], rows[same, B_HI], n_docs)
    return reused, repeated


def document_infos(table: DocTable, raw: list[tuple[int, int, list[int]]]) -> list[DocumentInfo]:
    reused_words, repeated_words = document_measures(len(table.records), raw)
    reused, repeated = reused_words.tolist(), repeated_words.tolist()
    return [
        DocumentInfo(
            id=record.id,
            words=n_words,
            chars=n_chars,
            reused_words=reused[index],
            repeated_words=repeated[index],
            outlet=record.outlet,
            date=record.date,
            source=record.source,
        )
        for index, (record, n_words, n_chars) in enumerate(
            zip(table.records, table.words.tolist(), table.chars.tolist())
        )
    ]


@dataclass(frozen=True, slots=True)
class DocTable:
    """What verification needs of each document, in document order: its record (whose text
    may be left empty when ``text_of`` reads it from elsewhere), its words and characters,
    and its text on demand."""

    records: Sequence[Record]
    words: np.ndarray
    chars: np.ndarray
    text_of: Callable[[int], str]

    @classmethod
    def of(cls, records: Sequence[Record], tokens: Tokens) -> DocTable:
        """The table of records held in memory, with their words."""
        chars = np.array([len(r.text) for r in records], dtype=np.int64)
        return cls(records, np.diff(tokens.doc_ptr), chars, lambda doc: records[doc].text)
