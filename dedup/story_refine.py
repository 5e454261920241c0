"""Boundary articles of the stories placed by their stories' centroids.

The division of the graph (:mod:`dedup.communities`) decides by link weight: an article tied
by its few neighbours to the edge of another story goes wherever those ties lead, even when
its words are those of a story it has a neighbour in. After the division, each article is
compared with the TF-IDF centroid of every story among its graph neighbours' stories (its
own story without itself), and it moves to the story whose centroid it is most similar to
(cosine). Only the stories of its neighbours are candidates, so the date factor and the lift
test that made the graph still decide which stories an article may join, and an article
with no neighbour stays where it is. One pass, everything computed from the labels before
it, so the order of articles does not matter.

Kernels on sparse matrices and arrays (no I/O).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from dedup.story_rows import Vectors, row_squares, sorted_rows, take_rows

#: Term look-ups made at once, and centroid entries summed at once (bounds the pass's
#: memory, about 40 bytes each).
CHUNK_ENTRIES = 1 << 22


def place_by_centroids(
    vectors: Vectors,
    graph: sp.csr_matrix,
    labels: np.ndarray,
    movable: np.ndarray | None = None,
    *,
    renumber: bool = True,
) -> np.ndarray:
    """Each article moved to the story among its neighbours' whose centroid is nearest.

    The score of an article ``x`` (a row of ``vectors``) for a story of summed vectors ``C``
    is ``x · C / ‖C‖``, and for its own story ``(x · C - ‖x‖²) / ‖C - x‖`` (the story without
    it; ``-inf`` when it is alone), the cosines up to ``‖x‖``, which every score of ``x``
    shares. The highest score wins; ties go to
    the lower label, and an article keeps its story unless another scores higher.

    Parameters
    ----------
    vectors : sparse matrix, shape (n_docs, n_terms)
        (or a :class:`dedup.story_rows.DiskRows`: the rows are read as they are needed)
    graph : csr_matrix, shape (n_docs, n_docs)
        The stories' graph; its edges name each article's candidate stories.
    labels : ndarray of int64, shape (n_docs,)
        Story of each article, numbered from 0.
    movable : ndarray of bool, shape (n_docs,), optional
        The articles that may move (default: all); the others only count in the centroids.
    renumber : bool, default=True
        False keeps the labels as they are (an article moved takes the label of the story
        it joins), for labels that must stay stable (:mod:`dedup.placement`).

    Returns
    -------
    ndarray of int64, shape (n_docs,)
        The new story of each article, numbered from 0 in the order of the old labels (a
        story that loses every article is dropped from the numbering), unless ``renumber``
        is False.
    """
    labels = np.asarray(labels, dtype=np.int64)
    n_docs = len(labels)
    finish = _consecutive if renumber else np.copy
    if n_docs == 0 or graph.nnz == 0 or vectors.shape[1] == 0:
        return finish(labels)
    vectors = sorted_rows(vectors)
    n_stories = int(labels.max()) + 1
    coo = graph.tocoo()
    row = coo.row.astype(np.int64)
    story = labels[coo.col.astype(np.int64)]
    # an article with no term (no words left) has no centroid to be near: it stays
    other = (story != labels[row]) & (np.diff(vectors.indptr)[row] > 0)
    if movable is not None:
        other &= np.asarray(movable, dtype=bool)[row]
    if not other.any():
        return finish(labels)
    # candidate pairs: each boundary article with its own story and its neighbours' others
    boundary = np.unique(row[other])
    keys = np.unique(
        np.r_[row[other] * n_stories + story[other], boundary * n_stories + labels[boundary]]
    )
    pair_doc, pair_story = keys // n_stories, keys % n_stories
    dots, squared = story_dots(vectors, labels, pair_doc, pair_story)
    own = pair_story == labels[pair_doc]
    self_dot = row_squares(vectors)
    x2 = np.where(own, self_dot[pair_doc], 0.0)
    norm = np.sqrt(np.maximum(squared - 2 * np.where(own, dots, 0.0) + x2, 1e-12))
    score = (dots - x2) / norm
    sizes = np.bincount(labels, minlength=n_stories)
    score[own & (sizes[pair_story] == 1)] = -np.inf
    # best story of each boundary article: highest score, then the lower label
    order = np.lexsort((pair_story, -score, pair_doc))
    first = np.r_[True, pair_doc[order][1:] != pair_doc[order][:-1]]
    best = order[first]
    out = labels.copy()
    out[pair_doc[best]] = pair_story[best]
    return finish(out)


def story_dots(
    vectors: Vectors,
    labels: np.ndarray,
    doc: np.ndarray,
    story: np.ndarray,
    chunk_entries: int = CHUNK_ENTRIES,
) -> tuple[np.ndarray, np.ndarray]:
    """``vectors[doc[i]] · C[story[i]]`` and ``‖C[story[i]]‖²`` for every pair ``i``, where
    ``C[s]`` is the sum of the vectors of story ``s``.

    The sums are made a block of stories at a time, each block holding at most about
    ``chunk_entries`` entries (a story larger than that is a block of its own), so memory
    stays bounded however many stories are asked about.

    Parameters
    ----------
    vectors : csr_matrix of float32, shape (n_docs, n_terms), indices sorted
    labels : ndarray of int64, shape (n_docs,)
    doc, story : ndarray of int64, shape (n_pairs,)

    Returns
    -------
    dots, squared : ndarray of float64, shape (n_pairs,)
    """
    dots = np.zeros(len(doc), dtype=np.float64)
    squared = np.zeros(len(doc), dtype=np.float64)
    n_stories = int(labels.max()) + 1 if len(labels) else 0
    by_story = np.argsort(story, kind="stable")
    wanted, pair_starts = np.unique(story[by_story], return_index=True)
    pair_starts = np.r_[pair_starts, len(doc)]
    # an upper bound of each wanted story's centroid entries: its members' entries
    size = np.bincount(labels, weights=np.diff(vectors.indptr), minlength=n_stories)[wanted]
    low = 0
    while low < len(wanted):
        reach = np.cumsum(size[low:])
        high = low + max(int(np.searchsorted(reach, chunk_entries, side="right")), 1)
        block = wanted[low:high]
        members = np.flatnonzero(np.isin(labels, block))
        # the members' rows only (the product adds them in the same order)
        membership = sp.csr_matrix(
            (
                np.ones(len(members), dtype=np.float32),
                (np.searchsorted(block, labels[members]), np.arange(len(members))),
            ),
            shape=(len(block), len(members)),
        )
        centroids = sp.csr_matrix(membership @ take_rows(vectors, members))
        centroids.sum_duplicates()
        centroids.sort_indices()
        norms = np.asarray(centroids.multiply(centroids).sum(axis=1), dtype=np.float64).ravel()
        pairs = by_story[pair_starts[low] : pair_starts[high]]
        local = np.searchsorted(block, story[pairs])
        if isinstance(vectors, sp.csr_matrix):
            dots[pairs] = centroid_dots(vectors, centroids, doc[pairs], local, chunk_entries)
        else:  # on disk: the pairs' articles' rows read once
            docs, at = np.unique(doc[pairs], return_inverse=True)
            rows = take_rows(vectors, docs)
            dots[pairs] = centroid_dots(rows, centroids, at.ravel(), local, chunk_entries)
        squared[pairs] = norms[local]
        low = high
    return dots, squared


def _consecutive(labels: np.ndarray) -> np.ndarray:
    """``labels`` numbered from 0 without gaps, in the order of their values."""
    return np.unique(labels, return_inverse=True)[1].ravel().astype(np.int64)


def centroid_dots(
    vectors: sp.csr_matrix,
    centroids: sp.csr_matrix,
    doc: np.ndarray,
    story: np.ndarray,
    chunk_entries: int = CHUNK_ENTRIES,
) -> np.ndarray:
    """``vectors[doc[i]] · centroids[story[i]]`` for every pair ``i``, by looking up each
    term of the article in the centroid's sorted (row, term) keys, chunk by chunk (no
    centroid row is copied, however many terms a large story's centroid holds).

    Parameters
    ----------
    vectors : csr_matrix, shape (n_docs, n_terms)
    centroids : csr_matrix, shape (n_stories, n_terms), indices sorted
    doc, story : ndarray of int64, shape (n_pairs,)

    Returns
    -------
    ndarray of float64, shape (n_pairs,)
    """
    n_terms = np.int64(vectors.shape[1])
    centroid_keys = np.repeat(
        np.arange(centroids.shape[0], dtype=np.int64), np.diff(centroids.indptr)
    ) * n_terms + centroids.indices.astype(np.int64)
    lengths = np.diff(vectors.indptr)[doc].astype(np.int64)
    out = np.zeros(len(doc), dtype=np.float64)
    if len(centroid_keys) == 0:
        return out
    ends = np.cumsum(lengths)
    low = 0
    while low < len(doc):
        start = ends[low] - lengths[low]
        high = max(int(np.searchsorted(ends, start + chunk_entries, side="right")), low + 1)
        part_lengths = lengths[low:high]
        pair = np.repeat(np.arange(low, high, dtype=np.int64), part_lengths)
        first = vectors.indptr[doc[low:high]].astype(np.int64)
        offset = np.arange(len(pair), dtype=np.int64) - np.repeat(
            np.cumsum(part_lengths) - part_lengths, part_lengths
        )
        entry = np.repeat(first, part_lengths) + offset
        key = story[pair] * n_terms + vectors.indices[entry].astype(np.int64)
        found = np.minimum(np.searchsorted(centroid_keys, key), len(centroid_keys) - 1)
        hit = centroid_keys[found] == key
        values = np.where(hit, vectors.data[entry] * centroids.data[found], 0.0)
        out[low:high] = np.bincount(pair - low, weights=values, minlength=high - low)
        low = high
    return out
