"""Syndication chains of a corpus larger than memory: the same forest as
:func:`dedup.jobs.chains`, bit for bit, built one connected set of documents at a time.

Who took whose copy is decided among the documents that share reused passages, so the
corpus splits into the connected components of its passages and pairs. Three things are
learnt from the whole corpus and given to each part (:class:`dedup.syndication.CorpusFacts`):
the boilerplate lines (counted a batch of texts at a time), the titles and documents per
outlet (from the metadata), and each outlet's habit (its cases counted part by part; they
add up). Then :func:`dedup.syndication.build_chains` runs on each block of whole components,
its texts read back from a scratch file, and the blocks' edges, articles and counts are
merged in the order the whole corpus gives them.

Memory holds the scan's results and each document's metadata, plus one batch or one block
of texts and words at a time.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from dedup import rules
from dedup.carriers import Carrier, Words, passage_order
from dedup.chain_groups import source_first
from dedup.config import Config
from dedup.credits import outlet_agency
from dedup.furniture import CorpusFacts, outlet_sizes
from dedup.parallel import Engine, resolve_engine
from dedup.parents import REPUBLISHER, WIRE, habits_of
from dedup.spill import TextSpill
from dedup.spilled import (
    SPILL_BATCH_CHARS,
    SPILL_BLOCK_DOCS,
    is_spill_failure,
    make_scratch,
    scan_spilled,
    spill_error,
)
from dedup.syndication import COMMON_PREFIX, build_chains, outlet_reuse, part_habit_cases
from dedup.types import (
    ArticleReuse,
    ChainEdge,
    ChainsResult,
    DocumentInfo,
    ProgressFn,
    Record,
    ScanResult,
)


@dataclass
class _Spilled:
    """Each record's text in a scratch file (first of each id), and its title."""

    texts: TextSpill
    index: dict[str, tuple[int, str | None]]

    def tee(self, records: Iterable[Record]) -> Iterator[Record]:
        """``records``, passed on as they are read, their texts written aside."""
        for record in records:
            if record.id not in self.index:
                self.index[record.id] = (self.texts.append(record.text), record.title)
            yield record

    def record(self, info: DocumentInfo) -> Record:
        """The scanned document's record, its text read back."""
        number, title = self.index[info.id]
        text = self.texts.read(number)
        return Record(id=info.id, text=text, outlet=info.outlet, date=info.date, title=title)


def chains_spilled(
    records: Iterable[Record],
    config: Config | None = None,
    *,
    spill_dir: str | Path | None = None,
    progress: ProgressFn | None = None,
    workers: int | Engine = 1,
    batch_chars: int = SPILL_BATCH_CHARS,
    block_docs: int = SPILL_BLOCK_DOCS,
) -> ChainsResult:
    """:func:`dedup.jobs.chains` for a corpus larger than memory, with the same result.

    The records are read once: a spilled scan (:func:`dedup.spilled.scan_spilled`, without
    copy groups, as the chains' scan) and a scratch file of the texts. The boilerplate lines
    are learnt a batch of about ``batch_chars`` characters at a time, the outlets' habits
    and then the chains a block of whole connected components (about ``block_docs``
    documents; a larger component is a block of its own) at a time. Neither size changes
    the result.

    Returns
    -------
    ChainsResult
        As :func:`dedup.jobs.chains`; its ``scan`` is the spilled scan's.
    """
    config = config or Config()
    engine = resolve_engine(workers)
    where, folder = make_scratch(spill_dir)
    spilled = _Spilled(TextSpill(folder / "chains-texts.bin"), {})
    try:
        scanned = scan_spilled(
            spilled.tee(records), config, spill_dir=folder, progress=progress, workers=engine,
            batch_chars=batch_chars, representative_key=source_first(config),
        )  # fmt: skip
        return _chains_of(scanned, spilled, config, progress, batch_chars, block_docs)
    except OSError as error:
        if not is_spill_failure(error, folder):
            raise
        raise spill_error(where, error) from error
    finally:
        spilled.texts.close()
        shutil.rmtree(folder, ignore_errors=True)


def _chains_of(
    scanned: ScanResult,
    spilled: _Spilled,
    config: Config,
    progress: ProgressFn | None,
    batch_chars: int,
    block_docs: int,
) -> ChainsResult:
    documents = scanned.documents
    learned = _learned_lines(documents, spilled, config, batch_chars, progress)
    titles = {rules.normalise_title(title) for _, title in spilled.index.values() if title}
    scanned_titles = _scanned_titles(documents, spilled, titles)
    facts = CorpusFacts(learned, scanned_titles, outlet_sizes(d.outlet for d in documents))
    blocks = list(connected_blocks(scanned, block_docs))
    cases: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    outlets = {d.outlet for d in documents}
    agency = {o: outlet_agency(o, config.wire_agencies) for o in outlets}
    for part in blocks:
        if part.passages and _may_count_habits(part, agency):
            records = [spilled.record(info) for info in part.documents]
            for outlet, (wire, counted) in part_habit_cases(records, part, config, facts).items():
                cases[outlet][0] += wire
                cases[outlet][1] += counted
    habits = habits_of(cases)
    facts = CorpusFacts(facts.learned, facts.titles, facts.per_outlet, habits)
    results = []
    for done, part in enumerate(blocks, 1):
        records = [spilled.record(info) for info in part.documents]
        results.append(build_chains(records, part, config, corpus=facts))
        if progress:
            progress("chains", done, len(blocks))
    counts = _merged_counts(results)
    counts["outlets_wire_habit"] = sum(1 for h in habits.values() if h.kind == WIRE)
    counts["outlets_republishing"] = sum(1 for h in habits.values() if h.kind == REPUBLISHER)
    edges = _merged_edges(results, documents)
    by_doc = {a.doc: a for result in results for a in result.articles}
    articles = tuple(by_doc[info.id] for info in documents)
    kinds = {k: v for result in results for k, v in result.passage_kinds.items()}
    return ChainsResult(
        config,
        scanned,
        edges,
        articles,
        outlet_reuse(articles, _sources(articles, documents)),
        counts,
        passage_kinds={p.id: kinds[p.id] for p in scanned.passages},
        boilerplate_pairs=tuple(sorted(p for r in results for p in r.boilerplate_pairs)),
    )


def _may_count_habits(part: ScanResult, agency: dict[str | None, str | None]) -> bool:
    """Whether a habit case can be in ``part``: a copy counts only from a named outlet that
    is no wire agency, with a wire agency's article among its candidates."""
    wire = any(agency[d.outlet] is not None for d in part.documents)
    other = any(d.outlet is not None and agency[d.outlet] is None for d in part.documents)
    return wire and other


def _learned_lines(
    documents: Sequence[DocumentInfo],
    spilled: _Spilled,
    config: Config,
    batch_chars: int,
    progress: ProgressFn | None,
) -> set[tuple[str, str, bytes]]:
    """The boilerplate lines learnt from every scanned document, a batch at a time."""
    if "learned" in config.clean_skip:
        return set()
    counts = rules.BoilerplateCounts(config.boilerplate_max_words)
    for first, last in _batches(
        np.array([d.chars for d in documents], dtype=np.int64), batch_chars
    ):
        batch = documents[first:last]
        words = Words({info.id: spilled.record(info).text for info in batch})
        for info in batch:
            counts.add(words.lines(info.id), info.outlet)
        if progress:
            progress("boilerplate", last, len(documents))
    return counts.learned(
        min_docs=config.boilerplate_min_docs, fraction=config.boilerplate_fraction
    )


def _scanned_titles(
    documents: Sequence[DocumentInfo], spilled: _Spilled, every: set[str]
) -> set[str]:
    """The normalised titles of the scanned documents (``every``: of all records read, the
    same set when no record was rejected)."""
    if len(documents) == len(spilled.index):
        return every
    return {rules.normalise_title(t) for d in documents if (t := spilled.index[d.id][1])}


def _batches(chars: np.ndarray, batch_chars: int) -> Iterator[tuple[int, int]]:
    """``(first, last)`` runs of documents of about ``batch_chars`` characters each."""
    first, total = 0, 0
    for k, size in enumerate(chars.tolist()):
        total += size
        if total >= batch_chars:
            yield first, k + 1
            first, total = k + 1, 0
    if first < len(chars):
        yield first, len(chars)


def connected_blocks(scanned: ScanResult, block_docs: int) -> Iterator[ScanResult]:
    """The scan in parts of whole connected components (of the passages' witnesses and the
    pairs), about ``block_docs`` documents each; each keeps the corpus' order."""
    documents = scanned.documents
    position = {d.id: k for k, d in enumerate(documents)}
    heads: list[int] = []
    tails: list[int] = []
    for passage in scanned.passages:
        docs = [position[w.doc] for w in passage.witnesses]
        heads += docs[:-1]
        tails += docs[1:]
    for pair in scanned.pairs:
        heads.append(position[pair.a])
        tails.append(position[pair.b])
    n = len(documents)
    graph = coo_matrix((np.ones(len(heads), dtype=np.int8), (heads, tails)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    first = np.full(label.max() + 1 if n else 0, n, dtype=np.int64)
    np.minimum.at(first, label, np.arange(n))
    order = np.argsort(first, kind="stable")  # components by their first document
    sizes = np.bincount(label)[order]
    block_of_component = np.zeros(len(order), dtype=np.int64)
    block, filled = 0, 0
    for component, size in zip(order.tolist(), sizes.tolist()):
        if filled and filled + size > block_docs:
            block, filled = block + 1, 0
        block_of_component[component] = block
        filled += size
    block_of = block_of_component[label]
    members: dict[int, list[int]] = defaultdict(list)
    for k, b in enumerate(block_of.tolist()):
        members[b].append(k)
    passages = defaultdict(list)
    for passage in scanned.passages:
        passages[int(block_of[position[passage.witnesses[0].doc]])].append(passage)
    pairs = defaultdict(list)
    for pair in scanned.pairs:
        pairs[int(block_of[position[pair.a]])].append(pair)
    groups = defaultdict(list)
    for group in scanned.groups:
        groups[int(block_of[position[group.representative]])].append(group)
    for b in sorted(members):
        yield scanned.replace(
            documents=tuple(documents[k] for k in members[b]),
            passages=tuple(passages[b]),
            pairs=tuple(pairs[b]),
            groups=tuple(groups[b]),
        )


def _merged_counts(results: Sequence[ChainsResult]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        for key, value in result.counts.items():
            counts[key] = counts.get(key, 0) + value
    return counts


def _merged_edges(
    results: Sequence[ChainsResult], documents: Sequence[DocumentInfo]
) -> tuple[ChainEdge, ...]:
    """Every part's edges in :func:`build_chains`' order: (first passage, source, target by
    date and id, undated last)."""
    date = {d.id: d.date for d in documents}

    def key(edge: ChainEdge) -> tuple[tuple[int, str], str, tuple[bool, str, str]]:
        first = passage_order(edge.passages[0]) if edge.passages else (-1, "")
        when = date[edge.target]
        return first, edge.source, (when is None, when or "", edge.target)

    return tuple(sorted((e for r in results for e in r.edges), key=key))


def _sources(
    articles: Sequence[ArticleReuse], documents: Sequence[DocumentInfo]
) -> dict[str, Carrier]:
    """The carriers :func:`outlet_reuse` reads: every document named as a source."""
    named = {s for a in articles for s, _ in a.sources if not s.startswith(COMMON_PREFIX)}
    return {d.id: Carrier(d.id, d.outlet, d.date, None, (), 0) for d in documents if d.id in named}
