"""Stories kept in the persistent index: fitted now and then, new articles placed each day.

An index keeps stories once asked to (``dedup index add --stories``, ``Index(...,
keep_stories=True)``). At that moment (a *fit*), every document it holds is grouped by the
batch path (:func:`dedup.jobs.stories`: clean, passage links, :class:`dedup.clustering.
StoryClusterer`), each outlet's templates are learnt as the clusterer learns them
(:func:`dedup.templates.learn_templates`) and stored, and a TF-IDF vocabulary with its idf is
fitted on their titles and texts as read, the template words taken out (with the
clusterer's vectorizer settings); each document's vector under it is stored. Every later
``add`` takes the stored templates out of its new articles
(:func:`dedup.templates.apply_templates`) and places them (:mod:`dedup.placement`) under
that frozen vocabulary, without touching the stored ones, in the same transaction as the
add. Once the
index holds :data:`REFIT_GROWTH` times the documents of the last fit, the add that gets it
there is a fit again (vocabulary, idf, stories and events from scratch): over an index's
life the fits together cost at most about twice one batch run at its final size, and every
other add places only. ``dedup index stories`` writes the current stories
(``stories.jsonl``, the tree story → events → articles) from the index.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils import check_random_state

from dedup.clustering import StoryClusterer, StoryGroup, group_terms, nested_groups
from dedup.config import Config
from dedup.errors import IndexFormatError
from dedup.events import EventGroup, numbered, ordered_groups
from dedup.parallel import Engine
from dedup.placement import GraphSettings, place_events, place_stories, placement_graph
from dedup.store import IndexStore
from dedup.story_store import (
    StoredStories,
    Vocabulary,
    delete_rows,
    fitted_on,
    keeps_stories,
    read_rows,
    read_templates,
    read_vocabulary,
    write_rows,
    write_templates,
    write_vocabulary,
)
from dedup.story_words import stop_word_options
from dedup.templates import Templates, apply_templates, learn_templates
from dedup.types import Record, StoriesResult

#: Ids of the pairs that share a reused passage, each with one of the records given.
LinkFinder = Callable[[Sequence[Record]], list[tuple[str, str]]]

#: An add is a fit again (vocabulary and stories from scratch) once the index holds this many
#: times the documents of the last fit.
REFIT_GROWTH = 2.0


def graph_settings(clusterer: StoryClusterer) -> GraphSettings:
    """The graph settings of ``clusterer`` (its public parameters)."""
    params = clusterer.get_params()
    return GraphSettings(
        n_neighbors=params["n_neighbors"],
        similarity_power=params["similarity_power"],
        min_lift=params["min_lift"],
        window_days=params["window_days"],
        resolution=params["resolution"],
        min_conductance=params["min_conductance"],
        n_consensus=params["n_consensus"],
    )


def text_of(record: Record, title_weight: int) -> str:
    """Title (``title_weight`` times) and text, as the clusterer reads a record."""
    title = (record.title or "").strip()
    return "\n".join([title] * title_weight + [record.text]) if title else record.text


def fit_vocabulary(texts: Sequence[str], clusterer: StoryClusterer) -> Vocabulary:
    """Vocabulary and idf of ``texts`` with the clusterer's vectorizer settings."""
    params = clusterer.get_params()
    vectorizer = TfidfVectorizer(
        sublinear_tf=True,
        **stop_word_options(texts),  # as the clusterer: each document's language's
        ngram_range=params["ngram_range"],
        min_df=min(params["min_df"], len(texts)),
        max_df=params["max_df"] if len(texts) > 2 else 1.0,
        dtype=np.float32,
    )
    try:
        vectorizer.fit(texts)
    except ValueError:  # no term left (tiny or empty corpus)
        return Vocabulary((), np.zeros(0))
    terms = tuple(str(t) for t in vectorizer.get_feature_names_out())
    return Vocabulary(terms, np.asarray(vectorizer.idf_, dtype=np.float64))


def vectorize(
    texts: Sequence[str], vocabulary: Vocabulary, clusterer: StoryClusterer
) -> sp.csr_matrix:
    """L2-normalised sublinear TF-IDF rows of ``texts`` under a fixed vocabulary.

    Returns
    -------
    csr_matrix of float32, shape (len(texts), len(vocabulary.terms))
    """
    if not vocabulary.terms or not texts:
        return sp.csr_matrix((len(texts), len(vocabulary.terms)), dtype=np.float32)
    counter = CountVectorizer(
        # the languages of these texts (the same words as at the fit when they are in the
        # fit's languages; the vocabulary holds no stop word of the fit's anyway)
        **stop_word_options(texts),
        ngram_range=clusterer.get_params()["ngram_range"],
        vocabulary={t: k for k, t in enumerate(vocabulary.terms)},
        dtype=np.float64,
    )
    counts = sp.csr_matrix(counter.transform(texts), dtype=np.float64)
    counts.data = 1.0 + np.log(counts.data)
    weighted = sp.csr_matrix(counts.multiply(vocabulary.idf[np.newaxis, :]))
    return sp.csr_matrix(normalize(weighted, norm="l2"), dtype=np.float32)


def day_numbers(dates: Sequence[str | None]) -> np.ndarray:
    """Day number of each date (``yyyy-mm-dd…``); -1 when unknown."""
    from datetime import date

    out = np.full(len(dates), -1, dtype=np.int64)
    for k, value in enumerate(dates):
        if value:
            try:
                out[k] = date.fromisoformat(value[:10]).toordinal()
            except ValueError:
                continue
    return out


def update_stories(
    store: IndexStore,
    new_docs: np.ndarray,
    new_records: Sequence[Record],
    *,
    keep: bool,
    clusterer: StoryClusterer,
    engine: Engine,
    links: LinkFinder,
) -> dict[str, int]:
    """Inside an add's transaction: group every stored document by the batch path (the
    first time ``keep`` is asked, and whenever the index has grown :data:`REFIT_GROWTH`-fold
    since the last fit), or else place the new ones. ``links`` gives the ids of the pairs
    that share a reused passage, each with a new record. Returns counts."""
    connection = store.connection
    if not keeps_stories(connection) and not keep:
        return {}
    if not keeps_stories(connection) or store.n_documents() >= REFIT_GROWTH * max(
        fitted_on(connection), 1
    ):
        return fit_all(store, clusterer, engine)
    return {"stories_placed": place_new(store, new_docs, new_records, clusterer, links)}


def fit_all(store: IndexStore, clusterer: StoryClusterer, engine: Engine) -> dict[str, int]:
    """Group every stored document by the batch path and fit the vocabulary (the fit)."""
    from dedup.jobs import stories as batch_stories

    connection = store.connection
    docs = [int(d) for (d,) in connection.execute("SELECT doc FROM documents ORDER BY id")]
    records = [d.record for d in store.documents(docs)]
    doc_of = {r.id: d for r, d in zip(records, docs)}
    story_of: dict[str, int] = {}
    event_of: dict[str, int] = {}
    if records:
        result = batch_stories(records, store.config, clusterer=clusterer, workers=engine)
        for number, story in enumerate(result.stories):
            story_of.update(dict.fromkeys(story.members, number))
        for event in result.events:
            event_of.update(dict.fromkeys(event.members, int(event.id[1:]) - 1))
    # a document the batch left out (nothing left after cleaning) is a story alone
    next_story, next_event = len(set(story_of.values())), len(set(event_of.values()))
    for record in records:
        if record.id not in story_of:
            story_of[record.id], event_of[record.id] = next_story, next_event
            next_story, next_event = next_story + 1, next_event + 1
    title_weight = clusterer.get_params()["title_weight"]
    texts = [text_of(r, title_weight) for r in records]
    # the templates learnt as the clusterer learns them, taken out of the stored vectors
    # and, later, out of each placed article (so that a frame ties no new brief to old ones)
    templates = Templates()
    if clusterer.get_params()["learn_templates"]:
        outlets = [r.outlet for r in records]
        templates = learn_templates(texts, outlets, day_numbers([r.date for r in records]))
        texts = apply_templates(texts, outlets, templates)[0]
    vocabulary = fit_vocabulary(texts, clusterer)
    delete_rows(connection, docs)
    write_vocabulary(connection, vocabulary, len(records))
    write_templates(
        connection, {o: (templates.runs[o], templates.words[o]) for o in templates.words}
    )
    write_rows(
        connection,
        np.array([doc_of[r.id] for r in records], dtype=np.int64),
        np.array([story_of[r.id] for r in records], dtype=np.int64),
        np.array([event_of[r.id] for r in records], dtype=np.int64),
        vectorize(texts, vocabulary, clusterer),
    )
    return {"stories_fitted": len(records)}


def place_new(
    store: IndexStore,
    new_docs: np.ndarray,
    new_records: Sequence[Record],
    clusterer: StoryClusterer,
    links: LinkFinder,
) -> int:
    """Place the new documents among the stored stories; return how many were placed."""
    if len(new_records) == 0:
        return 0
    connection = store.connection
    vocabulary = read_vocabulary(connection)
    stored, facts, stored_dates = read_rows(connection, len(vocabulary.terms))
    order = sorted(range(len(new_records)), key=lambda k: new_records[k].id)
    records = [new_records[k] for k in order]
    docs = np.asarray(new_docs, dtype=np.int64)[order]
    title_weight = clusterer.get_params()["title_weight"]
    stored_templates = read_templates(connection)
    templates = Templates(
        {o: runs for o, (runs, _) in stored_templates.items()},
        {o: words for o, (_, words) in stored_templates.items()},
    )
    texts = apply_templates(
        [text_of(r, title_weight) for r in records], [r.outlet for r in records], templates
    )[0]
    new_vectors = vectorize(texts, vocabulary, clusterer)
    vectors = sp.vstack([stored.vectors, new_vectors], format="csr")
    days = day_numbers([*stored_dates, *(r.date for r in records)])
    settings = graph_settings(clusterer)
    row_of = {doc_id: k for k, (doc_id, _, _) in enumerate(facts)}
    row_of.update({r.id: len(facts) + k for k, r in enumerate(records)})
    pairs = np.array(
        [(row_of[a], row_of[b]) for a, b in links(records) if a in row_of and b in row_of],
        dtype=np.int64,
    ).reshape(-1, 2)
    graph = placement_graph(vectors, len(stored.docs), days, settings, pairs)
    random_state = check_random_state(clusterer.get_params()["random_state"])
    stories = place_stories(graph, stored.stories, settings, random_state, None, vectors, days)
    events = place_events(graph, stories, stored.events, days, settings, random_state)
    n_old = len(stored.docs)
    write_rows(connection, docs, stories[n_old:], events[n_old:], new_vectors)
    return len(records)


def read_index_stories(index: str | Path) -> StoriesResult:
    """The stories the index at ``index`` keeps (one read snapshot)."""
    from dedup.jobs import story_clusterer

    with IndexStore.open(index, readonly=True) as store, store.reading():
        return index_stories(store, story_clusterer(store.config), store.config)


def index_stories(store: IndexStore, clusterer: StoryClusterer, config: Config) -> StoriesResult:
    """The stories the index keeps, as ``dedup stories`` gives them (ids in canonical order:
    by earliest date, then smallest member id)."""
    connection = store.connection
    if not keeps_stories(connection):
        raise IndexFormatError(
            f"{store.path}: this index keeps no stories (add documents with --stories once)"
        )
    vocabulary = read_vocabulary(connection)
    stored, facts, _ = read_rows(connection, len(vocabulary.terms))
    records = [Record(id=i, text="", title=t, date=d) for i, t, d in facts]
    stories, events = story_groups(records, stored, vocabulary)
    counts = {
        "documents": len(records),
        "rejected": 0,
        "stories": len(stories),
        "stories_with_several_documents": sum(1 for s in stories if len(s.members) > 1),
        "events": len(events),
        "template_words": 0,
        "passage_links": 0,
    }
    return StoriesResult(config, clusterer, tuple(stories), (), counts)


def story_groups(
    records: Sequence[Record], stored: StoredStories, vocabulary: Vocabulary, n_terms: int = 5
) -> tuple[list[StoryGroup], list[EventGroup]]:
    """Stories (each holding its events) and events, numbered in canonical order."""
    groups = ordered_groups(records, stored.stories)
    story_of = numbered(groups, len(records))
    event_groups = ordered_groups(records, stored.events)
    event_of = numbered(event_groups, len(records))
    terms = np.asarray(vocabulary.terms, dtype=object)
    story_terms = group_terms(story_of, len(groups), stored.vectors, terms, n_terms)
    event_terms = group_terms(event_of, len(event_groups), stored.vectors, terms, n_terms)
    return nested_groups(records, groups, event_groups, story_of, story_terms, event_terms)
