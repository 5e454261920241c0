"""Story groups: reprints and independent reports of one event together, other events apart.

:class:`StoryClusterer` is a scikit-learn estimator. From a list of records it builds

1. **TF-IDF vectors** (``TfidfVectorizer`` as is): words and word pairs, sublinear term
   frequency, the stop words of each document's language (:mod:`dedup.story_words`), terms
   in fewer than ``min_df`` documents or more than ``max_df`` of them dropped, the title
   counted ``title_weight`` times;
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
   is a story; the others are divided again;
5. **undated boundary articles placed by their words**
   (:func:`dedup.story_refine.place_by_centroids`): once, each undated article with a
   neighbour in another story moves to the story, among its own and its neighbours', whose
   TF-IDF centroid (its own without it) it is nearest to. Dated articles stay: the date
   factor placed them, and a centroid knows no dates.

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

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils import Tags, check_random_state
from sklearn.utils.validation import check_is_fitted

from dedup.communities import split_communities
from dedup.events import (
    EventGroup,
    find_events,
    first_sent,
    group_facts,
    numbered,
    ordered_groups,
)
from dedup.spill import TextSpill
from dedup.story_graph import neighbour_graph, top_per_row, weighted_graph
from dedup.story_refine import place_by_centroids
from dedup.story_rows import DiskRows, Vectors, take_rows
from dedup.story_texts import SpilledRecords, SpilledTexts
from dedup.story_vectors import TermTable, fitted_vectorizer, supported, tfidf_vectors
from dedup.story_words import stop_word_options
from dedup.templates import strip_templates
from dedup.types import Record


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
        if (isinstance(value, bool) and bool not in self.types) or not isinstance(
            value, self.types
        ):
            return TypeError
        return None


@dataclass(frozen=True, slots=True)
class StoryGroup:
    """One story: its members, a label, and the dates it spans.

    ``id`` is ``s1``, ``s2``, … in order of the story's earliest date (undated stories last),
    then smallest member id. ``label`` lists its strongest TF-IDF terms; ``title`` is the
    title of its earliest member, when titles are known. ``events`` are the events it holds
    (:mod:`dedup.events`), in order of id.
    """

    id: str
    members: tuple[str, ...]
    label: str
    title: str | None
    first_date: str | None
    last_date: str | None
    events: tuple[EventGroup, ...] = ()


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
    learn_templates : bool, default=True
        Take out each outlet's template words before TF-IDF (:mod:`dedup.templates`): word
        runs the outlet repeats on many days with changing numbers, such as wire brief
        frames, which would otherwise tie every brief of one form together.
    random_state : int, RandomState or None, default=0
        Seeds every Leiden run.

    Attributes
    ----------
    labels_ : ndarray of int64, shape (n_samples,)
        Story of each record, numbered in the order of :attr:`stories_`.
    n_clusters_ : int
    stories_ : list of StoryGroup
    event_labels_ : ndarray of int64, shape (n_samples,)
        Event of each record (:mod:`dedup.events`: one happening inside its story), numbered
        in the order of :attr:`events_`.
    n_events_ : int
    events_ : list of EventGroup
    graph_ : scipy.sparse.csr_matrix, shape (n_samples, n_samples)
        The weighted neighbour graph (with links), symmetric.
    vectorizer_ : TfidfVectorizer
    n_template_words_ : int
        Words taken out as template words, over all records.
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
        "learn_templates": InstanceOf((bool,), "a bool"),
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
        learn_templates: bool = True,
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
        self.learn_templates = learn_templates
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
        scratch: str | Path | None = None,
        workers: int = 1,
    ) -> StoryClusterer:
        """Find the stories.

        Parameters
        ----------
        X : sequence of Record or str, length n_samples
        y : ignored
        links : array-like of int, shape (n_links, 2), optional
            Pairs of positions in ``X`` known to share reused passages.
        scratch : folder, optional
            Where the TF-IDF vectors' term counts are kept while they are built
            (:mod:`dedup.story_vectors`; else in memory), and the vectors themselves
            (:mod:`dedup.story_rows`). The result is the same.
        workers : int, default=1
            Processes that make the TF-IDF vectors. The result is the same.
        """
        self._check_params()
        records: Sequence[Record] = (
            X.meta
            if isinstance(X, SpilledRecords)
            else [r if isinstance(r, Record) else Record(str(k), r) for k, r in enumerate(X)]
        )
        if not records:
            raise ValueError("StoryClusterer needs at least one record")
        # a canonical order (by id) makes the result independent of the input order
        order = np.array(sorted(range(len(records)), key=lambda k: records[k].id), dtype=np.int64)
        ordered = [records[k] for k in order]  # a spilled record's metadata only
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))

        days = _days(ordered)
        self.n_template_words_ = 0
        texts: Sequence[str]
        if isinstance(X, SpilledRecords):  # the texts read back one at a time, or a pool
            in_order = X.take(order)
            texts, self.n_template_words_ = _spilled_texts(
                in_order, days, self.title_weight, self.learn_templates
            )
            with_texts: Sequence[Record] = in_order
        else:
            with_texts = ordered
            texts = [_text_of(r, self.title_weight) for r in ordered]
            if self.learn_templates:
                texts, self.n_template_words_ = strip_templates(
                    texts, [r.outlet for r in ordered], days
                )
        # read before the vectors, as it reads the texts again (it takes no random state)
        sent = first_sent(with_texts, days)
        del with_texts
        vectorizer = TfidfVectorizer(
            sublinear_tf=True,
            **stop_word_options(texts),  # each document's language's stop words
            ngram_range=self.ngram_range,
            min_df=min(self.min_df, len(ordered)),
            max_df=self.max_df if len(ordered) > 2 else 1.0,
            dtype=np.float32,
        )
        terms: TermTable | np.ndarray | None = None
        vectors: Vectors
        try:
            if supported(vectorizer):  # the same numbers, a batch of texts at a time
                # with a scratch folder the vectors stay there, read a block at a time
                vectors, terms = tfidf_vectors(
                    texts, vectorizer, scratch=scratch, on_disk=scratch is not None,
                    workers=workers,
                )  # fmt: skip
            else:
                vectors = vectorizer.fit_transform(texts)
                terms = vectorizer.get_feature_names_out()
        except ValueError:  # no term left (tiny or empty corpus): every record alone
            vectors = sp.csr_matrix((len(ordered), 0), dtype=np.float32)
        finally:
            if isinstance(texts, SpilledTexts):  # read: its file goes
                texts.spill.close()
                texts.spill.path.unlink(missing_ok=True)
        del texts
        try:
            self._cluster(ordered, order, rank, days, sent, vectors, terms, links)
        finally:
            if isinstance(vectors, DiskRows):
                vectors.close()
        self._vectorizer_terms_ = (vectorizer, terms)
        return self

    def _cluster(
        self,
        ordered: Sequence[Record],
        order: np.ndarray,
        rank: np.ndarray,
        days: np.ndarray,
        sent: np.ndarray,
        vectors: Vectors,
        terms: TermTable | np.ndarray | None,
        links: Sequence[tuple[int, int]] | np.ndarray | None,
    ) -> None:
        """:meth:`fit` from the vectors on: the graph, its divisions and the stories."""
        pairs = None
        if links is not None and len(links):
            pairs = rank[np.asarray(links, dtype=np.int64).reshape(-1, 2)]
        graph = weighted_graph(
            neighbour_graph(vectors, self.n_neighbors),
            vectors,
            days,
            pairs,
            window_days=self.window_days,
            min_lift=self.min_lift,
            similarity_power=self.similarity_power,
        )
        random_state = check_random_state(self.random_state)
        labels = split_communities(
            graph, self.resolution, self.min_conductance, self.n_consensus, random_state
        )
        # the centroids know no dates: dated articles stay where the dated graph put them
        labels = place_by_centroids(vectors, graph, labels, movable=days < 0)
        event_labels = find_events(
            graph, labels, sent, self.resolution, self.min_conductance,
            self.n_consensus, random_state,
        )  # fmt: skip
        stories, story_of, events, event_of = _stories(
            ordered, labels, event_labels, vectors, terms
        )
        self.labels_ = story_of[rank]
        self.event_labels_ = event_of[rank]
        self.events_ = events
        self.n_events_ = len(events)
        self.n_clusters_ = len(stories)
        self.stories_ = stories
        graph = graph.tocoo()
        self.graph_ = sp.csr_matrix(
            (graph.data, (order[graph.row], order[graph.col])), shape=graph.shape
        )

    @property
    def vectorizer_(self) -> TfidfVectorizer:
        """The fitted ``TfidfVectorizer`` (its vocabulary of strings made on first use)."""
        check_is_fitted(self, "labels_")
        vectorizer, terms = self._vectorizer_terms_
        if isinstance(terms, TermTable) and not hasattr(vectorizer, "vocabulary_"):
            fitted_vectorizer(vectorizer, terms)
        return vectorizer

    def fit_predict(self, X, y=None, **kwargs) -> np.ndarray:
        """Fit and return :attr:`labels_`."""
        return self.fit(X, y, **kwargs).labels_

    def story_of(self, index: int) -> StoryGroup:
        check_is_fitted(self, "labels_")
        return self.stories_[int(self.labels_[index])]


def _text_of(record: Record, title_weight: int) -> str:
    title = (record.title or "").strip()
    return "\n".join([title] * title_weight + [record.text]) if title else record.text


def _spilled_texts(
    records: SpilledRecords, days: np.ndarray, title_weight: int, learn_templates: bool
) -> tuple[SpilledTexts, int]:
    """The texts the vectors are made of (:func:`_text_of`, and with ``learn_templates`` each
    outlet's template words taken out), written to a spill in the records' folder, and the
    number of words taken out.

    :func:`dedup.templates.strip_templates` learns and strips each outlet's texts apart from
    the others', so it is run here on one outlet's texts at a time (the same texts, in the
    same order, as it takes them from the whole corpus): only one outlet's texts are held.
    """
    spill = TextSpill(records.folder / f"story-texts-{next(_SPILL_NUMBERS)}.bin")
    numbers = np.zeros(len(records), dtype=np.int64)
    if not learn_templates:
        for k, record in enumerate(records):
            numbers[k] = spill.append(_text_of(record, title_weight))
        return SpilledTexts(spill, numbers), 0
    pools: dict[str | None, list[int]] = {}
    for k, record in enumerate(records.meta):
        pools.setdefault(record.outlet, []).append(k)
    removed = 0
    for outlet, members in pools.items():
        pool = [_text_of(records[k], title_weight) for k in members]
        stripped, n_removed = strip_templates(pool, [outlet] * len(pool), days[members])
        del pool
        for k, text in zip(members, stripped):
            numbers[k] = spill.append(text)
        removed += n_removed
    return SpilledTexts(spill, numbers), removed


_SPILL_NUMBERS = itertools.count()


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


def _stories(
    records: Sequence[Record],
    labels: np.ndarray,
    event_labels: np.ndarray,
    vectors: Vectors,
    terms: TermTable | np.ndarray | None,
    n_terms: int = 5,
) -> tuple[list[StoryGroup], np.ndarray, list[EventGroup], np.ndarray]:
    """Stories and events in canonical order, and each record's story and event numbers
    (``terms``: the vectors' columns' terms)."""
    groups = ordered_groups(records, labels)
    story_of = numbered(groups, len(records))
    event_groups = ordered_groups(records, event_labels)
    event_of = numbered(event_groups, len(records))
    if terms is None or not vectors.shape[1]:
        terms = np.zeros(0, dtype=str)
    story_terms = group_terms(story_of, len(groups), vectors, terms, n_terms)
    event_terms = group_terms(event_of, len(event_groups), vectors, terms, n_terms)
    stories, events = nested_groups(
        records, groups, event_groups, story_of, story_terms, event_terms
    )
    return stories, story_of, events, event_of


def nested_groups(
    records: Sequence[Record],
    groups: list[list[int]],
    event_groups: list[list[int]],
    story_of: np.ndarray,
    story_terms: list[str],
    event_terms: list[str],
) -> tuple[list[StoryGroup], list[EventGroup]]:
    """Stories (each holding its events) and events, numbered in the order of ``groups``
    and ``event_groups`` (records' indexes, :func:`dedup.events.ordered_groups`), labelled
    with ``story_terms`` and ``event_terms``; ``story_of``: each record's story number."""
    events = []
    for number, indexes in enumerate(event_groups):
        members, title, first, last = group_facts(records, indexes)
        story = f"s{story_of[indexes[0]] + 1}"
        events.append(EventGroup(f"e{number + 1}", story, members, event_terms[number], title,
                                 first, last))  # fmt: skip
    events_of: dict[str, list[EventGroup]] = {}
    for event in events:
        events_of.setdefault(event.story, []).append(event)
    stories = []
    for number, indexes in enumerate(groups):
        members, title, first, last = group_facts(records, indexes)
        story_id = f"s{number + 1}"
        stories.append(StoryGroup(story_id, members, story_terms[number], title, first, last,
                                  tuple(events_of.get(story_id, ()))))  # fmt: skip
    return stories, events


def group_terms(
    story_of: np.ndarray,
    n_stories: int,
    vectors: Vectors,
    terms: TermTable | np.ndarray,
    n_terms: int,
) -> list[str]:
    """The ``n_terms`` heaviest terms of each story's (or event's) summed vectors, as one
    string each (``terms``: the vectors' columns)."""
    if vectors.shape[1] == 0 or len(story_of) == 0:
        return [""] * n_stories
    words: list[list[str]] = [[] for _ in range(n_stories)]
    # the stories a block at a time (each block's members holding about GROUP_TERMS_ENTRIES
    # vector entries), so that the sums of a large corpus are never all held at once; each
    # story's sum and top terms are its own, so the blocks give what one product gives
    order = np.argsort(story_of, kind="stable")  # members by story, in record order
    bounds = np.searchsorted(story_of[order], np.arange(n_stories + 1))
    entries = np.bincount(story_of, weights=np.diff(vectors.indptr), minlength=n_stories)
    for lo, hi in _blocks(entries, GROUP_TERMS_ENTRIES):
        members = order[bounds[lo] : bounds[hi]]
        membership = sp.csr_matrix(
            (
                np.ones(len(members), dtype=np.float32),
                (story_of[members] - lo, np.arange(len(members))),
            ),
            shape=(hi - lo, len(members)),
        )
        totals = (membership @ take_rows(vectors, members)).tocoo()
        keep = top_per_row(
            totals.row.astype(np.int64), totals.col.astype(np.int64), totals.data, n_terms
        )
        keep = keep[totals.data[keep] > 0]
        for story, term in zip(totals.row[keep].tolist(), totals.col[keep].tolist()):
            words[lo + story].append(str(terms[term]))
    return [", ".join(w) for w in words]


#: Vector entries of the members of one block of stories whose terms are summed at once.
GROUP_TERMS_ENTRIES = 1 << 21


def _blocks(sizes: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """Runs ``[lo, hi)`` of consecutive items whose ``sizes`` add up to about ``limit`` (an
    item larger than that is a run of its own)."""
    out = []
    lo, held = 0, 0.0
    for k, size in enumerate(sizes.tolist()):
        if held and held + size > limit:
            out.append((lo, k))
            lo, held = k, 0.0
        held += size
    if lo < len(sizes):
        out.append((lo, len(sizes)))
    return out
