"""The stories an index keeps: tables of the index file (:mod:`dedup.store`) holding each
document's story, event and TF-IDF vector, and the vocabulary with its idf.

Nothing here computes a vector or a story (:mod:`dedup.index_stories` does); these functions
only write and read them, inside the caller's transaction.

Tables:

* ``story_docs(doc, story, event, terms, weights)``: ``doc`` as in ``documents``; ``story``
  and ``event`` are integer keys, stable while the index lives (the ids ``s1``, ``e1``, …
  are given when the stories are written out); ``terms`` (int32) and ``weights`` (float32)
  the document's L2-normalised TF-IDF vector under the stored vocabulary, as bytes;
* ``story_terms(col, term, idf)``: the vocabulary, column by column;
* ``story_templates(outlet, runs, words)``: the templates learnt at the last fit
  (:mod:`dedup.templates`), one row per outlet (``outlet`` NULL for records without one):
  its template runs' keys and its template words' ids, each sorted uint64 as bytes; made
  at the first fit that learns them (an index fitted before has none, and places without);
* ``meta`` rows ``stories`` (``"on"`` once the index keeps stories) and
  ``stories_fitted_on`` (the number of documents the vocabulary was fitted on).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

SCHEMA = """
CREATE TABLE IF NOT EXISTS story_docs (
    doc INTEGER PRIMARY KEY,
    story INTEGER NOT NULL,
    event INTEGER NOT NULL,
    terms BLOB NOT NULL,
    weights BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS story_terms (
    col INTEGER PRIMARY KEY, term TEXT NOT NULL, idf REAL NOT NULL
);
"""
TEMPLATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS story_templates (
    outlet TEXT, runs BLOB NOT NULL, words BLOB NOT NULL
)
"""

#: Each outlet's template runs and template words (sorted uint64 arrays).
OutletTemplates = dict[str | None, tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Terms (column order) and their idf."""

    terms: tuple[str, ...]
    idf: np.ndarray


@dataclass(frozen=True, slots=True)
class StoredStories:
    """What the index keeps of its stories, in order of document id.

    Attributes
    ----------
    docs, stories, events : ndarray of int64, shape (n_docs,)
    vectors : csr_matrix of float32, shape (n_docs, n_terms)
    """

    docs: np.ndarray
    stories: np.ndarray
    events: np.ndarray
    vectors: sp.csr_matrix


def keeps_stories(connection: sqlite3.Connection) -> bool:
    """Whether the index keeps stories (its ``meta`` says so)."""
    row = connection.execute("SELECT value FROM meta WHERE name = 'stories'").fetchone()
    return row is not None and row[0] == "on"


def fitted_on(connection: sqlite3.Connection) -> int:
    """Documents the vocabulary was fitted on (0: never)."""
    row = connection.execute("SELECT value FROM meta WHERE name = 'stories_fitted_on'").fetchone()
    return int(row[0]) if row else 0


def write_vocabulary(connection: sqlite3.Connection, vocabulary: Vocabulary, n_docs: int) -> None:
    """Replace the vocabulary (fitted on ``n_docs`` documents) and mark stories kept."""
    connection.execute("DELETE FROM story_terms")
    connection.executemany(
        "INSERT INTO story_terms VALUES (?, ?, ?)",
        zip(range(len(vocabulary.terms)), vocabulary.terms, vocabulary.idf.tolist()),
    )
    connection.executemany(
        "INSERT OR REPLACE INTO meta VALUES (?, ?)",
        [("stories", "on"), ("stories_fitted_on", str(n_docs))],
    )


def write_templates(connection: sqlite3.Connection, templates: OutletTemplates) -> None:
    """Replace the stored templates with ``templates``."""
    connection.execute(TEMPLATE_SCHEMA)
    connection.execute("DELETE FROM story_templates")
    connection.executemany(
        "INSERT INTO story_templates VALUES (?, ?, ?)",
        [
            (outlet, runs.astype(np.uint64).tobytes(), words.astype(np.uint64).tobytes())
            for outlet, (runs, words) in templates.items()
        ],
    )


def read_templates(connection: sqlite3.Connection) -> OutletTemplates:
    """The stored templates (none when the index was fitted before templates were kept)."""
    found = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'story_templates'"
    ).fetchone()
    if found is None:
        return {}
    return {
        outlet: (np.frombuffer(runs, dtype=np.uint64), np.frombuffer(words, dtype=np.uint64))
        for outlet, runs, words in connection.execute(
            "SELECT outlet, runs, words FROM story_templates ORDER BY rowid"
        )
    }


def read_vocabulary(connection: sqlite3.Connection) -> Vocabulary:
    rows = connection.execute("SELECT term, idf FROM story_terms ORDER BY col").fetchall()
    return Vocabulary(tuple(t for t, _ in rows), np.array([i for _, i in rows], dtype=np.float64))


def write_rows(
    connection: sqlite3.Connection,
    docs: np.ndarray,
    stories: np.ndarray,
    events: np.ndarray,
    vectors: sp.csr_matrix,
) -> None:
    """Insert or replace the story rows of ``docs`` (row ``k`` of ``vectors`` is ``docs[k]``)."""
    vectors = sp.csr_matrix(vectors, dtype=np.float32)
    vectors.sort_indices()
    rows = []
    for k, doc in enumerate(np.asarray(docs).tolist()):
        low, high = vectors.indptr[k], vectors.indptr[k + 1]
        rows.append(
            (
                int(doc),
                int(stories[k]),
                int(events[k]),
                vectors.indices[low:high].astype(np.int32).tobytes(),
                vectors.data[low:high].astype(np.float32).tobytes(),
            )
        )
    connection.executemany("INSERT OR REPLACE INTO story_docs VALUES (?, ?, ?, ?, ?)", rows)


def delete_rows(connection: sqlite3.Connection, docs: Sequence[int]) -> None:
    connection.executemany("DELETE FROM story_docs WHERE doc = ?", ((int(d),) for d in docs))


def read_rows(
    connection: sqlite3.Connection, n_terms: int
) -> tuple[StoredStories, list[tuple[str, str | None, str | None]], list[str | None]]:
    """Every story row in order of document id (so the order the documents were added in
    plays no part), each document's ``(id, title, date)``, and its date."""
    docs, stories, events, lengths = [], [], [], []
    facts: list[tuple[str, str | None, str | None]] = []
    indices: list[np.ndarray] = []
    data: list[np.ndarray] = []
    for doc, story, event, terms, weights, doc_id, title, date in connection.execute(
        "SELECT s.doc, s.story, s.event, s.terms, s.weights, d.id, d.title, d.date "
        "FROM story_docs s JOIN documents d ON d.doc = s.doc ORDER BY d.id"
    ):
        docs.append(doc)
        stories.append(story)
        events.append(event)
        facts.append((doc_id, title, date))
        indices.append(np.frombuffer(terms, dtype=np.int32))
        data.append(np.frombuffer(weights, dtype=np.float32))
        lengths.append(len(indices[-1]))
    indptr = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    vectors = sp.csr_matrix(
        (
            np.concatenate(data) if data else np.zeros(0, dtype=np.float32),
            np.concatenate(indices) if indices else np.zeros(0, dtype=np.int32),
            indptr,
        ),
        shape=(len(docs), n_terms),
        dtype=np.float32,
    )
    stored = StoredStories(
        np.array(docs, dtype=np.int64),
        np.array(stories, dtype=np.int64),
        np.array(events, dtype=np.int64),
        vectors,
    )
    return stored, facts, [date for _, _, date in facts]
