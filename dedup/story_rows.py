"""The stories' TF-IDF vectors kept on disk, read a block of rows at a time.

At a million news articles the vectors are some 7 GB (a float32 value and an int32 column
for each of about 900 entries an article), more than the whole job may hold. With a scratch
folder, :func:`dedup.story_vectors.tfidf_vectors` writes them to two files (the values and
the column numbers, each row's entries sorted by column, as the neighbour search sorts them)
and returns a :class:`DiskRows`: only the row pointers (8 bytes a row) stay in memory.

Each step that reads the vectors reads them in one of three ways, none of which leaves the
matrix in memory:

* :meth:`DiskRows.block`: consecutive rows, read with explicit file reads (into memory the
  caller frees; the page cache holds the file, which is not the process's memory);
* :meth:`DiskRows.take`: any rows, gathered from a memory map of the files;
* :meth:`DiskRows.dots`: the dot products of pairs of rows, summed on the memory map.

A memory map alone would count every page it touched in the resident set, so after each
gather and each chunk of dot products the map's pages are dropped (``madvise(DONTNEED)``:
the kernel forgets them for this process; the page cache keeps them).

The functions :func:`row_block`, :func:`take_rows`, :func:`column_sums`, :func:`matvec` and
:func:`row_squares` take either a :class:`DiskRows` or a ``scipy.sparse.csr_matrix``, and
give the same numbers, bit for bit, for either (``tests/test_story_rows.py``): each sums
in the order the matrix's own operation does.

No numba at import (the kernels are in :mod:`dedup.story_kernels`, loaded when used).
"""

from __future__ import annotations

import contextlib
import mmap
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeAlias, TypeVar

import numpy as np
import scipy.sparse as sp

#: Vector entries read at once by a pass over every row (128 MB of values and columns).
BLOCK_ENTRIES = 1 << 24
#: Pairs of rows whose dot products are summed between two drops of the mapped pages.
DOT_PAIRS = 1 << 15

T = TypeVar("T")
R = TypeVar("R")


class DiskRows:
    """A CSR matrix of float32 whose values and column numbers lie in two files.

    Parameters
    ----------
    data_path, indices_path : Path
        The values (float32) and column numbers (``index_dtype``) of every entry, row by row.
    indptr : ndarray of int64, shape (n_rows + 1,)
        Where each row's entries begin (in memory).
    n_columns : int
    workers : int, default=1
        Threads that the steps reading it may use (each on its own rows; the same result).
    """

    dtype = np.dtype(np.float32)

    def __init__(
        self,
        data_path: Path,
        indices_path: Path,
        indptr: np.ndarray,
        n_columns: int,
        workers: int = 1,
    ) -> None:
        self.data_path = Path(data_path)
        self.indices_path = Path(indices_path)
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.shape = (len(self.indptr) - 1, int(n_columns))
        self.index_dtype = np.dtype(np.int32 if n_columns < np.iinfo(np.int32).max else np.int64)
        self.workers = max(1, int(workers))
        self._maps: list[mmap.mmap] = []
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def write(cls, matrix: sp.csr_matrix, folder: Path, name: str = "rows") -> DiskRows:
        """``matrix`` (float32, its rows sorted by column) written to files of ``folder``."""
        matrix = sorted_rows(matrix)
        columns = matrix.shape[1]
        index = np.int32 if columns < np.iinfo(np.int32).max else np.int64
        data_path, indices_path = (
            Path(folder) / f"{name}-data.bin",
            Path(folder) / f"{name}-indices.bin",
        )
        matrix.data.astype(np.float32).tofile(data_path)
        matrix.indices.astype(index).tofile(indices_path)
        return cls(data_path, indices_path, matrix.indptr.astype(np.int64), columns)

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1])

    def _csr(
        self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, n_rows: int
    ) -> sp.csr_matrix:
        narrow = max(len(data), self.shape[1]) < np.iinfo(np.int32).max
        index = np.int32 if narrow else np.int64
        return sp.csr_matrix(
            (data, indices.astype(index, copy=False), indptr.astype(index, copy=False)),
            shape=(n_rows, self.shape[1]),
            copy=False,
        )

    def block(self, low: int, high: int) -> sp.csr_matrix:
        """Rows ``[low, high)`` as a ``csr_matrix``, read from the files."""
        start, end = int(self.indptr[low]), int(self.indptr[high])
        data = _read(self.data_path, self.dtype, start, end)
        indices = _read(self.indices_path, self.index_dtype, start, end)
        return self._csr(data, indices, self.indptr[low : high + 1] - start, high - low)

    def blocks(self, max_entries: int = BLOCK_ENTRIES) -> Iterator[tuple[int, sp.csr_matrix]]:
        """Every row, in blocks of about ``max_entries`` entries: (first row, block)."""
        low, n_rows = 0, self.shape[0]
        while low < n_rows:  # each block at most max_entries entries, or one row
            high = int(np.searchsorted(self.indptr, self.indptr[low] + max_entries, "right")) - 1
            high = min(max(high, low + 1), n_rows)
            yield low, self.block(low, high)
            low = high

    def _mapped(self) -> tuple[np.ndarray, np.ndarray]:
        if self._arrays is None:
            arrays = []
            for path, dtype in (
                (self.data_path, self.dtype),
                (self.indices_path, self.index_dtype),
            ):
                if self.nnz == 0:  # an empty file cannot be mapped
                    arrays.append(np.zeros(0, dtype=dtype))
                    continue
                with open(path, "rb") as file:
                    mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
                self._maps.append(mapped)
                arrays.append(np.frombuffer(mapped, dtype=dtype, count=self.nnz))
            self._arrays = (arrays[0], arrays[1])
        return self._arrays

    def drop(self) -> None:
        """Forget the mapped pages (they stay in the page cache, not in this process)."""
        for mapped in self._maps:
            mapped.madvise(mmap.MADV_DONTNEED)

    def take(self, rows: np.ndarray) -> sp.csr_matrix:
        """The rows ``rows`` (any order, repeats allowed) as a ``csr_matrix``."""
        from dedup.story_kernels import gather_rows

        rows = np.asarray(rows, dtype=np.int64)
        lengths = self.indptr[rows + 1] - self.indptr[rows]
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        data = np.empty(int(indptr[-1]), dtype=self.dtype)
        indices = np.empty(int(indptr[-1]), dtype=self.index_dtype)
        source_data, source_indices = self._mapped()
        gather_rows(source_data, source_indices, self.indptr, rows, indptr, data, indices)
        self.drop()
        return self._csr(data, indices, indptr, len(rows))

    def dots(self, row: np.ndarray, col: np.ndarray, chunk: int = DOT_PAIRS) -> np.ndarray:
        """``self[row[i]] · self[col[i]]`` for every i, as
        :func:`dedup.story_vectors.row_dots` sums them (float32)."""
        from dedup.story_kernels import dots_into

        row = np.asarray(row, dtype=np.int64)
        col = np.asarray(col, dtype=np.int64)
        out = np.empty(len(row), dtype=np.float32)
        data, indices = self._mapped()

        def chunk_dots(first: int) -> None:
            part = slice(first, first + chunk)
            dots_into(data, indices, self.indptr, row[part], col[part], out[part])
            self.drop()

        for _done in in_order(chunk_dots, range(0, len(row), chunk), self.workers):
            pass
        return out

    def to_csr(self) -> sp.csr_matrix:
        """The whole matrix in memory (for tests and small corpora)."""
        return self.block(0, self.shape[0])

    def close(self, remove: bool = True) -> None:
        """Unmap the files, and remove them unless ``remove`` is False."""
        self._arrays = None
        for mapped in self._maps:
            # an array of it still held: the map goes with that array
            with contextlib.suppress(BufferError):
                mapped.close()
        self._maps = []
        if remove:
            self.data_path.unlink(missing_ok=True)
            self.indices_path.unlink(missing_ok=True)


def _read(path: Path, dtype: np.dtype, start: int, end: int) -> np.ndarray:
    """Items ``[start, end)`` of a file of ``dtype`` items, read (not mapped)."""
    if end <= start:
        return np.zeros(0, dtype=dtype)
    with open(path, "rb") as file:
        file.seek(start * dtype.itemsize)
        out = np.fromfile(file, dtype=dtype, count=end - start)
    if len(out) != end - start:
        raise OSError(f"{path}: the vectors file ends early")
    return out


#: The vectors as the stories' steps take them: in memory or on disk.
Vectors: TypeAlias = sp.csr_matrix | DiskRows


def row_block(vectors: Vectors, low: int, high: int) -> sp.csr_matrix:
    """Rows ``[low, high)`` of ``vectors`` as a ``csr_matrix``."""
    if isinstance(vectors, DiskRows):
        return vectors.block(low, high)
    return vectors[low:high]


def take_rows(vectors: Vectors, rows: np.ndarray) -> sp.csr_matrix:
    """Rows ``rows`` of ``vectors`` as a ``csr_matrix`` (``vectors[rows]``)."""
    if isinstance(vectors, DiskRows):
        return vectors.take(rows)
    return vectors[rows]


def column_sums(vectors: Vectors) -> np.ndarray:
    """``vectors.sum(axis=0)`` as a flat array: each column's values added in row order,
    in float32, as scipy adds them."""
    if not isinstance(vectors, DiskRows):
        return np.asarray(vectors.sum(axis=0)).ravel()
    from dedup.story_kernels import add_columns

    total = np.zeros(vectors.shape[1], dtype=np.float32)
    for _low, block in vectors.blocks():
        add_columns(block.data, block.indices, total)
    return total


def matvec(vectors: Vectors, x: np.ndarray) -> np.ndarray:
    """``vectors @ x`` (each row's sum is its own, so a block at a time gives the same)."""
    if not isinstance(vectors, DiskRows):
        return vectors @ x
    parts = [block @ x for _low, block in vectors.blocks()]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.result_type(np.float32, x))


def row_squares(vectors: Vectors) -> np.ndarray:
    """Each row's sum of squares, ``vectors.multiply(vectors).sum(axis=1)``, as float64."""
    if not isinstance(vectors, DiskRows):
        return np.asarray(vectors.multiply(vectors).sum(axis=1), dtype=np.float64).ravel()
    parts = [
        np.asarray(block.multiply(block).sum(axis=1), dtype=np.float64).ravel()
        for _low, block in vectors.blocks()
    ]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float64)


def sorted_rows(vectors: Vectors) -> Vectors:
    """``vectors`` as float32 with each row's entries sorted by column: a :class:`DiskRows`
    is so already; a ``csr_matrix`` is sorted in place (a copy when its type differs)."""
    if isinstance(vectors, DiskRows):
        return vectors
    out = sp.csr_matrix(vectors, dtype=np.float32, copy=vectors.dtype != np.float32)
    out.sort_indices()
    return out


def in_order(task: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """``task`` of each item, in order, on ``workers`` threads (a few items in flight)."""
    if workers <= 1:
        yield from map(task, items)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="dedup-rows") as pool:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(task, item))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
