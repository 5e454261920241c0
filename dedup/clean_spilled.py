"""``clean`` of a corpus larger than memory: the same cuts and drops as :func:`dedup.jobs.clean`,
bit for bit, with the texts on disk and a batch of documents in memory at a time.

The records are read once, their texts written to a spill file (:class:`dedup.spill.TextSpill`)
and only their metadata kept. Then, in batches of about ``batch_chars`` characters in id order:

1. **count**: each batch's words and lines; the short lines are counted by place for the learned
   boilerplate (:class:`dedup.rules.BoilerplateCounts`), the passage keys go to files partitioned
   by key, as in a spilled scan;
2. **self-copies**: the key partitions give the documents that repeat a passage (the candidates
   of :func:`dedup.spilled.scan_spilled`, with the common-key cutoff of the whole corpus);
3. **cut**: each batch's words again, its self-copies aligned, every rule's spans combined; the
   cleaned texts go to a second spill file, the cuts stay as three numbers each;
4. **duplicates** (found always, dropped with ``drop_duplicates``): a spilled scan of the
   cleaned texts, its pairs deciding the drops as in memory
   (:func:`dedup.duplicates.duplicate_drops`).

The result's ``documents`` read each document back from the spill files when asked for it, so
the writers (:func:`dedup.cleaned.write_clean`) stream them to the output one at a time; the
spill files live until the ``with`` block ends.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import overload

import numpy as np

from dedup import rules
from dedup.config import Config
from dedup.duplicates import duplicate_drops, keep_order
from dedup.ingest import record_problem
from dedup.jobs import CutRules, self_copies
from dedup.lsh import key_partition
from dedup.parallel import Engine, resolve_engine
from dedup.passage_keys import winnow
from dedup.prepare import printable_source
from dedup.spill import PartitionSpill, TextSpill, group_by_partition
from dedup.spilled import (
    CHARS_PER_KEY,
    KEY_ROW,
    SPILL_PART_KEYS,
    is_spill_failure,
    make_scratch,
    scan_spilled,
    spill_error,
    spilled_passage_candidates,
)
from dedup.stages import cut_runs
from dedup.types import (
    CleanedDocument,
    CleanResult,
    Cut,
    DuplicateDrop,
    ProgressFn,
    Record,
    Reject,
    ScanResult,
)
from dedup.words import Shingled, shingle_corpus

CLEAN_BATCH_CHARS = 1 << 24  # characters of text worded and cut per batch


@dataclass(frozen=True, slots=True)
class _Read:
    """The records read: each kept one's metadata (text left out) in id order, its number in
    the text spill, its length; and the records skipped, in the order read."""

    records: list[Record]
    spill_index: np.ndarray
    chars: np.ndarray
    rejects: list[Reject]


class SpilledDocuments(Sequence[CleanedDocument]):
    """The cleaned documents of :func:`clean_spilled`, in id order, each read back from the
    spill files when asked for (the original and cleaned texts) and its cuts put together
    then; nothing of a document's text stays in memory."""

    def __init__(
        self,
        read: _Read,
        originals: TextSpill,
        cleaned: TextSpill,
        cuts: tuple[np.ndarray, np.ndarray, list[str]],
        dropped: dict[int, str],
    ) -> None:
        self._read = read
        self._originals = originals
        self._cleaned = cleaned
        self._cut_ptr, self._cut_rows, self._reasons = cuts
        self._dropped = dropped

    def __len__(self) -> int:
        return len(self._read.records)

    @overload
    def __getitem__(self, index: int) -> CleanedDocument: ...

    @overload
    def __getitem__(self, index: slice) -> list[CleanedDocument]: ...

    def __getitem__(self, index: int | slice) -> CleanedDocument | list[CleanedDocument]:
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        text = self._originals.read(int(self._read.spill_index[index]))
        record = dataclasses.replace(self._read.records[index], text=text)
        spans = self.spans(index)
        cuts = tuple(Cut(record.id, s.start, s.end, s.reason, text[s.start : s.end]) for s in spans)
        kept = self._dropped.get(index)
        cleaned = "" if kept is not None else self._cleaned.read(index)
        return CleanedDocument(record, cleaned, cuts, kept)

    def __iter__(self) -> Iterator[CleanedDocument]:
        for index in range(len(self)):
            yield self[index]

    def duplicate_of(self, index: int) -> str | None:
        """The kept document that document ``index`` was dropped for, if it was."""
        return self._dropped.get(index)

    def spans(self, index: int) -> list[rules.Span]:
        """The cuts of document ``index`` as spans, a drop's whole-text cut included."""
        lo, hi = int(self._cut_ptr[index]), int(self._cut_ptr[index + 1])
        rows = self._cut_rows[lo:hi].tolist()
        spans = [rules.Span(start, end, self._reasons[reason]) for start, end, reason in rows]
        kept = self._dropped.get(index)
        if kept is not None:
            whole = rules.Span(0, int(self._read.chars[index]), f"duplicate-of:{kept}")
            spans = rules._insert(spans, whole)
        return spans


@contextlib.contextmanager
def clean_spilled(
    records: Iterable[Record],
    config: Config | None = None,
    *,
    drop_duplicates: bool = False,
    spill_dir: str | Path | None = None,
    progress: ProgressFn | None = None,
    workers: int | Engine = 1,
    batch_chars: int = CLEAN_BATCH_CHARS,
    rejects_in_id_order: bool = False,
    count_duplicates: bool = True,
) -> Iterator[CleanResult]:
    """:func:`dedup.jobs.clean` of a corpus larger than memory, with the same result, bit for
    bit; its ``documents`` are read back from spill files as they are used, which stay until
    the block ends.

    Parameters
    ----------
    records : iterable of Record
        Read once, lazily.
    spill_dir : path, optional
        Folder in which a scratch folder is made for the spill files (removed at the end);
        the system's temporary folder by default.
    batch_chars : int
        Characters of text worded and cut at a time; it does not change the result.
    rejects_in_id_order : bool
        List the records skipped in id order (as :func:`dedup.jobs.clean` does for records
        sorted by id first, the order of ``dedup clean``), not in the order read.
    count_duplicates : bool
        Without ``drop_duplicates``, whether to scan for the near-duplicates only to count
        them (``counts["near_duplicates"]``), as :func:`dedup.jobs.clean` does.
    """
    config = config or Config()
    engine = resolve_engine(workers)
    where, folder = make_scratch(spill_dir)
    originals = TextSpill(folder / "texts.bin")
    cleaned = TextSpill(folder / "cleaned.bin")
    try:
        try:
            result = _clean(records, originals, cleaned, folder, config, engine, progress,
                            drop_duplicates, batch_chars, rejects_in_id_order,
                            count_duplicates)  # fmt: skip
        except OSError as error:
            if not is_spill_failure(error, folder):
                raise
            raise spill_error(where, error) from error
        yield result
    finally:
        originals.close()
        cleaned.close()
        shutil.rmtree(folder, ignore_errors=True)


def _clean(
    records: Iterable[Record],
    originals: TextSpill,
    cleaned: TextSpill,
    folder: Path,
    config: Config,
    engine: Engine,
    progress: ProgressFn | None,
    drop_duplicates: bool,
    batch_chars: int,
    rejects_in_id_order: bool,
    count_duplicates: bool = True,
) -> CleanResult:
    """The steps of :func:`clean_spilled`, with its spill files."""
    read = _spill_records(records, originals, rejects_in_id_order)
    batches = cut_runs(np.cumsum(read.chars), batch_chars)
    learned, self_docs = _count(read, originals, batches, folder, config, engine, progress)
    cuts = _cut(read, originals, cleaned, batches, learned, self_docs, config, engine, progress)
    documents = SpilledDocuments(read, originals, cleaned, cuts, {})
    duplicates: list[DuplicateDrop] = []
    # found either way, as in memory: a clean without --drop-duplicates says how many it
    # would collapse; applied only when asked
    dropped: dict[str, DuplicateDrop] = {}
    if drop_duplicates or count_duplicates:
        dropped = _duplicates(read, cleaned, folder, config, engine)
    if drop_duplicates:
        at = {record.id: k for k, record in enumerate(read.records) if record.id in dropped}
        documents = SpilledDocuments(
            read, originals, cleaned, cuts, {at[d]: drop.kept for d, drop in dropped.items()}
        )
        duplicates = sorted(dropped.values(), key=lambda d: d.dropped)
    counts = _counts(documents, read, len(dropped))
    return CleanResult(config, documents, tuple(duplicates), tuple(read.rejects), counts)


def _spill_records(records: Iterable[Record], texts: TextSpill, id_order: bool) -> _Read:
    """Each usable record's text to ``texts``, its metadata kept; the first of each id, in id
    order, as :func:`dedup.prepare.prepare_records` has them, with the same rejects (in the
    order read, or with ``id_order`` in id order, as of records sorted by id first)."""
    meta: list[Record] = []
    chars = array("q")
    first: dict[str, int] = {}
    rejects: list[tuple[str, int, Reject]] = []
    for number, record in enumerate(records):
        problem = record_problem(record)
        if problem is not None:
            reject = Reject(printable_source(record), problem, None)
            rejects.append((record.id if id_order else "", number, reject))
            continue
        if record.id in first:
            source = meta[first[record.id]].source or "an earlier record"
            reason = f'duplicate id "{record.id}" (first at {source})'
            reject = Reject(record.source or record.id, reason, record.id)
            rejects.append((record.id if id_order else "", number, reject))
            continue
        first[record.id] = texts.append(record.text)
        chars.append(len(record.text))
        meta.append(dataclasses.replace(record, text=""))
    order = np.array([first[key] for key in sorted(first)], dtype=np.int64)
    del first
    lengths = np.frombuffer(chars, dtype=np.int64)[order] if len(order) else order
    rejects.sort(key=lambda item: item[:2])
    skipped = [reject for _, _, reject in rejects]
    return _Read([meta[i] for i in order.tolist()], order, lengths, skipped)


def _batch(
    read: _Read, texts: TextSpill, first: int, last: int, config: Config, engine: Engine
) -> tuple[list[str], Shingled, list[rules.Lines]]:
    """The texts of documents ``first:last``, their words and shingles, and their lines."""
    batch = [texts.read(int(i)) for i in read.spill_index[first:last].tolist()]
    shingled = shingle_corpus(batch, config.shingle_size, workers=engine)
    lines = []
    for k, text in enumerate(batch):
        words = shingled.tokens.doc(k)
        lines.append(rules.lines_of(text, words.starts, words.hashes))
    return batch, shingled, lines


def _count(
    read: _Read,
    texts: TextSpill,
    batches: list[tuple[int, int]],
    folder: Path,
    config: Config,
    engine: Engine,
    progress: ProgressFn | None,
) -> tuple[set[tuple[str, str, bytes]], np.ndarray]:
    """The learned boilerplate lines, and the documents that repeat a passage."""
    skip = set(config.clean_skip)
    n_docs = len(read.records)
    counts = rules.BoilerplateCounts(config.boilerplate_max_words)
    parts = max(1, -(-int(read.chars.sum()) // (CHARS_PER_KEY * SPILL_PART_KEYS)))
    keys = PartitionSpill(folder, "keys", KEY_ROW, parts)
    for first, last in batches:
        _, shingled, lines = _batch(read, texts, first, last, config, engine)
        if "learned" not in skip:
            for doc_lines, record in zip(lines, read.records[first:last]):
                counts.add(doc_lines, record.outlet)
        if "self-duplicate" not in skip:
            found = winnow(shingled.shingles, shingled.shingle_ptr, config.passage_window)
            rows = np.empty(len(found.values), dtype=KEY_ROW)
            rows["value"] = found.values
            docs = np.arange(first, last, dtype=np.int64)
            rows["doc"] = np.repeat(docs, np.diff(found.key_ptr))
            rows["position"] = found.positions
            order, sizes = group_by_partition(key_partition(found.values, parts), parts)
            keys.append_grouped(rows[order], sizes)
        if progress:
            progress("words", last, n_docs)
    learned: set[tuple[str, str, bytes]] = set()
    if "learned" not in skip:
        learned = counts.learned(
            min_docs=config.boilerplate_min_docs, fraction=config.boilerplate_fraction
        )
    self_docs = np.zeros(0, dtype=np.int64)
    if "self-duplicate" not in skip:
        passage, _ = spilled_passage_candidates(keys, folder, n_docs, config, engine, None)
        self_docs = passage.self_docs
    else:
        keys.close()
    return learned, self_docs


def _cut(
    read: _Read,
    texts: TextSpill,
    cleaned: TextSpill,
    batches: list[tuple[int, int]],
    learned: set[tuple[str, str, bytes]],
    self_docs: np.ndarray,
    config: Config,
    engine: Engine,
    progress: ProgressFn | None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every document's cuts, as :func:`dedup.jobs.clean` makes them, its cleaned text
    appended to ``cleaned``; returns the cuts: pointers (n_docs + 1,), rows (start, end,
    reason number) and the reasons."""
    skip = set(config.clean_skip)
    cut_rules = CutRules.of(config, learned, read.records)
    reasons: dict[str, int] = {}
    rows = array("q")
    ptr = array("q", [0])
    n_docs = len(read.records)
    for first, last in batches:
        batch, shingled, lines = _batch(read, texts, first, last, config, engine)
        copies: dict[int, list[tuple[int, int, int, int]]] = {}
        if "self-duplicate" not in skip:
            lo, hi = np.searchsorted(self_docs, [first, last])
            copies = self_copies(shingled, self_docs[lo:hi] - first, config, engine)
        for k, (text, doc_lines) in enumerate(zip(batch, lines)):
            spans = cut_rules.spans(read.records[first + k], text, doc_lines, copies.get(k, []))
            cleaned.append(rules.apply_cuts(text, spans))
            for span in spans:
                rows.extend((span.start, span.end, reasons.setdefault(span.reason, len(reasons))))
            ptr.append(len(rows) // 3)
        if progress:
            progress("clean", last, n_docs)
    table = np.frombuffer(rows, dtype=np.int64).reshape(-1, 3) if rows else np.zeros((0, 3), int)
    return np.frombuffer(ptr, dtype=np.int64), table, list(reasons)


def _duplicates(
    read: _Read, cleaned: TextSpill, folder: Path, config: Config, engine: Engine
) -> dict[str, DuplicateDrop]:
    """The near-duplicates dropped, by id: a spilled scan of the cleaned texts with words
    (copies grouped around their earliest document, as in memory)."""

    def with_words(ids: set[str] | None) -> Iterator[Record]:
        for index, record in enumerate(read.records):
            if ids is not None and record.id not in ids:
                continue
            text = cleaned.read(index)
            if text.strip():
                yield dataclasses.replace(record, text=text)

    def scan_some(ids: set[str] | None, near: bool) -> ScanResult:
        return scan_spilled(
            with_words(ids),
            config,
            spill_dir=folder,
            workers=engine,
            near_groups=near,
            representative_key=keep_order,
        )

    return duplicate_drops(scan_some, read.records, config)


def _counts(documents: SpilledDocuments, read: _Read, near_duplicates: int) -> dict[str, int]:
    """The counts of :func:`dedup.jobs.clean`, from the cuts and the near-duplicates found."""
    removed: dict[str, int] = defaultdict(int)
    with_cuts = 0
    kept = 0
    for index in range(len(documents)):
        spans = documents.spans(index)
        with_cuts += bool(spans)
        kept += documents.duplicate_of(index) is None
        for span in spans:
            key = "duplicate-of" if span.reason.startswith("duplicate-of:") else span.reason
            removed[key] += span.end - span.start
    return {
        "documents": len(documents),
        "kept": kept,
        "near_duplicates": near_duplicates,
        "dropped_duplicates": len(documents) - kept,
        "documents_with_cuts": with_cuts,
        "characters": int(read.chars.sum()),
        "characters_removed": sum(removed.values()),
        **{f"removed:{reason}": chars for reason, chars in sorted(removed.items())},
    }
