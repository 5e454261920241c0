"""The persistent index: add documents once, query new ones against them, remove, describe. The
query runs scan's candidates, verify and assemble stages against the stored corpus.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dedup.assemble import DocTable
from dedup.candidates import hit_candidates
from dedup.config import Config
from dedup.faults import fault_point
from dedup.index_bags import add_bags, bag_candidates, bags_ready, mark_ready, query_bag_passages
from dedup.lsh import band_keys, candidate_pairs
from dedup.parallel import Engine, resolve_engine
from dedup.passage_keys import PassageKeys, passage_hits, winnow
from dedup.prepare import as_records, prepare_records
from dedup.stages import lap
from dedup.store import DocumentRows, IndexStore
from dedup.types import (
    ProgressFn,
    Record,
    Reject,
    ScanResult,
    StoriesResult,
)
from dedup.verify import CorpusWords, verify_candidates
from dedup.words import Shingled, shingle_corpus, signatures_stage, words_stage
from dedup.workspace import Workspace, input_digest


@dataclass(frozen=True)
class IndexAddResult:
    """What ``index_add`` did: ids added new, replaced (other text or metadata), left as
    they were (same text and metadata), and records skipped."""

    path: str
    added: tuple[str, ...]
    replaced: tuple[str, ...]
    unchanged: tuple[str, ...]
    rejects: tuple[Reject, ...]
    counts: dict[str, int]


@dataclass(frozen=True)
class IndexRemoveResult:
    """Ids removed from the index, and ids asked for that it does not hold."""

    path: str
    removed: tuple[str, ...]
    unknown: tuple[str, ...]


def index_settings(index: str | Path) -> Config | None:
    """The settings an existing index was built with, or None if there is no index."""
    if not Path(index).is_file():
        return None
    with IndexStore.open(index, readonly=True) as store:
        return store.config


def index_rows(
    docs: Sequence[Record], config: Config, engine: Engine
) -> tuple[DocumentRows, np.ndarray, Shingled]:
    """Keys, signatures and digests of the documents that have words, and which those are
    (positions in ``docs``)."""
    shingled, kept = words_stage(
        list(docs), config, Workspace(None, config_digest="", input_digest=""), None, engine
    )
    kept_docs = [docs[i] for i in kept.tolist()]
    signatures = signatures_stage(shingled, config, engine)
    keys = winnow(shingled.shingles, shingled.shingle_ptr, config.passage_window)
    assert config.bands is not None and config.rows is not None  # set by Config
    rows = DocumentRows(
        records=kept_docs,
        digests=[input_digest([r]) for r in kept_docs],
        words=np.diff(shingled.tokens.doc_ptr),
        signatures=signatures,
        band_keys=band_keys(signatures, config.bands, config.rows),
        passage_values=keys.values,
        passage_positions=keys.positions,
        passage_ptr=keys.key_ptr,
    )
    return rows, kept, shingled


def _no_words(docs: Sequence[Record], kept: np.ndarray) -> list[Reject]:
    kept_set = set(kept.tolist())
    return [
        Reject(r.source or r.id, "no words", r.id) for k, r in enumerate(docs) if k not in kept_set
    ]


def index_add(
    index: str | Path,
    records: Iterable[Record],
    config: Config | None = None,
    *,
    workers: int | Engine = 1,
    stories: bool = False,
) -> IndexAddResult:
    """Add documents to the index at ``index`` (created with ``config`` if there is none).

    The whole call is one transaction: if the process dies, the index holds all of these
    records or none. A record whose id the index holds with the same text and metadata is
    left alone; with another text or metadata it replaces the stored one. A record without
    words is skipped (and a stored document of that id stays). ``config`` must agree with
    the index's key settings (IndexFormatError names the first that differs); None uses the
    index's settings.

    ``stories`` makes the index keep stories from now on (:mod:`dedup.index_stories`): the
    first time, every stored document is grouped; then every add places its new documents
    into the stories and events (or starts new ones), in the same transaction.
    """
    with IndexStore.create_or_open(index, config or Config()) as store:
        if config is not None:
            store.check_config(config)
        with store.writing():
            return _add(store, records, resolve_engine(workers), stories)


def _add(
    store: IndexStore, records: Iterable[Record], engine: Engine, stories: bool = False
) -> IndexAddResult:
    """:func:`index_add` inside a write transaction of ``store``."""
    from dedup.story_store import delete_rows, keeps_stories

    config = store.config
    docs, rejects = prepare_records(records)
    n_read = len(docs) + len(rejects)
    existing = store.digests(r.id for r in docs)
    unchanged = [r.id for r in docs if r.id in existing and existing[r.id][1] == input_digest([r])]
    skip = set(unchanged)
    todo = [r for r in docs if r.id not in skip]
    rows, kept, shingled = index_rows(todo, config, engine)
    rejects += _no_words(todo, kept)
    replaced = [r.id for r in rows.records if r.id in existing]
    if not bags_ready(store.connection):  # an index of an older version: its bag rows first
        _add_stored_bags(store, engine)
    if replaced:
        old_docs = np.array([existing[i][0] for i in replaced], dtype=np.int64)
        old = store.documents(old_docs.tolist())
        old_rows, _, old_words = index_rows([d.record for d in old], config, engine)
        store.delete(old_docs, old_rows)
        add_bags(store.connection, old_docs, [], old_words.tokens, sign=-1)
        delete_rows(store.connection, old_docs.tolist())
    new_docs = store.insert(rows)
    add_bags(store.connection, new_docs, [r.text for r in rows.records], shingled.tokens)
    story_counts: dict[str, int] = {}
    if stories or keeps_stories(store.connection):
        from dedup.index_stories import update_stories
        from dedup.jobs import story_clusterer

        def passage_links(new: Sequence[Record]) -> list[tuple[str, str]]:
            # the index as last committed: documents added earlier in this transaction
            # are not linked
            return [(p.a, p.b) for p in index_query(store.path, new, config).pairs]

        story_counts = update_stories(
            store, new_docs, rows.records, keep=stories, clusterer=story_clusterer(config),
            engine=engine, links=passage_links,
        )  # fmt: skip
    fault_point("index:commit", store.path)  # all written, not yet committed
    total = store.n_documents()
    added = tuple(r.id for r in rows.records if r.id not in existing)
    counts = {
        "read": n_read,
        "added": len(added),
        "replaced": len(replaced),
        "unchanged": len(unchanged),
        "rejected": len(rejects),
        "documents_in_index": total,
        "passage_keys_written": len(rows.passage_values),
        "characters_written": sum(len(r.text) for r in rows.records),
        **story_counts,
    }
    return IndexAddResult(
        str(store.path), added, tuple(replaced), tuple(unchanged), tuple(rejects), counts
    )


def _add_stored_bags(store: IndexStore, engine: Engine, chunk: int = 2000) -> None:
    """The bag rows and counts of every stored document (:mod:`dedup.index_bags`), for an
    index migrated from a version without them."""
    docs = [int(d) for (d,) in store.connection.execute("SELECT doc FROM documents ORDER BY doc")]
    for first in range(0, len(docs), chunk):
        stored = store.documents(docs[first : first + chunk])
        records = [d.record for d in stored]
        _, _, shingled = index_rows(records, store.config, engine)
        numbers = np.array([d.doc for d in stored], dtype=np.int64)
        add_bags(store.connection, numbers, [r.text for r in records], shingled.tokens)
    mark_ready(store.connection)


def index_remove(index: str | Path, ids: Iterable[str]) -> IndexRemoveResult:
    """Remove documents by id, with their keys, in one transaction; unknown ids are
    reported, not an error."""
    with IndexStore.open(index) as store, store.writing():
        return _remove(store, ids)


def _remove(store: IndexStore, ids: Iterable[str]) -> IndexRemoveResult:
    """:func:`index_remove` inside a write transaction of ``store``."""
    from dedup.story_store import delete_rows

    wanted = sorted(set(ids))
    existing = store.digests(wanted)
    found = [i for i in wanted if i in existing]
    docs = np.array([existing[i][0] for i in found], dtype=np.int64)
    stored = store.documents(docs.tolist())
    rows, _, words = index_rows([d.record for d in stored], store.config, resolve_engine(1))
    store.delete(docs, rows)
    if bags_ready(store.connection):
        add_bags(store.connection, docs, [], words.tokens, sign=-1)
    delete_rows(store.connection, docs.tolist())
    return IndexRemoveResult(
        str(store.path), tuple(found), tuple(i for i in wanted if i not in existing)
    )


def index_info(index: str | Path) -> dict:
    """Counts, settings and bytes on disk of an index."""
    with IndexStore.open(index, readonly=True) as store, store.reading():
        return store.info()


def index_query(
    index: str | Path,
    records: Iterable[Record],
    config: Config | None = None,
    *,
    progress: ProgressFn | None = None,
    workers: int | Engine = 1,
) -> ScanResult:
    """What each new document shares with the indexed documents and with the other new ones.

    Equal to a ``scan`` of the index and the new documents together, restricted to what
    involves a new document: the same candidates (document LSH bands and two-hit passage
    keys, a key in more than ``common_limit`` of all those documents linking nothing), the
    same verification and alignment, so every pair with a new document carries the same
    measures and passage offsets. Passage clusters are built from those alignments only, so
    a cluster's witnesses are the ones reached through a new document. ``documents`` lists
    the new documents. An indexed document with the id of a new one is left out (the new
    text stands for it). The index is read in one snapshot, so a writer adding meanwhile is
    either wholly seen or not at all.

    ``config`` must agree with the index's key settings; None uses the index's settings.
    """
    config_given = config
    engine = resolve_engine(workers)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    docs, rejects = prepare_records(records)
    with IndexStore.open(index, readonly=True) as store:
        if config_given is not None:
            store.check_config(config_given)
        config = config_given or store.config
        with store.reading():
            new_rows, kept, new_shingled = index_rows(docs, config, engine)
            rejects += _no_words(docs, kept)
            docs = list(new_rows.records)
            n_new = len(docs)
            same_id = {doc for doc, _ in store.digests(r.id for r in docs).values()}
            n_total = store.n_documents() - len(same_id) + n_new
            limit = config.common_limit(n_total)
            seconds["words"], clock = lap(clock)

            band_rows, band_docs = store.band_matches(new_rows.band_keys)
            keep = ~np.isin(band_docs, list(same_id))
            band_rows, band_docs = band_rows[keep], band_docs[keep]
            values, post_docs, positions = store.passage_postings(new_rows.passage_values)
            keep = ~np.isin(post_docs, list(same_id))
            values, post_docs, positions = values[keep], post_docs[keep], positions[keep]
            passage, common_keys = query_passage_candidates(
                new_rows, values, post_docs, positions, limit, config
            )
            seconds["candidates"], clock = lap(clock)

            # the indexed documents to verify against: LSH and passage candidates, and
            # those with a sentence whose words a new document holds shuffled
            bags = config.min_shuffled_sentences > 0 and bags_ready(store.connection)
            no_docs = np.zeros(0, dtype=np.int64)
            bag_docs = bag_candidates(store.connection, new_shingled.tokens) if bags else no_docs
            bag_docs = np.setdiff1d(bag_docs, list(same_id))
            needed = np.unique(np.concatenate([band_docs, passage.indexed_docs, bag_docs]))
            stored = store.documents(needed.astype(np.int64).tolist())
            # one small corpus of the new and the candidate documents, in id order as scan
            # has it
            local_of_new = {r.id: r for r in docs}
            everyone = sorted(docs + [d.record for d in stored], key=lambda r: r.id)
            position = {r.id: k for k, r in enumerate(everyone)}
            new_at = np.array([position[r.id] for r in docs], dtype=np.int64)
            stored_at = {d.doc: position[d.record.id] for d in stored}
            texts = [r.text for r in everyone]
            shingled = shingle_corpus(texts, config.shingle_size, workers=engine)
            shuffled = query_bag_passages(
                store.connection if bags else None, texts, shingled.tokens, new_at,
                config.min_shuffled_sentences,
            )  # fmt: skip

    def to_local(first: np.ndarray, second: np.ndarray) -> set[tuple[int, int]]:
        low, high = np.minimum(first, second), np.maximum(first, second)
        return set(zip(low.tolist(), high.tolist()))

    lsh = to_local(
        new_at[band_rows],
        np.array([stored_at[d] for d in band_docs.tolist()], dtype=np.int64).reshape(-1),
    )
    among_new = candidate_pairs(new_rows.band_keys)
    lsh |= to_local(new_at[among_new[:, 0]], new_at[among_new[:, 1]])
    # stored documents whose keys gave no candidate pair are not loaded (-1: never used)
    combined_at = np.concatenate(
        [
            new_at,
            np.array([stored_at.get(d, -1) for d in passage.stored_docs.tolist()], dtype=np.int64),
        ]
    )
    passage_pairs = to_local(combined_at[passage.pairs[:, 0]], combined_at[passage.pairs[:, 1]])
    found, clock = verify_candidates(
        CorpusWords(shingled),
        DocTable.of(everyone, shingled.tokens),
        sorted(lsh),
        passage_pairs,
        sorted(new_at[passage.self_docs].tolist()),
        config,
        progress=progress,
        work=None,
        engine=engine,
        seconds=seconds,
        clock=clock,
        shuffled=shuffled,
    )
    documents = [d for d in found.documents if d.id in local_of_new]
    words = np.diff(shingled.tokens.doc_ptr)
    new_words = words[new_at] if n_new else np.zeros(0, dtype=np.int64)
    counts = {
        "documents": n_new,
        "rejected": len(rejects),
        "words": int(new_words.sum()),
        "characters": sum(len(r.text) for r in docs),
        "indexed_documents": n_total - n_new,
        "candidate_documents": len(stored),
        **dataclasses.replace(found, documents=documents).counts(
            len(lsh), len(passage_pairs), len(passage.self_docs), common_keys
        ),
    }
    return ScanResult(
        config,
        tuple(documents),
        tuple(found.pairs),
        tuple(found.passages),
        tuple(rejects),
        new_rows.signatures,
        counts,
        seconds,
    )


@dataclass(frozen=True, slots=True)
class _QueryPassages:
    """Passage candidates of a query, in the space ``[new documents…, stored_docs…]``."""

    pairs: np.ndarray
    self_docs: np.ndarray
    stored_docs: np.ndarray
    indexed_docs: np.ndarray


def query_passage_candidates(
    new_rows: DocumentRows,
    values: np.ndarray,
    post_docs: np.ndarray,
    positions: np.ndarray,
    limit: int,
    config: Config,
) -> tuple[_QueryPassages, int]:
    """Two-hit passage candidates between the new documents and the stored postings of
    their keys, with :func:`dedup.candidates.hit_candidates` itself (the scan's rule).

    Every stored occurrence of every key of a new document is in ``values``, so a key's
    document frequency here is the one it has in the index and the new documents together,
    and every hit that involves a new document is here. Returns the candidates and the
    number of the new documents' distinct keys found too common.
    """
    n_new = len(new_rows.records)
    new_doc_of = np.repeat(np.arange(n_new, dtype=np.int64), np.diff(new_rows.passage_ptr))
    stored_docs, local = np.unique(post_docs, return_inverse=True)
    all_values = np.concatenate([new_rows.passage_values, values]).astype(np.uint64)
    all_docs = np.concatenate([new_doc_of, n_new + local.astype(np.int64)])
    all_positions = np.concatenate([new_rows.passage_positions, positions]).astype(np.int64)
    n_docs = n_new + len(stored_docs)
    key_ptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(all_docs, minlength=n_docs), out=key_ptr[1:])
    keys = PassageKeys(all_values, all_positions, key_ptr)  # (doc, position) order, as winnow's
    found = hit_candidates(
        passage_hits(keys, limit),
        n_docs,
        config.two_hit_distance,
        config.max_gap_words,
        config.fragment_hits,
    )
    with_new = found.pairs[found.pairs[:, 0] < n_new] if len(found.pairs) else found.pairs
    with_new = with_new.reshape(-1, 2)
    involved = np.unique(with_new[with_new >= n_new]) - n_new
    return (
        _QueryPassages(
            pairs=with_new,
            self_docs=found.self_docs[found.self_docs < n_new],
            stored_docs=stored_docs,
            indexed_docs=stored_docs[involved],
        ),
        found.common_keys,
    )


def write_index_query(
    result: ScanResult,
    out_dir: str | Path,
    index: str | Path,
    *,
    inputs: Sequence[str] = (),
    read_options: dict | None = None,
    warnings: Sequence[Reject] = (),
    output_format: str = "jsonl",
) -> dict[str, int]:
    """A query's files, as ``scan`` writes them (row files in ``output_format``); run.json
    names the command and index."""
    from dedup.writers import write_scan

    return write_scan(
        result,
        out_dir,
        inputs=inputs,
        read_options=read_options,
        warnings=warnings,
        command="index query",
        protected=[str(index)],
        run_extra={"index": str(index)},
        output_format=output_format,
    )


class Index:
    """A persistent index of documents in one SQLite file, modelled on datasketch's
    ``MinHashLSH``: add documents once, then query new ones against them.

    >>> index = Index("news.idx")                      # doctest: +SKIP
    >>> index.add(["first article …", "second …"])     # doctest: +SKIP
    >>> index.query(["a new article …"]).to_pandas()   # doctest: +SKIP

    Parameters
    ----------
    path : path
        The index file; made (with ``config``) by the first :meth:`add`.
    config : Config, optional
        Settings of a new index; for an existing one they must agree with its own (None
        uses the index's).
    workers : int or Engine
        Threads (0: every core) or an engine for the words, signature and alignment work.
    keep_stories : bool
        Keep stories from the next :meth:`add` on: the first such add groups every stored
        document, each later add places its new ones (:mod:`dedup.index_stories`); read
        them with :meth:`stories`.

    Data given to :meth:`add` and :meth:`query` is read by :func:`dedup.prepare.as_records`
    (strings, dicts, Records, DataFrames, Tables), with fields named by keyword.
    """

    def __init__(
        self,
        path: str | Path,
        config: Config | None = None,
        *,
        workers: int | Engine = 1,
        keep_stories: bool = False,
    ) -> None:
        self.path = Path(path)
        self.config = config
        self.workers = workers
        self.keep_stories = keep_stories
        self._store: IndexStore | None = None

    def add(self, data: Any, **fields: str) -> IndexAddResult:
        """Add (or replace) documents; one transaction (or part of :meth:`writing`'s)."""
        records = as_records(data, **fields)
        if self._store is not None:
            return _add(self._store, records, resolve_engine(self.workers), self.keep_stories)
        return index_add(
            self.path, records, self.config, workers=self.workers, stories=self.keep_stories
        )

    def stories(self) -> StoriesResult:
        """The stories and events the index keeps (``keep_stories``), as :func:`dedup.api.
        stories` gives them; IndexFormatError if it keeps none."""
        from dedup.index_stories import read_index_stories

        return read_index_stories(self.path)

    def remove(self, ids: Iterable[str]) -> IndexRemoveResult:
        """Remove documents by id; unknown ids are reported in the result."""
        if isinstance(ids, str):
            ids = [ids]
        if self._store is not None:
            return _remove(self._store, ids)
        return index_remove(self.path, ids)

    def query(self, data: Any, **fields: str) -> ScanResult:
        """What the documents of ``data`` share with the index and with each other (the
        index is not changed)."""
        return index_query(self.path, as_records(data, **fields), self.config, workers=self.workers)

    @contextlib.contextmanager
    def writing(self) -> Iterator[Index]:
        """Batch writes: every :meth:`add` and :meth:`remove` inside is one transaction,
        committed when the block ends (none of it if it raises)."""
        if self._store is not None:
            raise RuntimeError("already writing: writing() blocks do not nest")
        with IndexStore.create_or_open(self.path, self.config or Config()) as store:
            if self.config is not None:
                store.check_config(self.config)
            with store.writing():
                self._store = store
                try:
                    yield self
                finally:
                    self._store = None

    def info(self) -> dict[str, Any]:
        """Counts, settings and bytes on disk."""
        return index_info(self.path)

    def __contains__(self, doc_id: object) -> bool:
        if not isinstance(doc_id, str) or not self.path.is_file():
            return False
        with IndexStore.open(self.path, readonly=True) as store:
            return doc_id in store.digests([doc_id])

    def __len__(self) -> int:
        if not self.path.is_file():
            return 0
        with IndexStore.open(self.path, readonly=True) as store:
            return store.n_documents()

    def __repr__(self) -> str:
        return f"Index({str(self.path)!r})"
