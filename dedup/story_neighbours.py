"""The neighbour search's candidates with the vectors on disk: the pruned vectors and their
transpose in files too, a block of rows in memory at a time.

:func:`dedup.story_graph.neighbour_graph` finds each document's candidate neighbours as the
best entries of the product of the pruned vectors (each row's heaviest terms) with their
transpose. In memory that is scipy's product of two CSR matrices. For a
:class:`dedup.story_rows.DiskRows` (a million articles: 64 entries a row, 8 bytes an entry,
twice), :func:`disk_candidates` writes the pruned rows to a file a block at a time, the
transpose to another (a count of each term's rows, then each entry put in its place on a
memory map, the map's pages dropped after each block), and sums each block's products on
the memory map of the transpose (:func:`_block_candidates`, the blocks on the vectors'
threads): each product in the order
scipy's ``csr_matmat`` adds it, so the scores, and the candidates kept (each row's best by
score, then the lower column), are the same bits.
"""

from __future__ import annotations

import mmap
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from numba import njit

from dedup.story_rows import DiskRows, in_order


def disk_candidates(
    vectors: DiskRows,
    n_candidates: int,
    prune: Callable[[sp.csr_matrix], sp.csr_matrix],
    slice_entries: int,
    first_row: int,
    block_rows: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's (from ``first_row`` on) ``n_candidates`` best candidate neighbours, as
    ``neighbour_graph`` ranks the product of the pruned vectors with their transpose
    (``prune``: a block of rows' pruned copy, made a block of ``slice_entries`` at a time).

    Returns
    -------
    row, col : ndarray of int64, sorted by (row, -score, col)
    """
    folder = vectors.data_path.parent
    pruned = _pruned(vectors, prune, slice_entries, folder)
    try:
        transposed = _transposed(pruned, folder)
        try:
            return _candidates(
                pruned, transposed, n_candidates, first_row, block_rows, vectors.workers
            )
        finally:
            transposed.close()
    finally:
        pruned.close()


def _pruned(
    vectors: DiskRows,
    prune: Callable[[sp.csr_matrix], sp.csr_matrix],
    slice_entries: int,
    folder: Path,
) -> DiskRows:
    """``prune`` of each block of ``vectors``, written a block at a time."""
    data_path, indices_path = folder / "pruned-data.bin", folder / "pruned-indices.bin"
    lengths = [np.zeros(0, dtype=np.int64)]
    with open(data_path, "wb") as data_file, open(indices_path, "wb") as indices_file:
        for _low, block in vectors.blocks(slice_entries):
            top = prune(block)
            data_file.write(np.ascontiguousarray(top.data, dtype=np.float32).tobytes())
            indices_file.write(top.indices.astype(vectors.index_dtype).tobytes())
            lengths.append(np.diff(top.indptr).astype(np.int64))
    indptr = np.r_[0, np.cumsum(np.concatenate(lengths))].astype(np.int64)
    return DiskRows(data_path, indices_path, indptr, vectors.shape[1])


def _transposed(pruned: DiskRows, folder: Path) -> DiskRows:
    """The transpose of ``pruned`` (each term's rows, in row order, as ``.T.tocsr()``
    orders them), written through a memory map whose pages are dropped after each block."""
    n_rows, n_terms = pruned.shape
    cursor = np.zeros(n_terms, dtype=np.int64)  # each term's rows counted, then its place
    for _low, block in pruned.blocks():
        _count(block.indices, cursor)
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(cursor, out=indptr[1:])
    cursor[:] = indptr[:-1]
    transposed = DiskRows(
        folder / "transposed-data.bin", folder / "transposed-indices.bin", indptr, n_rows
    )
    if transposed.nnz == 0:
        for path in (transposed.data_path, transposed.indices_path):
            path.write_bytes(b"")
        return transposed
    maps, arrays = [], []
    for path, dtype in (
        (transposed.data_path, transposed.dtype),
        (transposed.indices_path, transposed.index_dtype),
    ):
        with open(path, "wb+") as file:
            file.truncate(transposed.nnz * dtype.itemsize)
            maps.append(mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_WRITE))
        arrays.append(np.frombuffer(maps[-1], dtype=dtype))
    try:
        for low, block in pruned.blocks():
            _scatter(block.data, block.indices, block.indptr, low, cursor, arrays[0], arrays[1])
            for mapped in maps:
                mapped.madvise(mmap.MADV_DONTNEED)  # written back, not held
    finally:
        del arrays
        for mapped in maps:
            mapped.close()
    return transposed


def _candidates(
    pruned: DiskRows,
    transposed: DiskRows,
    n_candidates: int,
    first_row: int,
    block_rows: int,
    workers: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The candidates of each block of rows, on ``workers`` threads (each with scratch
    arrays of its own), joined in the blocks' order."""
    n_docs = pruned.shape[0]
    t_data, t_indices = transposed._mapped()
    scratch = threading.local()

    def block_candidates(first: int) -> tuple[np.ndarray, np.ndarray]:
        if not hasattr(scratch, "sums"):
            scratch.sums = np.zeros(n_docs, dtype=np.float32)
            scratch.touched = np.zeros(n_docs, dtype=np.int64)
            scratch.seen = np.zeros(n_docs, dtype=np.bool_)
        block = pruned.block(first, min(first + block_rows, n_docs))
        out_rows = np.empty(block.shape[0] * n_candidates, dtype=np.int64)
        out_cols = np.empty(block.shape[0] * n_candidates, dtype=np.int64)
        found = _block_candidates(
            block.data, block.indices, block.indptr.astype(np.int64), first,
            t_data, t_indices, transposed.indptr, n_candidates,
            scratch.sums, scratch.touched, scratch.seen, out_rows, out_cols,
        )  # fmt: skip
        transposed.drop()
        return out_rows[:found], out_cols[:found]

    starts = range(first_row, n_docs, max(1, block_rows))
    found = list(in_order(block_candidates, starts, workers))
    if not found:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate([r for r, _c in found]), np.concatenate([c for _r, c in found])


@njit(cache=True, nogil=True, boundscheck=False)
def _count(indices: np.ndarray, counts: np.ndarray) -> None:  # pragma: no cover - numba
    """``counts[t] += 1`` for each entry of term ``t`` (no array of every term made)."""
    for j in range(len(indices)):
        counts[indices[j]] += 1


@njit(cache=True, nogil=True, boundscheck=False)
def _scatter(
    data: np.ndarray,
    indices: np.ndarray,
    indptr: np.ndarray,
    first_row: int,
    cursor: np.ndarray,
    out_data: np.ndarray,
    out_rows: np.ndarray,
) -> None:  # pragma: no cover - numba
    """Each entry of a block of rows put in its term's row of the transpose (``cursor``:
    each term's next free place), rows in order."""
    for row in range(len(indptr) - 1):
        for j in range(indptr[row], indptr[row + 1]):
            term = indices[j]
            at = cursor[term]
            out_data[at] = data[j]
            out_rows[at] = first_row + row
            cursor[term] = at + 1


@njit(cache=True, nogil=True, boundscheck=False)
def _block_candidates(
    data: np.ndarray,
    indices: np.ndarray,
    indptr: np.ndarray,
    first_row: int,
    t_data: np.ndarray,
    t_indices: np.ndarray,
    t_indptr: np.ndarray,
    n_candidates: int,
    sums: np.ndarray,
    touched: np.ndarray,
    seen: np.ndarray,
    out_rows: np.ndarray,
    out_cols: np.ndarray,
) -> int:  # pragma: no cover - numba
    """Each row's products with every other row (its terms' rows in the transpose, summed
    in float32 in the order scipy's ``csr_matmat`` sums them), the zero sums and the row
    itself left out, and its ``n_candidates`` best by score, then the lower column, written
    in that order to ``out_rows`` and ``out_cols``; returns how many were written.
    ``sums``, ``touched`` and ``seen`` are scratch arrays of the number of rows, zero and
    False on entry and on return."""
    found = 0
    for row in range(len(indptr) - 1):
        me = first_row + row
        n_touched = 0
        for jj in range(indptr[row], indptr[row + 1]):
            term = indices[jj]
            value = data[jj]
            for kk in range(t_indptr[term], t_indptr[term + 1]):
                other = t_indices[kk]
                if not seen[other]:
                    seen[other] = True
                    touched[n_touched] = other
                    n_touched += 1
                sums[other] = np.float32(sums[other] + np.float32(value * t_data[kk]))
        columns = np.empty(n_touched, dtype=np.int64)
        n_kept = 0
        for t in range(n_touched):
            other = touched[t]
            if other != me and sums[other] != 0:
                columns[n_kept] = other
                n_kept += 1
        if n_kept > n_candidates:  # only those scored at least the n_candidates-th best
            n_kept = _best_first(columns, n_kept, sums, n_candidates)
        columns = np.sort(columns[:n_kept])
        scores = np.empty(n_kept, dtype=np.float32)
        for t in range(n_kept):
            scores[t] = -sums[columns[t]]
        order = np.argsort(scores, kind="mergesort")  # stable: the lower column first
        for t in range(min(n_candidates, n_kept)):
            out_rows[found] = me
            out_cols[found] = columns[order[t]]
            found += 1
        for t in range(n_touched):  # the scratch arrays cleared for the next row
            sums[touched[t]] = 0
            seen[touched[t]] = False
    return found


@njit(cache=True, nogil=True, boundscheck=False)
def _best_first(
    columns: np.ndarray, n_kept: int, sums: np.ndarray, n_candidates: int
) -> int:  # pragma: no cover - numba
    """``columns[:n_kept]`` cut to those whose sum is at least the ``n_candidates``-th
    greatest (ties kept), left at the start in their order; returns how many. Every one of
    the ``n_candidates`` best by (-sum, column) is among them, so ranking only these finds
    the same ones, and a selection costs less than sorting all the columns."""
    scores = np.empty(n_kept, dtype=np.float32)
    for t in range(n_kept):
        scores[t] = -sums[columns[t]]
    bound = np.partition(scores, n_candidates - 1)[n_candidates - 1]
    n = 0
    for t in range(n_kept):
        if -sums[columns[t]] <= bound:
            columns[n] = columns[t]
            n += 1
    return n
