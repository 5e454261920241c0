"""A Ray scan's result with its largest parts left as columns and files: each document's
record made when it is read (:class:`DocumentColumns`) and each passage's text read from the
file the task that cut it wrote (:class:`PassageTexts`), so that writing the scan's files
holds neither every document's record nor every passage's text at once.

Both are read-only sequences, equal item for item to the tuples of a local scan; a
:class:`~dedup.types.ScanResult` holding them is good while its scratch folder is there
(:func:`dedup.ray_scan.streamed_shards`), and :func:`materialized` makes the tuples.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast, overload

import numpy as np

from dedup.assemble import DocTable, document_measures
from dedup.types import DocumentInfo, PassageCluster, Record, ScanResult
from dedup.verify import Verified

TEXT_ERRORS = "surrogatepass"  # as dedup.ray_shards


class DocumentColumns(Sequence[DocumentInfo]):
    """Each document's :class:`DocumentInfo`, made from columns when asked for (what
    :func:`dedup.assemble.document_infos` makes all at once)."""

    def __init__(
        self,
        records: Sequence[Record],
        words: np.ndarray,
        chars: np.ndarray,
        reused: np.ndarray,
        repeated: np.ndarray,
    ) -> None:
        self.records = records
        self.columns = (words, chars, reused, repeated)

    def __len__(self) -> int:
        return len(self.records)

    @overload
    def __getitem__(self, index: int) -> DocumentInfo: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[DocumentInfo]: ...

    def __getitem__(self, index: int | slice) -> DocumentInfo | Sequence[DocumentInfo]:
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self)))]
        record = self.records[index]
        words, chars, reused, repeated = (int(column[index]) for column in self.columns)
        return DocumentInfo(
            record.id, words, chars, reused, repeated, record.outlet, record.date, record.source
        )

    def __iter__(self) -> Iterator[DocumentInfo]:
        for k in range(len(self)):
            yield self[k]

    def with_repeats(self) -> int:
        """The documents that repeat some of their own text."""
        return int(np.count_nonzero(self.columns[3]))


def document_columns(table: DocTable, raw: list[tuple[int, int, list[int]]]) -> DocumentColumns:
    """:func:`dedup.assemble.document_infos` as columns (a :data:`dedup.verify.DocumentsFn`)."""
    reused, repeated = document_measures(len(table.records), raw)
    return DocumentColumns(table.records, table.words, table.chars, reused, repeated)


class PassageTexts(Sequence[PassageCluster]):
    """``passages`` with their texts read, when asked for, from the files the cut tasks
    wrote: passage ``k`` is in ``paths[k // per_file]``, from byte ``starts[k]`` to
    ``starts[k] + lengths[k]`` of it."""

    def __init__(
        self,
        passages: Sequence[PassageCluster],
        paths: list[Path],
        lengths: np.ndarray,
        per_file: int,
    ) -> None:
        self.passages = passages
        self.paths = paths
        self.per_file = per_file
        self.lengths = lengths.astype(np.int64, copy=False)
        ends = np.cumsum(self.lengths)
        self.starts = ends - self.lengths
        # the byte offsets start again at each file
        firsts = self.starts[::per_file] if len(ends) else self.starts[:0]
        self.starts -= np.repeat(firsts, per_file)[: len(ends)]

    def __len__(self) -> int:
        return len(self.passages)

    @overload
    def __getitem__(self, index: int) -> PassageCluster: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[PassageCluster]: ...

    def __getitem__(self, index: int | slice) -> PassageCluster | Sequence[PassageCluster]:
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self)))]
        index = range(len(self))[index]
        path = self.paths[index // self.per_file]
        with open(path, "rb") as handle:
            handle.seek(int(self.starts[index]))
            data = handle.read(int(self.lengths[index]))
        return self._with(index, data)

    def __iter__(self) -> Iterator[PassageCluster]:
        for file, path in enumerate(self.paths):
            lo = file * self.per_file
            hi = min(lo + self.per_file, len(self))
            data = path.read_bytes()
            expected = int(self.lengths[lo:hi].sum())
            if len(data) != expected:
                raise OSError(f"{path}: {len(data)} bytes, {expected} written")
            for k in range(lo, hi):
                start = int(self.starts[k])
                yield self._with(k, data[start : start + int(self.lengths[k])])
            del data

    def _with(self, index: int, data: bytes) -> PassageCluster:
        return dataclasses.replace(self.passages[index], text=data.decode("utf-8", TEXT_ERRORS))


def streamed_result(
    found: Verified, documents: DocumentColumns, passages: PassageTexts, **scan: Any
) -> ScanResult:
    """:meth:`Verified.scan_result` (``scan``: its arguments) holding ``documents`` and
    ``passages`` (``found``'s, as columns and files) as they are, not as tuples."""
    result = dataclasses.replace(found, documents=[]).scan_result(**scan)
    counts = {**result.counts, "documents_with_repeats": documents.with_repeats()}
    return result.replace(documents=documents, passages=passages, counts=counts)


def for_display(result: ScanResult, top: int) -> ScanResult:
    """``result`` with only the passages the top-pairs table may show (the passages of the
    ``top`` pairs that share the most words, ranked as :func:`dedup.writers.top_pairs_table`
    ranks them), so that showing it reads no other passage's text."""
    passages = result.passages
    if not isinstance(passages, PassageTexts):
        return result
    ranked = heapq.nsmallest(
        top, result.pairs, key=lambda p: (-max(p.reused_words_a, p.reused_words_b), p.a, p.b)
    )
    wanted = {alignment.cluster for pair in ranked for alignment in pair.alignments}
    shown = [passages[k] for k, p in enumerate(passages.passages) if p.id in wanted]
    return result.replace(passages=tuple(shown))


def materialized(result: ScanResult) -> ScanResult:
    """``result`` with its documents and passages read into tuples (before its scratch
    folder goes)."""
    return result.replace(
        documents=tuple(cast(Sequence[DocumentInfo], result.documents)),
        passages=tuple(cast(Sequence[PassageCluster], result.passages)),
    )


__all__ = [
    "DocumentColumns",
    "PassageTexts",
    "document_columns",
    "for_display",
    "materialized",
    "streamed_result",
]
