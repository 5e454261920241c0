"""Shuffled words inside sentences in the persistent index (issue #20): what ``dedup index``
keeps of each document for the sentence-bag route of :mod:`dedup.bags`, and how a query
finds the stored documents to look in.

Two tables (format version 4; their schema is :data:`dedup.store.BAG_SCHEMA`):

* ``bag_counts(bucket, count)``: the words of ``ANCHOR_MIN_CHARS`` characters or more of
  every stored document by hash bucket, the counts a word's rarity comes from (as in a
  scan of the whole corpus);
* ``bag_keys(word, doc, total, length)``: for each sentence of ``BAG_MIN_WORDS`` to
  ``BAG_MAX_WORDS`` words of a stored document that has an anchor (its rarest word, by the
  counts as they were when it was added), the anchor, the sum of its word hashes (its bag
  key, the same in any order) and its length. An index on ``doc`` lets a document's rows go
  when it is removed or replaced.

A query looks up the rows of every distinct long word of its new documents and keeps the
stored documents with a row whose bag a run of ``length`` words around that word in a new
document holds (:func:`bag_candidates`): a stored sentence whose words a new document
shuffled, or a new sentence stored with its words shuffled and cut into the same sentence.
Those documents join the query's small corpus, and the route runs there with each word's
rarity from the index's counts and the new documents' (:func:`query_bag_passages`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import numpy as np

from dedup.bags import (
    _BUCKETS,
    ANCHOR_MAX_COUNT,
    ANCHOR_MIN_CHARS,
    BAG_MAX_WORDS,
    BAG_MIN_WORDS,
    bag_hits,
    hit_passages,
)
from dedup.kernels import njit
from dedup.sentences import corpus_sentences
from dedup.shingle import Tokens
from dedup.spilled_bags import _sentences_kernel
from dedup.store import READY

_CHUNK = 900


def _int64(values: np.ndarray) -> list[int]:
    return np.ascontiguousarray(values, dtype=np.uint64).view(np.int64).tolist()


def long_buckets(tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
    """The buckets of the long words of ``tokens`` and how many of each (both int64)."""
    long_words = (tokens.ends - tokens.starts) >= ANCHOR_MIN_CHARS
    buckets = (tokens.hashes[long_words] & np.uint64(_BUCKETS - 1)).astype(np.int64)
    return np.unique(buckets, return_counts=True)


def stored_counts(connection: sqlite3.Connection, buckets: np.ndarray) -> np.ndarray:
    """The index's count of each of ``buckets`` (0 where none)."""
    found: dict[int, int] = {}
    listed = buckets.tolist()
    for first in range(0, len(listed), _CHUNK):
        chunk = listed[first : first + _CHUNK]
        marks = ",".join("?" * len(chunk))
        found.update(
            connection.execute(
                f"SELECT bucket, count FROM bag_counts WHERE bucket IN ({marks})", chunk
            ).fetchall()
        )
    return np.array([found.get(b, 0) for b in listed], dtype=np.int64)


def rarity_of(tokens: Tokens, buckets: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Each word's rarity (:func:`dedup.bags._rarity_kernel`) with the counts ``counts`` of
    ``buckets`` (sorted; every long word's bucket among them)."""
    long_words = (tokens.ends - tokens.starts) >= ANCHOR_MIN_CHARS
    at = np.searchsorted(buckets, (tokens.hashes & np.uint64(_BUCKETS - 1)).astype(np.int64))
    count = counts[np.minimum(at, len(counts) - 1)] if len(counts) else np.zeros(len(at), int)
    usable = long_words & (count <= ANCHOR_MAX_COUNT)
    return np.where(usable, count, 0).astype(np.uint8)


def add_bags(
    connection: sqlite3.Connection,
    docs: np.ndarray,
    texts: Sequence[str],
    tokens: Tokens,
    sign: int = 1,
) -> int:
    """Write (``sign`` 1) the bag rows of the documents ``docs`` (their ``texts`` and
    words ``tokens``) and add their long words to the counts, or (``sign`` -1) take their
    counts away and delete their rows. Returns the rows written."""
    buckets, counts = long_buckets(tokens)
    connection.executemany(
        "INSERT INTO bag_counts VALUES (?, ?) "
        "ON CONFLICT (bucket) DO UPDATE SET count = count + excluded.count",
        zip(buckets.tolist(), (sign * counts).tolist()),
    )
    if sign < 0:
        connection.executemany("DELETE FROM bag_keys WHERE doc = ?", ((int(d),) for d in docs))
        connection.execute("DELETE FROM bag_counts WHERE count <= 0")
        return 0
    rarity = rarity_of(tokens, buckets, stored_counts(connection, buckets))
    starts, _ = corpus_sentences(list(texts), tokens)
    found = _sentences_kernel(
        tokens.hashes, rarity, starts, tokens.doc_ptr, BAG_MIN_WORDS, BAG_MAX_WORDS
    )
    anchor, _, _, total, _, _, n, doc = found
    rows = zip(_int64(anchor), docs[doc].tolist(), _int64(total), n.tolist())
    connection.executemany("INSERT OR IGNORE INTO bag_keys VALUES (?, ?, ?, ?)", rows)
    return len(anchor)


def bags_ready(connection: sqlite3.Connection) -> bool:
    """Whether every stored document has its bag rows."""
    found = connection.execute("SELECT value FROM meta WHERE name = ?", (READY,)).fetchone()
    return found is not None


def mark_ready(connection: sqlite3.Connection) -> None:
    connection.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (READY, "1"))


def bag_candidates(connection: sqlite3.Connection, tokens: Tokens) -> np.ndarray:
    """The stored documents (``doc``, increasing) with a sentence whose bag of words a run
    of as many words of one of the documents ``tokens`` holds, around the sentence's
    anchor."""
    long_words = (tokens.ends - tokens.starts) >= ANCHOR_MIN_CHARS
    words = np.unique(tokens.hashes[long_words])
    found: list[tuple[int, int, int, int]] = []
    listed = _int64(words)
    for first in range(0, len(listed), _CHUNK):
        chunk = listed[first : first + _CHUNK]
        marks = ",".join("?" * len(chunk))
        found += connection.execute(
            f"SELECT word, doc, total, length FROM bag_keys WHERE word IN ({marks})", chunk
        ).fetchall()
    if not found:
        return np.zeros(0, dtype=np.int64)
    rows = np.array(found, dtype=np.int64)
    order = np.argsort(tokens.hashes, kind="stable")
    held = _held_kernel(
        tokens.hashes,
        tokens.doc_ptr,
        order,
        tokens.hashes[order],
        rows[:, 0].view(np.uint64),
        rows[:, 2].view(np.uint64),
        rows[:, 3],
    )
    return np.unique(rows[held, 1])


@njit(cache=True, nogil=True, boundscheck=False)
def _held_kernel(hashes, doc_ptr, order, sorted_hashes, word, total, length):  # pragma: no cover
    """Whether a run of ``length[r]`` words of one document, holding an occurrence of
    ``word[r]``, sums to ``total[r]``, for each row ``r``."""
    held = np.zeros(len(word), dtype=np.bool_)
    prefix = np.zeros(len(hashes) + 1, dtype=np.uint64)
    for k in range(len(hashes)):
        prefix[k + 1] = prefix[k] + hashes[k]
    for r in range(len(word)):
        n = length[r]
        at = np.searchsorted(sorted_hashes, word[r])
        while at < len(sorted_hashes) and sorted_hashes[at] == word[r] and not held[r]:
            p = order[at]
            d = np.searchsorted(doc_ptr, p, side="right") - 1
            for j in range(max(doc_ptr[d], p - n + 1), min(p, doc_ptr[d + 1] - n) + 1):
                if prefix[j + n] - prefix[j] == total[r]:
                    held[r] = True
                    break
            at += 1
    return held


def query_bag_passages(
    connection: sqlite3.Connection | None,
    texts: Sequence[str],
    tokens: Tokens,
    new_at: np.ndarray,
    min_sentences: int,
) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
    """:func:`dedup.bags.bag_passages` of a query's corpus (``texts``, ``tokens``), each
    word's rarity counted over the index (``connection``; None when it keeps no counts)
    and the query's new documents (``new_at``): the passages of the pairs with a new
    document."""
    if min_sentences <= 0 or not len(texts):
        return {}
    is_new = np.zeros(len(texts), dtype=bool)
    is_new[new_at] = True
    buckets, counts = long_buckets(tokens)
    if connection is not None:
        # the index's counts hold the stored documents of the corpus; the new ones' are added
        on_new = np.repeat(is_new, np.diff(tokens.doc_ptr))
        long_new = on_new & ((tokens.ends - tokens.starts) >= ANCHOR_MIN_CHARS)
        new_buckets = (tokens.hashes[long_new] & np.uint64(_BUCKETS - 1)).astype(np.int64)
        counts = stored_counts(connection, buckets)
        np.add.at(counts, np.searchsorted(buckets, new_buckets), 1)
    rarity = rarity_of(tokens, buckets, counts)
    starts, ptr = corpus_sentences(list(texts), tokens)
    hits = bag_hits(
        tokens.hashes, tokens.ends - tokens.starts, tokens.doc_ptr, starts, ptr, rarity=rarity
    )
    found = hit_passages(hits, tokens.doc_ptr, min_sentences)
    return {pair: rows for pair, rows in found.items() if is_new[pair[0]] or is_new[pair[1]]}
