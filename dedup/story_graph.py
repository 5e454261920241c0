"""The stories' similarity graph: each document's nearest TF-IDF neighbours, weakened by
the days between two articles and kept only when well above their background similarity.

Kernels on sparse matrices and arrays (no I/O); :mod:`dedup.clustering` builds the graph with
them and :mod:`dedup.communities` divides it.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from dedup.story_rows import DiskRows, Vectors, column_sums, matvec, row_block, sorted_rows

#: Rows whose candidate neighbours are found at once.
BLOCK_ROWS = 2048
#: Candidate pairs ranked at once (bounds the ranking's memory, about 50 bytes a pair).
SLICE_ENTRIES = 1 << 22
#: Heaviest terms of each document used to find its candidate neighbours.
CANDIDATE_TERMS = 64


def neighbour_graph(
    vectors: Vectors,
    n_neighbors: int,
    candidate_terms: int = CANDIDATE_TERMS,
    *,
    first_row: int = 0,
) -> sp.csr_matrix:
    """Each row's ``n_neighbors`` most similar other rows (cosine of L2-normalised rows).

    Candidates come from a pruned copy of the vectors that keeps each row's
    ``candidate_terms`` heaviest terms: their product is sparse (heavy terms are rare
    terms), where the product of the full vectors is nearly dense and costs O(n²). Each row
    keeps its ``2 * n_neighbors`` best candidates, which are then scored on the full vectors,
    so every similarity in the graph is exact; only a neighbour that shares none of its
    heavy terms with a document can be missed.

    Parameters
    ----------
    vectors : sparse matrix of float32, shape (n_docs, n_terms), rows L2-normalised
        (or a :class:`dedup.story_rows.DiskRows`, read a block at a time)
    n_neighbors : int
    candidate_terms : int
    first_row : int
        Only the rows from this one on get their neighbours (among all rows): the index
        places new documents among stored ones this way.

    Returns
    -------
    graph : csr_matrix of float32, shape (n_docs, n_docs)
        Positive similarities only; not symmetric; rows before ``first_row`` empty.
    """
    # a copy when the type changes: scipy's would share the caller's indices, which the sort
    # below would then put out of step with the caller's values
    vectors = sorted_rows(vectors)
    n_docs = vectors.shape[0]
    k = min(n_neighbors, n_docs - 1)
    if k <= 0 or vectors.shape[1] == 0 or first_row >= n_docs:
        return sp.csr_matrix((n_docs, n_docs), dtype=np.float32)
    if isinstance(vectors, DiskRows):  # the pruned vectors and their transpose on disk too
        from dedup.story_neighbours import disk_candidates

        def prune(block: sp.csr_matrix) -> sp.csr_matrix:
            return top_terms(block, candidate_terms)

        row, col = disk_candidates(vectors, 2 * k, prune, SLICE_ENTRIES, first_row, BLOCK_ROWS)
    else:
        row, col = _candidates(vectors, k, candidate_terms, first_row)
    similarity = row_dots(vectors, row, col)
    keep = top_per_row(row, col, similarity, k)
    keep = keep[similarity[keep] > 0]
    return sp.csr_matrix(
        (similarity[keep], (row[keep], col[keep])), shape=(n_docs, n_docs), dtype=np.float32
    )


def _candidates(
    vectors: sp.csr_matrix, k: int, candidate_terms: int, first_row: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``2 * k`` best candidates by the product of the pruned vectors with their
    transpose, sorted by (row, -score, col)."""
    n_docs = vectors.shape[0]
    pruned = top_terms(vectors, candidate_terms)
    transposed = pruned.T.tocsr()
    block = max(1, BLOCK_ROWS)
    rows, cols = [], []
    for first in range(first_row, n_docs, block):
        products = pruned[first : first + block] @ transposed
        # ranked a few rows at a time, so the ranking's arrays stay small however many
        # candidates a block has
        for low, high in row_slices(products.indptr, SLICE_ENTRIES):
            approx = products[low:high].tocoo()
            row = approx.row.astype(np.int64) + (first + low)
            col = approx.col.astype(np.int64)
            off_diagonal = row != col
            row, col, score = row[off_diagonal], col[off_diagonal], approx.data[off_diagonal]
            keep = top_per_row(row, col, score, 2 * k)
            rows.append(row[keep])
            cols.append(col[keep])
        del products
    return np.concatenate(rows), np.concatenate(cols)


def row_slices(indptr: np.ndarray, max_entries: int) -> list[tuple[int, int]]:
    """Consecutive row ranges ``[low, high)`` covering every row, each holding at most
    ``max_entries`` entries (or a single row that alone holds more).

    Parameters
    ----------
    indptr : ndarray, shape (n_rows + 1,)
        A CSR matrix's row pointers.
    """
    n_rows = len(indptr) - 1
    out, low = [], 0
    while low < n_rows:
        high = int(np.searchsorted(indptr, indptr[low] + max_entries, side="right")) - 1
        high = min(max(high, low + 1), n_rows)
        out.append((low, high))
        low = high
    return out


def top_terms(vectors: Vectors, n_terms: int) -> sp.csr_matrix:
    """Each row's ``n_terms`` largest entries (ties: the lower column), the rest dropped.

    Parameters
    ----------
    vectors : csr_matrix of float32, shape (n_docs, n_terms_all)

    Returns
    -------
    csr_matrix of float32, same shape, at most ``n_terms`` entries a row
    """
    # a few rows at a time (each row's choice is its own), so the ranking's arrays stay
    # small however large the corpus; each slice's rows made a CSR matrix of their own (its
    # rows the same as the whole's), then stacked
    parts = []
    for low, high in row_slices(vectors.indptr, SLICE_ENTRIES):
        coo = row_block(vectors, low, high).tocoo()
        row = coo.row.astype(np.int64)
        keep = top_per_row(row, coo.col.astype(np.int64), coo.data, n_terms)
        parts.append(
            sp.csr_matrix(
                (coo.data[keep], (row[keep], coo.col[keep].astype(np.int64))),
                shape=(high - low, vectors.shape[1]),
                dtype=np.float32,
            )
        )
        del coo, row, keep
    if not parts:
        return sp.csr_matrix(vectors.shape, dtype=np.float32)
    return sp.csr_matrix(sp.vstack(parts, format="csr"), dtype=np.float32)


def top_per_row(row: np.ndarray, col: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest scores of each row (ties broken by the lower column).

    Parameters
    ----------
    row, col : ndarray of int64, shape (n,)
    score : ndarray of float, shape (n,)

    Returns
    -------
    ndarray of int64, sorted by (row, -score, col)
    """
    if len(row) == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64)
    candidates = at_least_kth(row, score, k)
    row, col, score = row[candidates], col[candidates], score[candidates]
    order = np.lexsort((col, -score, row))
    sorted_rows = row[order]
    starts = _run_starts(sorted_rows)
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    return candidates[order[np.arange(len(order)) - run_start < k]]


def at_least_kth(row: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
    """Positions of the entries that score at least their row's ``k``-th highest score.

    A superset of each row's top ``k`` (ties at the ``k``-th score are all kept), found with
    one sort of a single 64-bit key (the row, then the score in descending order as an
    order-preserving integer) instead of a three-key sort of every entry, so that the exact
    ranking runs on few entries. Scores are compared as float32; rounding is monotone, so no
    entry of the top ``k`` is lost.

    Parameters
    ----------
    row : ndarray of int64, shape (n,), values below 2**32
    score : ndarray of float, shape (n,)

    Returns
    -------
    ndarray of int64, increasing
    """
    # + 0 turns -0.0 into 0.0, which compare equal but differ in bits
    bits = (np.asarray(score, dtype=np.float32) + np.float32(0)).view(np.uint32)
    # an order-preserving integer of each score, then complemented: smaller is better
    descending = ~np.where(bits >> 31 == 1, ~bits, bits | np.uint32(1 << 31))
    del bits
    ranked = row.astype(np.uint64) << np.uint64(32)
    ranked |= descending
    ranked.sort()  # in place: by row, then best score first
    ranked_rows = (ranked >> np.uint64(32)).astype(np.int64)
    starts = _run_starts(ranked_rows)
    counts = np.diff(np.r_[starts, len(ranked)])
    # the k-th score of each row (its last when it has fewer than k)
    limit = np.zeros(ranked_rows[-1] + 1, dtype=np.uint32)
    limit[ranked_rows[starts]] = ranked[starts + np.minimum(counts, k) - 1].astype(np.uint32)
    del ranked, ranked_rows
    return np.flatnonzero(descending <= limit[row])


def row_dots(
    vectors: Vectors, row: np.ndarray, col: np.ndarray, chunk: int = 1 << 18
) -> np.ndarray:
    """``vectors[row[i]] · vectors[col[i]]`` for every i, chunk by chunk.

    Returns
    -------
    ndarray of float32, shape (n,)
    """
    # the same sums without making the rows (:func:`dedup.story_vectors.row_dots`)
    from dedup.story_vectors import row_dots as dots

    out = np.empty(len(row), dtype=np.float32)
    for first in range(0, len(row), chunk):
        part = slice(first, first + chunk)
        out[part] = dots(vectors, row[part], col[part])
    return out


def keep_above_background(graph: sp.csr_matrix, vectors: Vectors, min_lift: float) -> sp.csr_matrix:
    """Keep the edges at least ``min_lift`` times as similar as their ends' background.

    The background of document ``i`` is its mean cosine similarity to every other document,
    ``(x_i · Σ_j x_j - 1) / (n - 1)`` for L2-normalised rows.
    """
    n_docs = vectors.shape[0]
    if n_docs < 2 or graph.nnz == 0 or min_lift == 0:
        return graph
    total = column_sums(vectors)  # a block of rows at a time when they are on disk
    background = np.maximum((matvec(vectors, total) - 1.0) / (n_docs - 1), 1e-9)
    coo = graph.tocoo()
    keep = coo.data >= min_lift * np.sqrt(background[coo.row] * background[coo.col])
    return sp.csr_matrix(
        (coo.data[keep], (coo.row[keep], coo.col[keep])), shape=graph.shape, dtype=np.float32
    )


def decay_by_date(graph: sp.csr_matrix, days: np.ndarray, window_days: float) -> sp.csr_matrix:
    coo = graph.tocoo()
    known = (days[coo.row] >= 0) & (days[coo.col] >= 0)
    gap = np.abs(days[coo.row] - days[coo.col]).astype(np.float64)
    factor = np.where(known, np.exp(-gap / window_days), 1.0)
    return sp.csr_matrix(
        ((coo.data * factor).astype(np.float32), (coo.row, coo.col)), shape=graph.shape
    )


def _run_starts(sorted_values: np.ndarray) -> np.ndarray:
    """Positions where a run of equal values begins in a sorted, non-empty array.

    (``dedup.lsh`` has its own: importing it would load numba for three lines.)
    """
    return np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])


def weighted_graph(
    graph: sp.csr_matrix,
    vectors: Vectors,
    days: np.ndarray,
    pairs: np.ndarray | None,
    *,
    window_days: float | None,
    min_lift: float,
    similarity_power: float,
) -> sp.csr_matrix:
    """The neighbour ``graph`` (:func:`neighbour_graph`) weighed as the story clusterer
    weighs it, made symmetric: each edge weakened by the days between its ends (with a
    ``window_days``), kept when at least ``min_lift`` times its ends' background similarity,
    raised to ``similarity_power``; the row ``pairs`` (int64, shape (n, 2)) known to share a
    reused passage get an edge of weight 1 (times the date factor) at least."""
    if window_days is not None:  # before the lift test: far apart, a tie must be strong
        graph = decay_by_date(graph, days, float(window_days))
    graph = keep_above_background(graph, vectors, min_lift)
    graph.data **= similarity_power
    if pairs is not None and len(pairs):
        link_graph = sp.csr_matrix(
            (np.ones(len(pairs), dtype=np.float32), (pairs[:, 0], pairs[:, 1])),
            shape=graph.shape,
        )
        if window_days is not None:
            link_graph = decay_by_date(link_graph, days, float(window_days))
        graph = graph.maximum(link_graph)
    return sp.csr_matrix(graph.maximum(graph.T), dtype=np.float32)
