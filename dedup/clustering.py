"""Story groups: reprints and independent reports of one event together, other events apart.

:class:`StoryClusterer` is a scikit-learn estimator. From a list of records it builds

1. **TF-IDF vectors** (``TfidfVectorizer`` as is): words and word pairs, sublinear term
   frequency, English stop words, terms in fewer than ``min_df`` documents or more than
   ``max_df`` of them dropped, the title counted ``title_weight`` times;
2. a **sparse neighbour graph**: each document's ``n_neighbors`` most cosine-similar
   documents, found block by block (never an n × n matrix). When both documents are dated,
   the similarity is first multiplied by ``exp(-days apart / window_days)`` (articles days
   apart are less likely one story). An edge is kept only when that similarity is at least
   ``min_lift`` times the background of its two ends (a document's background is its mean
   similarity to every other document, exact and cheap: ``x_i · (Σ_j x_j) - 1``), so in a
   corpus all about one crisis moderate similarity alone links nothing, and articles weeks
   apart need a far stronger tie than articles of one day. Each edge is weighted by that
   similarity raised to ``similarity_power`` (strong ties count for much more than weak ones);
3. **passage links** (``fit(..., links=pairs)``, e.g. the pairs of ``dedup scan``): pairs that
   share a reused passage get an edge of weight 1, multiplied by the same date factor, as
   strong evidence of one story;
4. **communities** of that graph, divided from the top until each holds together
   (:func:`split_communities`): every connected component, then every group it splits into,
   is divided by the Leiden algorithm (modularity at ``resolution`` on that group alone, run
   ``n_consensus`` times with different seeds, edges reweighted by how often their two ends
   fell together, and a last run on that consensus graph); the parts are joined back, the
   most strongly tied pair first, while the link weight between two of them is at least
   ``min_conductance`` of the smaller one's whole link weight. A group that comes back whole
   is a story; the others are divided again.

Modularity adapts to the size of each story, so there is no similarity threshold to set for
each corpus: short snippets and long articles have very different similarity scales, and a
threshold right for one is wrong for the other. But modularity alone has a resolution limit:
its null model is the whole graph, so the larger the corpus, the smaller the tie that makes
two stories worth merging. The join rule is the check against that: it compares the tie
between two parts with the parts themselves only, so it means the same at every corpus size
(a share, in no unit of similarity). The defaults were chosen on half of the stories of the
labelled sets and are reported on the other half (``benchmarks/quality.py``).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from numbers import Integral, Real
from typing import Any, ClassVar, Literal

import numpy as np
import scipy.sparse as sp
from graspologic_native import leiden_csr
from scipy.sparse.csgraph import connected_components
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils import Tags, check_random_state
from sklearn.utils.validation import check_is_fitted

from dedup.types import Record

#: Rows whose candidate neighbours are found at once.
BLOCK_ROWS = 2048
#: Candidate pairs ranked at once (bounds the ranking's memory, about 50 bytes a pair).
SLICE_ENTRIES = 1 << 22
#: Heaviest terms of each document used to find its candidate neighbours.
CANDIDATE_TERMS = 64
#: Passes of each Leiden run (each pass starts from the last one's communities), as with
#: leidenalg's default before. Running leidenalg to convergence gave the same ARI on the dev
#: halves and was several times slower on Reuters-21578's dated wire copy; with
#: graspologic-native, 4 passes, 2 or 4 trials or randomness 0.01 gave the same dev ARI
#: (``benchmarks/stories_dev_scale.py``; at most 0.001 apart).
LEIDEN_ITERATIONS = 2
#: Independent Leiden runs of each call, the most modular kept.
LEIDEN_TRIALS = 1
#: How far Leiden's refinement strays from the greediest merge (graspologic-native's default).
LEIDEN_RANDOMNESS = 0.001


@dataclass(frozen=True, slots=True)
class NumberRange:
    """The numbers a parameter may take: of ``kind`` (``Integral`` or ``Real``), between
    ``low`` and ``high`` (None: unbounded), ``closed`` naming the ends that belong to it, and
    None too when ``none_allowed``."""

    # Integral or Real: abstract, so not type[Real]; Any keeps the checked value comparable
    kind: type[Any]
    low: float | None = None
    high: float | None = None
    closed: Literal["left", "right", "both", "neither"] = "both"
    none_allowed: bool = False

    def describe(self) -> str:
        left = "[" if self.closed in ("left", "both") else "("
        right = "]" if self.closed in ("right", "both") else ")"
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        number = "an int" if self.kind is Integral else "a float"
        what = f"{number} in the range {left}{low}, {high}{right}"
        return f"{what} or None" if self.none_allowed else what

    def error(self, value: Any) -> type[Exception] | None:
        """None when ``value`` is allowed; else the kind of error it calls for."""
        if value is None:
            return None if self.none_allowed else TypeError
        if isinstance(value, bool) or not isinstance(value, self.kind):
            return TypeError  # True is an int to Python, never a count or a share here
        if self.low is not None and (
            value < self.low or (value == self.low and self.closed in ("right", "neither"))
        ):
            return ValueError
        if self.high is not None and (
            value > self.high or (value == self.high and self.closed in ("left", "neither"))
        ):
            return ValueError
        if value != value:  # NaN is in no range
            return ValueError
        return None


@dataclass(frozen=True, slots=True)
class InstanceOf:
    """A parameter that must be an instance of one of ``types``, described as ``description``."""

    types: tuple[type, ...]
    description: str

    def describe(self) -> str:
        return self.description

    def error(self, value: Any) -> type[Exception] | None:
        if isinstance(value, bool) or not isinstance(value, self.types):
            return TypeError
        return None


@dataclass(frozen=True, slots=True)
class StoryGroup:
    """One story: its members, a label, and the dates it spans.

    ``id`` is ``s1``, ``s2``, … in order of the story's earliest date (undated stories last),
    then smallest member id. ``label`` lists its strongest TF-IDF terms; ``title`` is the
    title of its earliest member, when titles are known.
    """

    id: str
    members: tuple[str, ...]
    label: str
    title: str | None
    first_date: str | None
    last_date: str | None


class StoryClusterer(ClusterMixin, BaseEstimator):
    """Group news records into stories (see the module docstring for the method).

    Parameters
    ----------
    n_neighbors : int, default=10
        Neighbours kept per document in the similarity graph.
    similarity_power : float, default=2.0
        Edge weight is cosine similarity to this power.
    min_lift : float, default=3.0
        An edge needs a similarity of at least this many times the geometric mean of its two
        documents' background similarity (their mean similarity to all other documents).
    resolution : float, default=1.0
        Leiden modularity resolution, on each group being divided; higher proposes smaller
        parts.
    min_conductance : float, default=0.03
        Two parts of a group stay one story when the link weight between them is at least
        this share of the smaller part's whole link weight; lower keeps fewer, larger stories.
    window_days : float or None, default=7.0
        The similarity of two dated documents is multiplied by ``exp(-days apart /
        window_days)`` before the ``min_lift`` test; None ignores dates.
    title_weight : int, default=2
        How many times a record's title is counted beside its text.
    ngram_range : tuple of int, default=(1, 2)
    min_df : int, default=2
    max_df : float, default=0.5
        Passed to ``TfidfVectorizer``.
    n_consensus : int, default=5
        Leiden runs of each division whose agreement weights its final run.
    random_state : int, RandomState or None, default=0
        Seeds every Leiden run.

    Attributes
    ----------
    labels_ : ndarray of int64, shape (n_samples,)
        Story of each record, numbered in the order of :attr:`stories_`.
    n_clusters_ : int
    stories_ : list of StoryGroup
    graph_ : scipy.sparse.csr_matrix, shape (n_samples, n_samples)
        The weighted neighbour graph (with links), symmetric.
    vectorizer_ : TfidfVectorizer
    """

    #: What each parameter may be, checked at :meth:`fit` (a subclass extends it with
    #: ``{**StoryClusterer._parameter_rules, ...}``).
    _parameter_rules: ClassVar[dict[str, NumberRange | InstanceOf]] = {
        "n_neighbors": NumberRange(Integral, 1, None, closed="left"),
        "similarity_power": NumberRange(Real, 0, None, closed="neither"),
        "min_lift": NumberRange(Real, 0, None, closed="left"),
        "resolution": NumberRange(Real, 0, None, closed="neither"),
        "min_conductance": NumberRange(Real, 0, 1, closed="both"),
        "window_days": NumberRange(Real, 0, None, closed="neither", none_allowed=True),
        "title_weight": NumberRange(Integral, 0, None, closed="left"),
        "ngram_range": InstanceOf((tuple,), "a tuple"),
        "min_df": NumberRange(Integral, 1, None, closed="left"),
        "max_df": NumberRange(Real, 0, 1, closed="right"),
        "n_consensus": NumberRange(Integral, 1, None, closed="left"),
        "random_state": InstanceOf(
            (type(None), Integral, np.random.RandomState), "an int, a RandomState or None"
        ),
    }

    def __init__(
        self,
        *,
        n_neighbors: int = 10,
        similarity_power: float = 2.0,
        min_lift: float = 3.0,
        resolution: float = 1.0,
        min_conductance: float = 0.03,
        window_days: float | None = 7.0,
        title_weight: int = 2,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int = 2,
        max_df: float = 0.5,
        n_consensus: int = 5,
        random_state: int | np.random.RandomState | None = 0,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.similarity_power = similarity_power
        self.min_lift = min_lift
        self.resolution = resolution
        self.min_conductance = min_conductance
        self.window_days = window_days
        self.title_weight = title_weight
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.n_consensus = n_consensus
        self.random_state = random_state

    def __sklearn_tags__(self) -> Tags:
        # X is a sequence of records or strings, not a 2-D array of numbers
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags

    def _check_params(self) -> None:
        """Raise ``TypeError`` (wrong type) or ``ValueError`` (out of range) naming the first
        parameter that breaks its rule in :attr:`_parameter_rules`."""
        for name, rule in self._parameter_rules.items():
            value = getattr(self, name)
            error = rule.error(value)
            if error is not None:
                raise error(
                    f"The {name!r} parameter of {type(self).__name__} must be "
                    f"{rule.describe()}. Got {value!r} instead."
                )

    def fit(
        self,
        X: Sequence[Record | str],
        y: None = None,
        *,
        links: Sequence[tuple[int, int]] | np.ndarray | None = None,
    ) -> StoryClusterer:
        """Find the stories.

        Parameters
        ----------
        X : sequence of Record or str, length n_samples
        y : ignored
        links : array-like of int, shape (n_links, 2), optional
            Pairs of positions in ``X`` known to share reused passages.
        """
        self._check_params()
        records = [r if isinstance(r, Record) else Record(str(k), r) for k, r in enumerate(X)]
        if not records:
            raise ValueError("StoryClusterer needs at least one record")
        # a canonical order (by id) makes the result independent of the input order
        order = np.array(sorted(range(len(records)), key=lambda k: records[k].id), dtype=np.int64)
        ordered = [records[k] for k in order]
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))

        vectorizer = TfidfVectorizer(
            sublinear_tf=True,
            stop_words="english",
            ngram_range=self.ngram_range,
            min_df=min(self.min_df, len(ordered)),
            max_df=self.max_df if len(ordered) > 2 else 1.0,
            dtype=np.float32,
        )
        texts = [_text_of(r, self.title_weight) for r in ordered]
        try:
            vectors = vectorizer.fit_transform(texts)
        except ValueError:  # no term left (tiny or empty corpus): every record alone
            vectors = sp.csr_matrix((len(ordered), 0), dtype=np.float32)
        days = _days(ordered)
        graph = neighbour_graph(vectors, self.n_neighbors)
        if self.window_days is not None:  # before the lift test: far apart, a tie must be strong
            graph = _decay_by_date(graph, days, float(self.window_days))
        graph = keep_above_background(graph, vectors, self.min_lift)
        graph.data **= self.similarity_power
        if links is not None and len(links):
            pairs = rank[np.asarray(links, dtype=np.int64).reshape(-1, 2)]
            link_graph = sp.csr_matrix(
                (np.ones(len(pairs), dtype=np.float32), (pairs[:, 0], pairs[:, 1])),
                shape=graph.shape,
            )
            if self.window_days is not None:
                link_graph = _decay_by_date(link_graph, days, float(self.window_days))
            graph = graph.maximum(link_graph)
        graph = graph.maximum(graph.T).tocsr()
        labels = split_communities(
            graph,
            self.resolution,
            self.min_conductance,
            self.n_consensus,
            check_random_state(self.random_state),
        )
        stories, story_of = _stories(ordered, labels, vectors, vectorizer)
        self.labels_ = story_of[rank]
        self.n_clusters_ = len(stories)
        self.stories_ = stories
        graph = graph.tocoo()
        self.graph_ = sp.csr_matrix(
            (graph.data, (order[graph.row], order[graph.col])), shape=graph.shape
        )
        self.vectorizer_ = vectorizer
        return self

    def fit_predict(self, X, y=None, **kwargs) -> np.ndarray:
        """Fit and return :attr:`labels_`."""
        return self.fit(X, y, **kwargs).labels_

    def story_of(self, index: int) -> StoryGroup:
        check_is_fitted(self, "labels_")
        return self.stories_[int(self.labels_[index])]


def neighbour_graph(
    vectors: sp.csr_matrix, n_neighbors: int, candidate_terms: int = CANDIDATE_TERMS
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
    n_neighbors : int
    candidate_terms : int

    Returns
    -------
    graph : csr_matrix of float32, shape (n_docs, n_docs)
        Positive similarities only; not symmetric.
    """
    vectors = sp.csr_matrix(vectors, dtype=np.float32)
    vectors.sort_indices()
    n_docs = vectors.shape[0]
    k = min(n_neighbors, n_docs - 1)
    if k <= 0 or vectors.shape[1] == 0:
        return sp.csr_matrix((n_docs, n_docs), dtype=np.float32)
    pruned = top_terms(vectors, candidate_terms)
    transposed = pruned.T.tocsr()
    block = max(1, BLOCK_ROWS)
    rows, cols = [], []
    for first in range(0, n_docs, block):
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
    row, col = np.concatenate(rows), np.concatenate(cols)
    similarity = row_dots(vectors, row, col)
    keep = top_per_row(row, col, similarity, k)
    keep = keep[similarity[keep] > 0]
    return sp.csr_matrix(
        (similarity[keep], (row[keep], col[keep])), shape=(n_docs, n_docs), dtype=np.float32
    )


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


def top_terms(vectors: sp.csr_matrix, n_terms: int) -> sp.csr_matrix:
    """Each row's ``n_terms`` largest entries (ties: the lower column), the rest dropped.

    Parameters
    ----------
    vectors : csr_matrix of float32, shape (n_docs, n_terms_all)

    Returns
    -------
    csr_matrix of float32, same shape, at most ``n_terms`` entries a row
    """
    coo = vectors.tocoo()
    keep = top_per_row(coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data, n_terms)
    return sp.csr_matrix(
        (coo.data[keep], (coo.row[keep], coo.col[keep])), shape=vectors.shape, dtype=np.float32
    )


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
    vectors: sp.csr_matrix, row: np.ndarray, col: np.ndarray, chunk: int = 1 << 18
) -> np.ndarray:
    """``vectors[row[i]] · vectors[col[i]]`` for every i, chunk by chunk.

    Returns
    -------
    ndarray of float32, shape (n,)
    """
    out = np.empty(len(row), dtype=np.float32)
    for first in range(0, len(row), chunk):
        part = slice(first, first + chunk)
        products = vectors[row[part]].multiply(vectors[col[part]])
        out[part] = np.asarray(products.sum(axis=1)).ravel()
    return out


def keep_above_background(
    graph: sp.csr_matrix, vectors: sp.csr_matrix, min_lift: float
) -> sp.csr_matrix:
    """Keep the edges at least ``min_lift`` times as similar as their ends' background.

    The background of document ``i`` is its mean cosine similarity to every other document,
    ``(x_i · Σ_j x_j - 1) / (n - 1)`` for L2-normalised rows.
    """
    n_docs = vectors.shape[0]
    if n_docs < 2 or graph.nnz == 0 or min_lift == 0:
        return graph
    total = np.asarray(vectors.sum(axis=0)).ravel()
    background = np.maximum((vectors @ total - 1.0) / (n_docs - 1), 1e-9)
    coo = graph.tocoo()
    keep = coo.data >= min_lift * np.sqrt(background[coo.row] * background[coo.col])
    return sp.csr_matrix(
        (coo.data[keep], (coo.row[keep], coo.col[keep])), shape=graph.shape, dtype=np.float32
    )


def split_communities(
    graph: sp.csr_matrix,
    resolution: float,
    min_conductance: float,
    runs: int,
    random_state: np.random.RandomState,
) -> np.ndarray:
    """Communities of a symmetric weighted graph, divided from the top until each holds.

    The groups start as the connected components. Each group of two or more nodes is divided
    by :func:`consensus_communities` on its own edges (so modularity's null model is the
    group, not the whole graph), and the parts are joined back by :func:`join_parts`. A group
    that comes back whole is final; each group it did split into is divided the same way,
    until none splits. Groups are taken in a fixed order (by label, and labels are given in
    order) with seeds drawn from ``random_state`` in that order, so the result depends only on
    the graph and the seed.

    Parameters
    ----------
    graph : csr_matrix, shape (n_nodes, n_nodes), symmetric, non-negative
    resolution : float
        Modularity resolution of each division.
    min_conductance : float
        See :func:`join_parts`.
    runs : int
        Leiden runs of each division (see :func:`consensus_communities`).
    random_state : RandomState

    Returns
    -------
    labels : ndarray of int64, shape (n_nodes,)
    """
    n_nodes = graph.shape[0]
    graph = sp.csr_matrix(graph)
    volume = np.asarray(graph.sum(axis=1), dtype=np.float64).ravel()
    upper = sp.triu(graph, k=1).tocoo()
    keep = upper.data > 0
    first = upper.row[keep].astype(np.int64)
    second = upper.col[keep].astype(np.int64)
    weight = upper.data[keep].astype(np.float64)
    _, labels = connected_components(graph, directed=False)
    labels = labels.astype(np.int64)
    pending = np.bincount(labels) > 1
    local = np.zeros(n_nodes, dtype=np.int64)
    next_label = len(pending)
    while pending.any():
        # members and inner edges of every pending group, in order of group label
        nodes = np.flatnonzero(pending[labels])
        nodes = nodes[np.argsort(labels[nodes], kind="stable")]
        groups, starts = np.unique(labels[nodes], return_index=True)
        ends = np.r_[starts[1:], len(nodes)]
        inner = np.flatnonzero((labels[first] == labels[second]) & pending[labels[first]])
        inner = inner[np.argsort(labels[first[inner]], kind="stable")]
        edge_group = labels[first[inner]]
        edge_starts = np.searchsorted(edge_group, groups, side="left")
        edge_ends = np.searchsorted(edge_group, groups, side="right")
        pending[:] = False
        again: list[int] = []
        for k, group in enumerate(groups.tolist()):
            members = nodes[starts[k] : ends[k]]
            edges = inner[edge_starts[k] : edge_ends[k]]
            local[members] = np.arange(len(members))
            a, b, w = local[first[edges]], local[second[edges]], weight[edges]
            parts = consensus_communities(len(members), a, b, w, resolution, runs, random_state)
            joined = join_parts(parts, a, b, w, volume[members], min_conductance)
            if joined.max() == 0:
                continue  # the group holds: a story
            again.append(group)
            for part in range(1, int(joined.max()) + 1):
                labels[members[joined == part]] = next_label
                again.append(next_label)
                next_label += 1
        sizes = np.bincount(labels, minlength=next_label)
        pending = np.zeros(len(sizes), dtype=bool)
        pending[again] = sizes[again] > 1
    return labels


def join_parts(
    parts: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    weight: np.ndarray,
    volume: np.ndarray,
    min_conductance: float,
) -> np.ndarray:
    """Join the parts of a group while two of them are tied by ``min_conductance``.

    The tie of parts ``p`` and ``q`` is the weight of the edges between them divided by the
    smaller of their volumes (a part's volume is the summed weight of every edge of its nodes,
    in the whole graph). The most tied pair is joined first, and ties are recomputed for the
    joined part, until no pair reaches ``min_conductance``.

    Parameters
    ----------
    parts : ndarray of int64, shape (n_nodes,)
        Part of each node, numbered from 0.
    first, second : ndarray of int64, shape (n_edges,)
        The edges inside the group, as node positions.
    weight : ndarray of float64, shape (n_edges,)
    volume : ndarray of float64, shape (n_nodes,)
    min_conductance : float

    Returns
    -------
    ndarray of int64, shape (n_nodes,)
        Joined group of each node, numbered from 0 in order of first node.
    """
    n_parts = int(parts.max()) + 1 if len(parts) else 0
    part_volume = np.bincount(parts, weights=volume, minlength=n_parts).astype(np.float64)
    p, q = parts[first], parts[second]
    between = p != q
    low, high = np.minimum(p, q)[between], np.maximum(p, q)[between]
    pairs, where = np.unique(low * n_parts + high, return_inverse=True)
    totals = np.bincount(where, weights=weight[between], minlength=len(pairs))
    ties: list[dict[int, float]] = [{} for _ in range(n_parts)]
    for pair, total in zip(pairs.tolist(), totals.tolist()):
        ties[pair // n_parts][pair % n_parts] = total
        ties[pair % n_parts][pair // n_parts] = total
    version = [0] * n_parts
    owner = list(range(n_parts))

    def score(i: int, j: int) -> float:
        return ties[i][j] / max(min(part_volume[i], part_volume[j]), 1e-12)

    heap = [(-score(i, j), i, j, 0, 0) for i in range(n_parts) for j in ties[i] if i < j]
    heapq.heapify(heap)
    while heap:
        negative, i, j, version_i, version_j = heapq.heappop(heap)
        if owner[i] != i or owner[j] != j or (version_i, version_j) != (version[i], version[j]):
            continue  # stale: one of the two has been joined since
        if -negative < min_conductance:
            break
        owner[j] = i  # j joins i
        part_volume[i] += part_volume[j]
        for k, total in ties[j].items():
            del ties[k][j]  # with k == i, the tie just used
            if k != i:
                ties[i][k] = ties[i].get(k, 0.0) + total
                ties[k][i] = ties[i][k]
        ties[j] = {}
        version[i] += 1
        for k in ties[i]:
            low_k, high_k = min(i, k), max(i, k)
            heapq.heappush(heap, (-score(i, k), low_k, high_k, version[low_k], version[high_k]))
    root = np.array(owner, dtype=np.int64)
    while True:  # follow joins to their last owner
        above = root[root]
        if np.array_equal(above, root):
            break
        root = above
    joined = root[parts]
    _, first_seen, numbered = np.unique(joined, return_index=True, return_inverse=True)
    rank = np.empty(len(first_seen), dtype=np.int64)
    rank[np.argsort(first_seen, kind="stable")] = np.arange(len(first_seen))
    return rank[numbered.ravel()]


def consensus_communities(
    n_nodes: int,
    first: np.ndarray,
    second: np.ndarray,
    weight: np.ndarray,
    resolution: float,
    runs: int,
    random_state: np.random.RandomState,
) -> np.ndarray:
    """Leiden communities of a weighted graph given by its edges, stabilised over ``runs`` seeds.

    Each edge is reweighted by the share of the runs in which its two ends fell together, and a
    last run on that consensus graph gives the communities.

    Returns
    -------
    labels : ndarray of int64, shape (n_nodes,)
    """
    if len(weight) == 0:
        return np.arange(n_nodes, dtype=np.int64)
    if runs == 1:
        return _leiden(n_nodes, first, second, weight, resolution, random_state)
    agree = np.zeros(len(weight))
    for _ in range(runs):
        labels = _leiden(n_nodes, first, second, weight, resolution, random_state)
        agree += labels[first] == labels[second]
    return _leiden(n_nodes, first, second, weight * agree / runs, resolution, random_state)


def _leiden(
    n_nodes: int,
    first: np.ndarray,
    second: np.ndarray,
    weight: np.ndarray,
    resolution: float,
    random_state: np.random.RandomState,
) -> np.ndarray:
    """One Leiden run maximising modularity at ``resolution`` (graspologic-native, MIT).

    The objective is ``Σ_ij (A_ij - resolution · k_i k_j / 2m) δ(c_i, c_j)``, the
    configuration-model (RB) modularity. The graph is passed as a symmetric CSR matrix
    with sorted indices, so the result depends only on the edges and the seed drawn from
    ``random_state``, never on the order the edges come in.

    Parameters
    ----------
    n_nodes : int
    first, second : ndarray of int64, shape (n_edges,)
        Each edge's two nodes; each undirected edge given once. Edges of weight 0 are left out.
    weight : ndarray of float64, shape (n_edges,)
    resolution : float
    random_state : RandomState
        One seed is drawn from it per call, whatever the graph.

    Returns
    -------
    labels : ndarray of int64, shape (n_nodes,)
        Community of each node, numbered from 0 in order of first node (an isolated node is
        a community of its own).
    """
    seed = int(random_state.randint(0, 2**31 - 1))
    keep = weight > 0
    upper = sp.coo_matrix(
        (weight[keep].astype(np.float64), (first[keep], second[keep])), shape=(n_nodes, n_nodes)
    )
    graph = (upper + upper.T).tocsr()  # sums any repeated edge, sorts the indices
    graph.sort_indices()
    if graph.nnz == 0:
        return np.arange(n_nodes, dtype=np.int64)
    _, community = leiden_csr(
        graph.indptr.astype(np.int64),
        graph.indices.astype(np.int32),
        graph.data.astype(np.float64),
        n_nodes,
        resolution=float(resolution),
        randomness=LEIDEN_RANDOMNESS,
        iterations=LEIDEN_ITERATIONS,
        use_modularity=True,
        seed=seed,
        trials=LEIDEN_TRIALS,
    )
    labels = np.arange(n_nodes, dtype=np.int64)  # any node left out: alone
    nodes = np.fromiter(community.keys(), dtype=np.int64, count=len(community))
    labels[nodes] = np.fromiter(community.values(), dtype=np.int64, count=len(community)) + n_nodes
    # numbered by first node, so the labels do not depend on the library's own numbering
    _, first_seen, numbered = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first_seen), dtype=np.int64)
    rank[np.argsort(first_seen, kind="stable")] = np.arange(len(first_seen))
    return rank[numbered.ravel()]


def _run_starts(sorted_values: np.ndarray) -> np.ndarray:
    """Positions where a run of equal values begins in a sorted, non-empty array.

    (``dedup.lsh`` has its own: importing it would load numba for three lines.)
    """
    return np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])


def _text_of(record: Record, title_weight: int) -> str:
    title = (record.title or "").strip()
    return "\n".join([title] * title_weight + [record.text]) if title else record.text


def _days(records: Sequence[Record]) -> np.ndarray:
    """Day number of each record's date; -1 when unknown."""
    out = np.full(len(records), -1, dtype=np.int64)
    for k, record in enumerate(records):
        if record.date:
            try:
                out[k] = date.fromisoformat(record.date[:10]).toordinal()
            except ValueError:
                continue
    return out


def _decay_by_date(graph: sp.csr_matrix, days: np.ndarray, window_days: float) -> sp.csr_matrix:
    coo = graph.tocoo()
    known = (days[coo.row] >= 0) & (days[coo.col] >= 0)
    gap = np.abs(days[coo.row] - days[coo.col]).astype(np.float64)
    factor = np.where(known, np.exp(-gap / window_days), 1.0)
    return sp.csr_matrix(
        ((coo.data * factor).astype(np.float32), (coo.row, coo.col)), shape=graph.shape
    )


def _stories(
    records: Sequence[Record],
    labels: np.ndarray,
    vectors: sp.csr_matrix,
    vectorizer: TfidfVectorizer,
    n_terms: int = 5,
) -> tuple[list[StoryGroup], np.ndarray]:
    """Stories in canonical order, and each record's story number."""
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels.tolist()):
        members.setdefault(label, []).append(index)

    def sort_key(indexes: list[int]) -> tuple:
        dates = [d for d in (records[i].date for i in indexes) if d]
        return (not dates, min(dates) if dates else "", min(records[i].id for i in indexes))

    groups = sorted(members.values(), key=sort_key)
    story_of = np.empty(len(records), dtype=np.int64)
    for number, indexes in enumerate(groups):
        story_of[indexes] = number
    labels_text = _top_terms_of_stories(story_of, len(groups), vectors, vectorizer, n_terms)
    stories = []
    for number, indexes in enumerate(groups):
        dates = sorted(d for d in (records[i].date for i in indexes) if d)
        earliest = min(
            indexes, key=lambda i: (records[i].date is None, records[i].date or "", records[i].id)
        )
        stories.append(
            StoryGroup(
                id=f"s{number + 1}",
                members=tuple(sorted(records[i].id for i in indexes)),
                label=labels_text[number],
                title=records[earliest].title,
                first_date=dates[0] if dates else None,
                last_date=dates[-1] if dates else None,
            )
        )
    return stories, story_of


def _top_terms_of_stories(
    story_of: np.ndarray,
    n_stories: int,
    vectors: sp.csr_matrix,
    vectorizer: TfidfVectorizer,
    n_terms: int,
) -> list[str]:
    """The ``n_terms`` heaviest terms of each story's summed vectors, as one string each."""
    if vectors.shape[1] == 0:
        return [""] * n_stories
    membership = sp.csr_matrix(
        (np.ones(len(story_of), dtype=np.float32), (story_of, np.arange(len(story_of)))),
        shape=(n_stories, len(story_of)),
    )
    totals = (membership @ vectors).tocoo()
    keep = top_per_row(
        totals.row.astype(np.int64), totals.col.astype(np.int64), totals.data, n_terms
    )
    keep = keep[totals.data[keep] > 0]
    terms = vectorizer.get_feature_names_out()
    words: list[list[str]] = [[] for _ in range(n_stories)]
    for story, term in zip(totals.row[keep].tolist(), totals.col[keep].tolist()):
        words[story].append(str(terms[term]))
    return [", ".join(w) for w in words]
