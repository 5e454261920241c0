"""Kernels on the rows of the stories' TF-IDF vectors (numba; no I/O): the exact dot
products of pairs of rows (:func:`row_dots`, the bits of scipy's), rows gathered, and
column sums, on a ``csr_matrix``'s arrays or on the memory map of a
:class:`dedup.story_rows.DiskRows` (which imports them when it needs them).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit


def row_dots(vectors: sp.csr_matrix, row: np.ndarray, col: np.ndarray) -> np.ndarray:
    """``vectors[row[i]] · vectors[col[i]]`` for every i, bit for bit what
    ``vectors[row].multiply(vectors[col]).sum(axis=1)`` gives, without making those rows:
    the nonzero products in column order, summed as NumPy's ``add.reduceat`` sums them (the
    first, then the rest pairwise, :func:`_pairwise`).

    Parameters
    ----------
    vectors : csr_matrix of float32 (its indices are sorted first when they are not)
    row, col : ndarray of int, shape (n,)

    Returns
    -------
    ndarray of float32, shape (n,)
    """
    vectors = sp.csr_matrix(vectors, dtype=np.float32)
    if not vectors.has_sorted_indices:
        vectors = vectors.sorted_indices()
    out = np.empty(len(row), dtype=np.float32)
    _dots_kernel(
        vectors.data, vectors.indices.astype(np.int64), vectors.indptr.astype(np.int64),
        np.asarray(row, dtype=np.int64), np.asarray(col, dtype=np.int64), out,
    )  # fmt: skip
    return out


@njit(cache=True, nogil=True, boundscheck=False)
def _block_sum(values: np.ndarray, low: int, n: int) -> np.float32:  # pragma: no cover - numba
    """``values[low:low + n]`` (n ≤ 128) summed in float32 as NumPy sums a block: one by
    one below 8 values, else in 8 running sums joined pairwise, then the rest one by one."""
    if n < 8:
        total = np.float32(0.0)
        for i in range(n):
            total = np.float32(total + values[low + i])
        return total
    r = np.empty(8, dtype=np.float32)
    for j in range(8):
        r[j] = values[low + j]
    i = 8
    while i < n - (n % 8):
        for j in range(8):
            r[j] = np.float32(r[j] + values[low + i + j])
        i += 8
    left = np.float32(np.float32(r[0] + r[1]) + np.float32(r[2] + r[3]))
    right = np.float32(np.float32(r[4] + r[5]) + np.float32(r[6] + r[7]))
    total = np.float32(left + right)
    while i < n:
        total = np.float32(total + values[low + i])
        i += 1
    return total


@njit(cache=True, nogil=True, boundscheck=False)
def _pairwise(values: np.ndarray, low: int, n: int) -> np.float32:  # pragma: no cover - numba
    """``values[low:low + n]`` summed in float32 as NumPy's pairwise summation does: above
    128 values, the two halves (the first a multiple of 8) summed so and added. Written with
    an explicit stack (numba's cache does not load recursive functions safely)."""
    size = 192
    task_low = np.empty(size, dtype=np.int64)
    task_n = np.empty(size, dtype=np.int64)
    task_join = np.zeros(size, dtype=np.bool_)
    sums = np.empty(size, dtype=np.float32)
    tasks, done = 1, 0
    task_low[0], task_n[0], task_join[0] = low, n, False
    while tasks:
        tasks -= 1
        at, m, join = task_low[tasks], task_n[tasks], task_join[tasks]
        if join:  # both halves summed: the left below the right
            done -= 1
            sums[done - 1] = np.float32(sums[done - 1] + sums[done])
        elif m <= 128:
            sums[done] = _block_sum(values, at, m)
            done += 1
        else:
            half = m // 2
            half -= half % 8
            # popped in reverse: the left half first, then the right, then their join
            task_low[tasks], task_n[tasks], task_join[tasks] = at, m, True
            task_low[tasks + 1], task_n[tasks + 1] = at + half, m - half
            task_join[tasks + 1] = False
            task_low[tasks + 2], task_n[tasks + 2], task_join[tasks + 2] = at, half, False
            tasks += 3
    return sums[0]


@njit(cache=True, nogil=True, boundscheck=False)
def _dots_kernel(
    data: np.ndarray,
    indices: np.ndarray,
    indptr: np.ndarray,
    row: np.ndarray,
    col: np.ndarray,
    out: np.ndarray,
) -> None:  # pragma: no cover - numba
    products = np.empty(64, dtype=np.float32)
    for p in range(len(row)):
        a, a_end = indptr[row[p]], indptr[row[p] + 1]
        b, b_end = indptr[col[p]], indptr[col[p] + 1]
        need = min(a_end - a, b_end - b)
        if need > len(products):
            products = np.empty(2 * need, dtype=np.float32)
        n = 0
        while a < a_end and b < b_end:
            if indices[a] == indices[b]:
                product = np.float32(data[a] * data[b])
                if product != 0:  # a zero product is no entry of the elementwise product
                    products[n] = product
                    n += 1
                a += 1
                b += 1
            elif indices[a] < indices[b]:
                a += 1
            else:
                b += 1
        out[p] = 0.0 if n == 0 else np.float32(products[0] + _pairwise(products, 1, n - 1))


def dots_into(
    data: np.ndarray,
    indices: np.ndarray,
    indptr: np.ndarray,
    row: np.ndarray,
    col: np.ndarray,
    out: np.ndarray,
) -> None:
    """:func:`row_dots` of the CSR arrays ``data``, ``indices`` (sorted in each row),
    ``indptr``, written to ``out`` (any integer type of indices: no copy is made)."""
    _dots_kernel(data, indices, indptr, row, col, out)


@njit(cache=True, nogil=True, boundscheck=False)
def gather_rows(
    data: np.ndarray,
    indices: np.ndarray,
    indptr: np.ndarray,
    rows: np.ndarray,
    out_indptr: np.ndarray,
    out_data: np.ndarray,
    out_indices: np.ndarray,
) -> None:  # pragma: no cover - numba
    """The entries of ``rows`` of a CSR matrix copied, in order, to ``out_data`` and
    ``out_indices`` (``out_indptr``: where each begins there)."""
    for k in range(len(rows)):
        start = indptr[rows[k]]
        at = out_indptr[k]
        for j in range(indptr[rows[k] + 1] - start):
            out_data[at + j] = data[start + j]
            out_indices[at + j] = indices[start + j]


@njit(cache=True, nogil=True, boundscheck=False)
def add_columns(
    data: np.ndarray, indices: np.ndarray, total: np.ndarray
) -> None:  # pragma: no cover - numba
    """``total[indices[j]] += data[j]`` in float32, entry by entry in order (the order in
    which scipy's ``sum(axis=0)`` of a CSR matrix adds them)."""
    for j in range(len(data)):
        total[indices[j]] = np.float32(total[indices[j]] + data[j])


@njit(cache=True, nogil=True, boundscheck=False)
def document_terms(
    keys: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - numba
    """Each document's distinct term keys (ascending), their counts, the place in ``keys``
    where each first appears, and each document's number of distinct keys; the documents'
    keys are ``keys`` cut by ``lengths``, one after another. The same arrays as a stable
    sort of all the keys by (document, key), one document's keys sorted at a time."""
    n = len(keys)
    out_keys = np.empty(n, dtype=np.uint64)
    counts = np.empty(n, dtype=np.int32)
    firsts = np.empty(n, dtype=np.int64)
    doc_lengths = np.zeros(len(lengths), dtype=np.int64)
    m = 0
    start = 0
    for d in range(len(lengths)):
        end = start + lengths[d]
        if end > start:
            order = np.argsort(keys[start:end], kind="mergesort")  # stable
            for i in range(len(order)):
                place = start + order[i]
                key = keys[place]
                if i == 0 or key != out_keys[m - 1]:
                    out_keys[m] = key
                    counts[m] = 1
                    firsts[m] = place
                    doc_lengths[d] += 1
                    m += 1
                else:
                    counts[m - 1] += 1
        start = end
    return out_keys[:m].copy(), counts[:m].copy(), firsts[:m].copy(), doc_lengths


@njit(cache=True, nogil=True, boundscheck=False)
def analyser_keys(
    ids: np.ndarray, lengths: np.ndarray, unigrams: bool, bigrams: bool
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - numba
    """Each document's term keys in the analyser's order, concatenated, and each document's
    number of them: the documents' word numbers are ``ids`` cut by ``lengths`` (a negative
    number: a stop word, left out before the word pairs are made); a single word's key is
    ``(word + 1) << 32`` (with ``unigrams``), a word pair's ``(first + 1) << 32 | (second
    + 1)`` (with ``bigrams``), its single words first, then its pairs."""
    out = np.empty(2 * len(ids), dtype=np.uint64)
    counts = np.zeros(len(lengths), dtype=np.int64)
    kept = np.empty(len(ids), dtype=np.uint64)
    shift = np.uint64(32)
    m = 0
    start = 0
    for d in range(len(lengths)):
        end = start + lengths[d]
        n = 0
        for i in range(start, end):
            if ids[i] >= 0:
                kept[n] = np.uint64(ids[i] + 1)
                n += 1
        before = m
        if unigrams:
            for i in range(n):
                out[m] = kept[i] << shift
                m += 1
        if bigrams:
            for i in range(n - 1):
                out[m] = (kept[i] << shift) | kept[i + 1]
                m += 1
        counts[d] = m - before
        start = end
    return out[:m].copy(), counts


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True, nogil=True, boundscheck=False)
def key_table(kept: np.ndarray) -> np.ndarray:  # pragma: no cover - numba
    """An open-addressing table of the places of ``kept`` (distinct keys, none 0): a power
    of two of at least twice their number of slots, -1 for an empty one, a key's slot
    found from the top bits of ``key * 0x9E3779B97F4A7C15`` and the slots after it."""
    bits = 1
    while (1 << bits) < 2 * len(kept):
        bits += 1
    table = np.full(1 << bits, -1, dtype=np.int32)  # fewer than 2**31 kept terms
    mask = (1 << bits) - 1
    shift = np.uint64(64 - bits)
    for place in range(len(kept)):
        slot = np.int64((kept[place] * _GOLDEN) >> shift)
        while table[slot] >= 0:
            slot = (slot + 1) & mask
        table[slot] = place
    return table


@njit(cache=True, nogil=True, boundscheck=False)
def kept_entries(
    kept: np.ndarray,
    table: np.ndarray,
    first: np.ndarray,
    keys: np.ndarray,
    counts: np.ndarray,
    lengths: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - numba
    """The entries of the documents' terms (``keys`` and ``counts`` cut by ``lengths``)
    whose key is one of ``kept`` (found by its :func:`key_table`): each one's place in
    ``kept`` and its count, each document's by ascending ``first`` of that place (the first
    places of distinct keys differ), and each document's number of them."""
    mask = len(table) - 1
    bits = 0
    while (1 << bits) < len(table):
        bits += 1
    shift = np.uint64(64 - bits)
    at = np.empty(len(keys), dtype=np.int64)
    out_counts = np.empty(len(keys), dtype=counts.dtype)
    row_lengths = np.zeros(len(lengths), dtype=np.int64)
    found = np.empty(len(keys), dtype=np.int64)
    m = 0
    start = 0
    for d in range(len(lengths)):
        end = start + lengths[d]
        n = 0
        for i in range(start, end):
            key = keys[i]
            slot = np.int64((key * _GOLDEN) >> shift)
            while table[slot] >= 0:
                if kept[table[slot]] == key:
                    found[n] = i
                    at[m + n] = table[slot]
                    n += 1
                    break
                slot = (slot + 1) & mask
        if n > 0:
            places = np.empty(n, dtype=first.dtype)
            for j in range(n):
                places[j] = first[at[m + j]]
            order = np.argsort(places, kind="mergesort")
            mine = at[m : m + n].copy()
            for j in range(n):
                at[m + j] = mine[order[j]]
                out_counts[m + j] = counts[found[order[j]]]
        row_lengths[d] = n
        m += n
        start = end
    return at[:m].copy(), out_counts[:m].copy(), row_lengths
