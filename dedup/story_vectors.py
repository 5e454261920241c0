"""The stories' TF-IDF vectors built a batch of documents at a time: the numbers of
scikit-learn's ``TfidfVectorizer.fit_transform``, bit for bit, without its vocabulary of
every term of the corpus as Python strings.

``TfidfVectorizer`` keeps every distinct word and word pair it meets (before ``min_df``
drops the rare ones) in a dict of strings, and every entry of the count matrix in a Python
list: at 100,000 news articles that is gigabytes. Here:

1. **terms as numbers**: each document's words (the vectorizer's own decoder, preprocessor,
   tokenizer and stop words) become word numbers (a dict of the distinct *words* only), and
   each term a 64-bit key, ``(first word + 1) << 32 | (second word + 1)`` (0 for a single
   word); a document's distinct keys and their counts are kept (in memory, or in files of
   ``scratch``);
2. **document frequencies**, a batch at a time, reduced per partition of the keys: each
   key's number of documents and the place in the corpus where it first appeared (the
   vectorizer's column order before sorting, which is the order of each row's entries);
3. **the kept terms** (``min_df`` ≤ documents ≤ ``max_df``) sorted as the vectorizer sorts
   their strings: a word pair ``"a b"`` sorts as the tuple (a, b) because a token never holds
   a character at or below the space (checked; otherwise the strings are sorted);
4. **the rows**, a batch at a time: counts, ``log`` + 1, times the idf, divided by their L2
   norm summed in the vectorizer's order (:func:`_normalize_rows`).

:func:`supported` says which vectorizer settings this reproduces (the story clusterer's);
``tests/test_story_vectors.py`` compares it with ``TfidfVectorizer`` on the labelled sets.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from numbers import Integral
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from numba import njit
from sklearn.feature_extraction.text import TfidfVectorizer

from dedup.parallel import worker_processes_allowed
from dedup.story_kernels import analyser_keys, document_terms, kept_entries, key_table
from dedup.story_kernels import row_dots as csr_row_dots
from dedup.story_rows import DiskRows

#: Documents analysed at once.
BATCH_DOCS = 8192
#: Partitions of the term keys whose document frequencies are reduced at once (a power of
#: two; at a million articles each holds some tens of millions of a batch's distinct keys).
PARTITIONS = 64
_LOW = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)
#: The vectorizer's default token pattern, and a pattern that finds the same tokens (the
#: runs of two or more word characters) in less time.
_DEFAULT_PATTERN = r"(?u)\b\w\w+\b"
_RUNS = re.compile(r"\w\w+")


@dataclass(frozen=True)
class TermTable:
    """The kept terms, in column order: ``first[c]`` and ``second[c]`` (-1 for a single
    word) index ``words``; ``idf[c]`` is the column's idf (float32)."""

    words: Sequence[str]
    first: np.ndarray
    second: np.ndarray
    idf: np.ndarray

    def __len__(self) -> int:
        return len(self.first)

    def __getitem__(self, column: int) -> str:
        second = int(self.second[column])
        word = self.words[int(self.first[column])]
        return word if second < 0 else f"{word} {self.words[second]}"

    def vocabulary(self) -> dict[str, int]:
        """Every kept term's column, as ``TfidfVectorizer.vocabulary_``."""
        return {self[column]: column for column in range(len(self))}


def supported(vectorizer: TfidfVectorizer) -> bool:
    """Whether :func:`tfidf_vectors` reproduces ``vectorizer.fit_transform`` (word and word
    pair terms, sublinear tf, smoothed idf, L2 norm, float32, no fixed vocabulary)."""
    low, high = vectorizer.ngram_range
    return bool(
        vectorizer.analyzer == "word"
        and 1 <= low <= high <= 2
        and vectorizer.sublinear_tf
        and vectorizer.use_idf
        and vectorizer.smooth_idf
        and vectorizer.norm == "l2"
        and not vectorizer.binary
        and vectorizer.vocabulary is None
        and vectorizer.max_features is None
        and vectorizer.dtype == np.float32
    )


def fitted_vectorizer(vectorizer: TfidfVectorizer, table: TermTable) -> TfidfVectorizer:
    """``vectorizer`` (unfitted) given the vocabulary and idf of ``table``, as if fitted."""
    vectorizer.vocabulary_ = table.vocabulary()
    vectorizer.fixed_vocabulary_ = False
    vectorizer.idf_ = table.idf
    return vectorizer


def tfidf_vectors(
    texts: Iterable[str],
    vectorizer: TfidfVectorizer,
    *,
    scratch: str | Path | None = None,
    batch_docs: int = BATCH_DOCS,
    on_disk: bool = False,
    workers: int = 1,
) -> tuple[sp.csr_matrix | DiskRows, TermTable]:
    """``vectorizer.fit_transform(texts)`` (the same numbers, in the same order in each
    row) and its terms, read once; ``vectorizer`` is only read (:func:`supported` must hold).

    Parameters
    ----------
    texts : iterable of str
        Read once, a batch at a time.
    scratch : folder, optional
        Where each batch's term counts go (else they stay in memory).
    on_disk : bool, default=False
        With ``scratch``: the matrix is left in files of ``scratch`` and returned as a
        :class:`dedup.story_rows.DiskRows`, each row's entries sorted by column (the same
        numbers; the caller closes it, which removes its files).
    workers : int, default=1
        Processes that analyse the batches (each with its own numbers of words, made the
        corpus' in batch order, so the result is the same for any number); the matrix on
        disk is read on as many threads.

    Raises
    ------
    ValueError
        As ``fit_transform`` does: no term at all, or none left between ``min_df`` and
        ``max_df``.
    """
    if not supported(vectorizer):
        raise ValueError("tfidf_vectors: unsupported TfidfVectorizer settings")
    if on_disk and scratch is None:
        raise ValueError("tfidf_vectors: on_disk needs a scratch folder")
    store = _Store(None if scratch is None else Path(scratch))
    try:
        return _vectors(texts, vectorizer, store, batch_docs, on_disk, workers)
    finally:
        store.close()


def _vectors(
    texts: Iterable[str],
    vectorizer: TfidfVectorizer,
    store: _Store,
    batch_docs: int,
    on_disk: bool = False,
    workers: int = 1,
) -> tuple[sp.csr_matrix | DiskRows, TermTable]:
    words: dict[str, int] = {}
    n_docs = 0
    for part in _batch_terms(texts, vectorizer, batch_docs, words, workers):
        if part.words is not None:  # numbered by a worker: as this corpus numbers them
            renumber = _renumbering(part.words, words)
            part.doc_keys = _rekey(part.doc_keys, renumber)
            part.keys = _rekey(part.keys, renumber)
        store.add_batch(part.doc_keys, part.counts, part.doc_lengths)
        part.firsts += store.position  # its places in the batch, made the corpus'
        store.add_frequencies(part.keys, part.frequencies, part.firsts)
        store.position += part.n_keys
        n_docs += part.n_docs
    if store.n_keys == 0:
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    high = _document_count(vectorizer.max_df, n_docs)
    low = _document_count(vectorizer.min_df, n_docs)
    if high < low:
        raise ValueError("max_df corresponds to < documents than min_df")
    keys, frequencies, firsts = store.kept(low, high)
    if len(keys) == 0:
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    names = list(words)
    del words
    column = _column_order(keys, names)
    table = _table(keys, frequencies, column, names, n_docs)
    by_key = np.argsort(keys)
    lookup = _Lookup(keys[by_key], column[by_key], firsts[by_key])
    n_terms = len(keys)
    del keys, frequencies, firsts, column, by_key  # the lookup holds what the rows need
    # one batch at a time: a batch's rows take several times its entries while made
    parts = (lookup.rows(*stored, table.idf) for stored in store.batches())
    if store.folder is None:
        return _stack(list(parts), n_docs, n_terms), table
    if on_disk:
        return _rows_to_files(parts, n_terms, store.folder, workers), table
    return _stack_from_files(parts, n_docs, n_terms, store.folder, store.position), table


@dataclass
class _BatchTerms:
    """One batch's document terms (:func:`_document_terms`) and document frequencies
    (:func:`_batch_frequencies`), its places counted from the batch's first key; ``words``:
    the words its keys number, when numbered apart from the corpus (else None)."""

    doc_keys: np.ndarray
    counts: np.ndarray
    doc_lengths: np.ndarray
    keys: np.ndarray
    frequencies: np.ndarray
    firsts: np.ndarray
    n_keys: int
    n_docs: int
    words: list[str] | None


def _terms_of(batch: list[str], vectorizer: TfidfVectorizer, words: dict[str, int]) -> _BatchTerms:
    keys, lengths = _analyse(batch, vectorizer, words)
    doc_keys, counts, firsts, doc_lengths = _document_terms(keys, lengths, 0)
    unique, frequencies, first_places = _batch_frequencies(doc_keys, firsts)
    return _BatchTerms(
        doc_keys, counts, doc_lengths, unique, frequencies, first_places, len(keys), len(batch),
        None,
    )  # fmt: skip


def _terms_apart(batch: list[str], vectorizer: TfidfVectorizer) -> _BatchTerms:
    """:func:`_terms_of` in a worker process, its words numbered from 0."""
    words: dict[str, int] = {}
    part = _terms_of(batch, vectorizer, words)
    part.words = list(words)
    return part


def _batch_terms(
    texts: Iterable[str],
    vectorizer: TfidfVectorizer,
    batch_docs: int,
    words: dict[str, int],
    workers: int,
) -> Iterator[_BatchTerms]:
    """Each batch's terms, in order: here (numbered in ``words``) with one worker or one
    batch, else in ``workers`` processes, each batch a ``workers``-th of ``batch_docs`` (so
    that the batches in flight hold about as many documents as one batch here)."""
    apart = workers > 1 and worker_processes_allowed()
    batches = _batches(texts, max(1, batch_docs // workers) if apart else batch_docs)
    started = list(itertools.islice(batches, 2))
    if not apart or len(started) < 2:
        for batch in itertools.chain(started, batches):
            yield _terms_of(batch, vectorizer, words)
        return
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        pending: deque[Future[_BatchTerms]] = deque()
        for batch in itertools.chain(started, batches):
            pending.append(pool.submit(_terms_apart, batch, vectorizer))
            del batch
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _renumbering(batch_words: list[str], words: dict[str, int]) -> np.ndarray:
    """The corpus number + 1 of each of a batch's words + 1 (0 stays 0), numbering the
    words not seen before in their order, as one pass over the corpus numbers them."""
    table = np.zeros(len(batch_words) + 1, dtype=np.uint64)
    table[1:] = [words.setdefault(w, len(words)) + 1 for w in batch_words]
    return table


def _rekey(keys: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Term keys with both their word numbers renumbered by ``table``."""
    first = table[(keys >> _SHIFT).astype(np.int64)]
    second = table[(keys & _LOW).astype(np.int64)]
    return (first << _SHIFT) | second


def _document_count(share: float, n_docs: int) -> float:
    """A ``min_df`` or ``max_df`` as a number of documents, as the vectorizer reads it."""
    return float(share) if isinstance(share, Integral) else float(share) * n_docs


def _batches(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _analyse(
    texts: list[str], vectorizer: TfidfVectorizer, words: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The term keys of each text in the vectorizer's analyser order (its single words,
    then its word pairs), concatenated, and each text's number of keys."""
    decode = vectorizer.decode
    preprocess = vectorizer.build_preprocessor()
    tokenize = (
        _RUNS.findall  # the same tokens, found faster
        if vectorizer.tokenizer is None and vectorizer.token_pattern == _DEFAULT_PATTERN
        else vectorizer.build_tokenizer()
    )
    stop = vectorizer.get_stop_words()
    low, high = vectorizer.ngram_range
    numbers = _Numbers(stop or (), words)
    known = len(numbers)
    number = numbers.__getitem__
    parts, lengths = [], np.zeros(len(texts), dtype=np.int64)
    for k, text in enumerate(texts):
        tokens = tokenize(preprocess(decode(text)))
        parts.append(np.fromiter(map(number, tokens), dtype=np.int64, count=len(tokens)))
        lengths[k] = len(tokens)
    for word in itertools.islice(numbers, known, None):  # the new words, in their order
        words[word] = numbers[word]
    ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    del parts, numbers
    return analyser_keys(ids, lengths, low == 1, high == 2)


class _Numbers(dict[str, int]):
    """Word numbers, a new word given the next in turn when first looked up; a stop word's
    is -1."""

    def __init__(self, stop: Iterable[str], words: dict[str, int]) -> None:
        super().__init__(dict.fromkeys(stop, -1))
        self.n_stop = len(self)
        self.update(words)

    def __missing__(self, word: str) -> int:
        number = self[word] = len(self) - self.n_stop
        return number


def _document_terms(
    keys: np.ndarray, lengths: np.ndarray, position: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each document's distinct keys (ascending), their counts and first places in the
    corpus (``position``: the corpus place of ``keys[0]``), and each document's number of
    distinct keys."""
    if len(keys) == 0:
        return keys, np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(len(lengths), np.int64)
    distinct, counts, firsts, doc_lengths = document_terms(keys, lengths.astype(np.int64))
    firsts += position
    return distinct, counts, firsts, doc_lengths


def _batch_frequencies(
    keys: np.ndarray, firsts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each distinct key of a batch, its number of documents and its first place (as
    :func:`_reduce`: the firsts of equal keys ascend already, each document's places after
    the one before's, so a stable sort of the keys alone orders them as it does)."""
    if len(keys) == 0:
        return keys, np.zeros(0, dtype=np.int64), firsts
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    start = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    frequencies = np.diff(np.r_[start, len(keys)]).astype(np.int64)
    return keys[start], frequencies, firsts[order[start]]


def _reduce(
    keys: np.ndarray, frequencies: np.ndarray, firsts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entries of equal key made one: frequencies added, the earliest first place kept."""
    if len(keys) == 0:
        return keys, frequencies, firsts
    order = np.argsort(keys)  # the earliest first place of a key is its least
    keys = keys[order]
    start = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return (
        keys[start],
        np.add.reduceat(frequencies[order], start),
        np.minimum.reduceat(firsts[order], start),
    )


def _column_order(keys: np.ndarray, words: list[str]) -> np.ndarray:
    """Each kept key's column: the rank of its term's string among the kept terms'."""
    first = (keys >> _SHIFT).astype(np.int64) - 1
    second = (keys & _LOW).astype(np.int64) - 1
    if all(word and min(word) > " " for word in words):
        rank = np.empty(len(words), dtype=np.int64)
        rank[np.array(sorted(range(len(words)), key=words.__getitem__), dtype=np.int64)] = (
            np.arange(len(words))
        )
        second_rank = np.where(second >= 0, rank[np.maximum(second, 0)], -1)
        order = np.lexsort((second_rank, rank[first]))
    else:  # a word that could sort below the space of a word pair: sort the strings
        strings = [
            words[a] if b < 0 else f"{words[a]} {words[b]}"
            for a, b in zip(first.tolist(), second.tolist())
        ]
        order = np.array(sorted(range(len(strings)), key=strings.__getitem__), dtype=np.int64)
    column = np.empty(len(keys), dtype=np.int64)
    column[order] = np.arange(len(keys))
    return column


def _table(
    keys: np.ndarray, frequencies: np.ndarray, column: np.ndarray, words: list[str], n_docs: int
) -> TermTable:
    """The kept terms in column order and their idf, computed as ``TfidfTransformer``."""
    in_order = np.empty(len(keys), dtype=np.uint64)
    in_order[column] = keys
    df = np.empty(len(keys), dtype=np.float32)
    df[column] = frequencies
    df += 1.0
    idf = np.full_like(df, fill_value=n_docs + 1, dtype=np.float32)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0
    # word numbers: int32 (a word of the corpus' dict, fewer than 2**31), 8 bytes a term
    first = ((in_order >> _SHIFT).astype(np.int64) - 1).astype(np.int32)
    second = ((in_order & _LOW).astype(np.int64) - 1).astype(np.int32)
    return TermTable(words, first, second, idf)


@dataclass(frozen=True)
class _Lookup:
    """The kept keys (ascending), their columns and first places in the corpus."""

    keys: np.ndarray
    column: np.ndarray
    first: np.ndarray
    table: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "table", key_table(self.keys))

    def rows(
        self, keys: np.ndarray, counts: np.ndarray, lengths: np.ndarray, idf: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One batch's rows: their values, columns and lengths, each row's entries in the
        order the vectorizer keeps them (the order in which their terms first appeared)."""
        at, counts, row_lengths = kept_entries(
            self.keys, self.table, self.first, keys, counts, lengths.astype(np.int64)
        )
        columns = self.column[at]
        data = counts.astype(np.float32)
        np.log(data, out=data)
        data += 1.0
        data *= idf[columns]
        _normalize_rows(data, np.r_[0, np.cumsum(row_lengths)])
        return data, columns, row_lengths


@njit(cache=True, nogil=True, boundscheck=False)
def _normalize_rows(data: np.ndarray, indptr: np.ndarray) -> None:  # pragma: no cover - numba
    """Each row divided by its L2 norm in place, as ``sklearn.preprocessing.normalize``
    does it: squares of float32 summed in float64 in the row's order, a float64 divide."""
    for row in range(len(indptr) - 1):
        total = 0.0
        for j in range(indptr[row], indptr[row + 1]):
            square = data[j] * data[j]
            total += np.float64(square)
        if total == 0.0:
            continue
        norm = math.sqrt(total)
        for j in range(indptr[row], indptr[row + 1]):
            data[j] = np.float32(np.float64(data[j]) / norm)


def _stack(
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], n_docs: int, n_terms: int
) -> sp.csr_matrix:
    nnz = sum(len(data) for data, _c, _l in parts)
    index = np.int32 if max(nnz, n_terms) < np.iinfo(np.int32).max else np.int64
    data = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.float32)
    indices = np.concatenate([p[1].astype(index) for p in parts]) if parts else np.zeros(0, index)
    lengths = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, np.int64)
    indptr = np.r_[0, np.cumsum(lengths)].astype(index)
    return sp.csr_matrix((data, indices, indptr), shape=(n_docs, n_terms), copy=False)


def _stack_from_files(
    parts: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]],
    n_docs: int,
    n_terms: int,
    folder: Path,
    most_entries: int,
) -> sp.csr_matrix:
    """:func:`_stack` of ``parts`` made one at a time: each written to files in ``folder``
    as it comes, then read back whole, so that the matrix is held once, not twice
    (``most_entries``: at least the matrix's entries)."""
    narrow = max(most_entries, n_terms) < np.iinfo(np.int32).max
    written = np.int32 if narrow else np.int64
    data_path, indices_path = folder / "vector-data.bin", folder / "vector-indices.bin"
    lengths = []
    try:
        with open(data_path, "wb") as data_file, open(indices_path, "wb") as indices_file:
            for data, columns, row_lengths in parts:
                data_file.write(np.ascontiguousarray(data, dtype=np.float32).tobytes())
                indices_file.write(np.ascontiguousarray(columns, dtype=written).tobytes())
                lengths.append(row_lengths)
        data = np.fromfile(data_path, dtype=np.float32)
        indices = np.fromfile(indices_path, dtype=written)
    finally:
        data_path.unlink(missing_ok=True)
        indices_path.unlink(missing_ok=True)
    nnz = len(data)
    index = np.int32 if max(nnz, n_terms) < np.iinfo(np.int32).max else np.int64
    indices = indices.astype(index, copy=False)
    row_lengths = np.concatenate(lengths) if lengths else np.zeros(0, np.int64)
    indptr = np.r_[0, np.cumsum(row_lengths)].astype(index)
    return sp.csr_matrix((data, indices, indptr), shape=(n_docs, n_terms), copy=False)


def _rows_to_files(
    parts: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]],
    n_terms: int,
    folder: Path,
    workers: int = 1,
) -> DiskRows:
    """``parts`` written to files of ``folder`` as they come, each row's entries sorted by
    column (as ``csr_matrix.sort_indices`` sorts them), and left there as a
    :class:`~dedup.story_rows.DiskRows`."""
    written = np.int32 if n_terms < np.iinfo(np.int32).max else np.int64
    data_path, indices_path = folder / "rows-data.bin", folder / "rows-indices.bin"
    lengths = []
    try:
        with open(data_path, "wb") as data_file, open(indices_path, "wb") as indices_file:
            for data, columns, row_lengths in parts:
                indptr = np.r_[0, np.cumsum(row_lengths)]
                block = sp.csr_matrix(
                    (data, columns.astype(np.int64), indptr.astype(np.int64)),
                    shape=(len(row_lengths), n_terms),
                    copy=False,
                )
                block.sort_indices()
                data_file.write(np.ascontiguousarray(block.data, dtype=np.float32).tobytes())
                indices_file.write(np.ascontiguousarray(block.indices, dtype=written).tobytes())
                lengths.append(row_lengths)
                del block
    except BaseException:
        data_path.unlink(missing_ok=True)
        indices_path.unlink(missing_ok=True)
        raise
    row_lengths = np.concatenate(lengths) if lengths else np.zeros(0, np.int64)
    indptr = np.r_[0, np.cumsum(row_lengths)]
    return DiskRows(data_path, indices_path, indptr, n_terms, workers=workers)


class _Store:
    """Each batch's document terms, and the document frequencies per key partition, in
    memory or in files of ``folder``."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.position = 0
        self.n_keys = 0
        self._batches: list[tuple[np.ndarray, ...]] = []
        self._n_batches = 0
        self._parts: list[list[tuple[np.ndarray, ...]]] = [[] for _ in range(PARTITIONS)]
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def _put(self, name: str, arrays: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        if self.folder is None:
            return arrays
        path = self.folder / f"{name}.npz"
        np.savez(path, *arrays)
        return (np.array(str(path)),)

    def _get(self, stored: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        if self.folder is None:
            return stored
        with np.load(str(stored[0])) as loaded:
            return tuple(loaded[f"arr_{k}"] for k in range(len(loaded.files)))

    def add_batch(self, keys: np.ndarray, counts: np.ndarray, lengths: np.ndarray) -> None:
        self._batches.append(self._put(f"terms-{self._n_batches}", (keys, counts, lengths)))
        self._n_batches += 1

    def add_frequencies(
        self, keys: np.ndarray, frequencies: np.ndarray, firsts: np.ndarray
    ) -> None:
        self.n_keys += len(keys)
        bits = np.uint64(64 - (PARTITIONS - 1).bit_length())
        part = (keys * np.uint64(0x9E3779B97F4A7C15)) >> bits
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange(PARTITIONS + 1))
        for p in range(PARTITIONS):
            mine = order[bounds[p] : bounds[p + 1]]
            name = f"df-{p}-{len(self._parts[p])}"
            self._parts[p].append(self._put(name, (keys[mine], frequencies[mine], firsts[mine])))

    def batches(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        for stored in self._batches:
            keys, counts, lengths = self._get(stored)
            yield keys, counts, lengths

    def kept(self, low: float, high: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The keys whose document frequency is in ``[low, high]``, with it and their first
        places (one partition reduced at a time)."""
        out: list[tuple[np.ndarray, ...]] = []
        for chunks in self._parts:
            loaded = [self._get(c) for c in chunks]
            if self.folder is not None:
                for stored in chunks:
                    Path(str(stored[0])).unlink()
            keys, frequencies, firsts = _reduce(
                *(np.concatenate([c[k] for c in loaded]) for k in range(3))
            )
            keep = (frequencies >= low) & (frequencies <= high)
            out.append((keys[keep], frequencies[keep], firsts[keep]))
        self._parts = []
        return tuple(np.concatenate([o[k] for o in out]) for k in range(3))  # type: ignore[return-value]

    def close(self) -> None:
        """Forget everything stored, and remove its files."""
        if self.folder is not None:
            for stored in [*self._batches, *itertools.chain.from_iterable(self._parts)]:
                Path(str(stored[0])).unlink(missing_ok=True)
        self._batches, self._parts = [], []


def row_dots(vectors: sp.csr_matrix | DiskRows, row: np.ndarray, col: np.ndarray) -> np.ndarray:
    """``vectors[row[i]] · vectors[col[i]]`` for every i, bit for bit what
    ``vectors[row].multiply(vectors[col]).sum(axis=1)`` gives
    (:func:`dedup.story_kernels.row_dots`; for vectors on disk, summed on their memory map).
    """
    if isinstance(vectors, DiskRows):  # sorted already
        return vectors.dots(row, col)
    return csr_row_dots(vectors, row, col)
