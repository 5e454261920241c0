"""The verify stage: every candidate pair checked on its words and aligned into passages (in
chunks, each kept for resume), a block of documents' words at a time.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from dedup.align import align_pairs
from dedup.assemble import (
    ROW_WIDTH,
    DocTable,
    alignment_rows,
    assemble_pairs,
    cluster_passages,
    document_infos,
    span_offsets,
)
from dedup.candidates import Overlap, measure_overlaps
from dedup.config import Config
from dedup.copies import CopyGroups
from dedup.parallel import Engine
from dedup.shingle import Tokens
from dedup.stages import lap
from dedup.types import (
    Alignment,
    CopyGroup,
    DocumentInfo,
    GroupMember,
    Pair,
    PassageCluster,
    ProgressFn,
    Reject,
    ScanResult,
)
from dedup.words import Shingled
from dedup.workspace import Workspace


class WordSource(Protocol):
    """Words of the documents of a run of document pairs, a block of pairs at a time."""

    def blocks(
        self, pairs: np.ndarray
    ) -> Iterator[tuple[Shingled, np.ndarray, np.ndarray | None, int]]:
        """For consecutive blocks of ``pairs`` (shape (n, 2)): the words of their documents,
        the block's pairs numbered as those words are, each of those documents' number in
        the corpus (None when the words are the whole corpus'), and how many pairs are done
        with this block."""
        ...


@dataclass(frozen=True, slots=True)
class CorpusWords:
    """The words of the whole corpus, in memory: one block of every pair."""

    shingled: Shingled

    def blocks(
        self, pairs: np.ndarray
    ) -> Iterator[tuple[Shingled, np.ndarray, np.ndarray | None, int]]:
        yield self.shingled, pairs, None, len(pairs)


def _global(local: np.ndarray, numbers: np.ndarray | None) -> np.ndarray:
    """Document numbers of a block (see :class:`WordSource`) in the corpus."""
    return local if numbers is None else numbers[local]


#: What makes the documents' records from the table and the alignment rows
DocumentsFn = Callable[[DocTable, list[tuple[int, int, list[int]]]], Sequence[DocumentInfo]]


@dataclass(frozen=True, slots=True)
class Verified:
    """What the verification and alignment of a set of candidates found."""

    near_duplicates: dict[tuple[int, int], Overlap]
    aligned_pairs: int
    pairs: list[Pair]
    passages: list[PassageCluster]
    documents: Sequence[DocumentInfo]
    groups: list[CopyGroup] = field(default_factory=list)
    implied_pairs: int = 0

    def scan_result(
        self,
        config: Config,
        table: DocTable,
        rejects: Sequence[Reject],
        signatures: np.ndarray,
        candidates: tuple[int, int, int, int],
        seconds: dict[str, float],
    ) -> ScanResult:
        """The scan's result: what was found, with the counts of ``run.json``
        (``candidates``: the arguments of :meth:`counts`)."""
        counts = {
            "documents": len(table.records),
            "rejected": len(rejects),
            "words": int(table.words.sum()),
            "characters": int(table.chars.sum()),
            **self.counts(*candidates),
        }
        return ScanResult(
            config,
            tuple(self.documents),
            tuple(self.pairs),
            tuple(self.passages),
            tuple(rejects),
            signatures,
            counts,
            seconds,
            groups=tuple(self.groups),
        )

    def counts(
        self, lsh_candidates: int, passage_candidates: int, self_candidates: int, common_keys: int
    ) -> dict[str, int]:
        """The candidate and result counts of ``run.json``, in their order there."""
        return {
            "lsh_candidate_pairs": lsh_candidates,
            "near_duplicate_pairs": len(self.near_duplicates),
            "passage_candidate_pairs": passage_candidates,
            "self_repeat_candidates": self_candidates,
            "common_passage_keys": common_keys,
            "aligned_pairs": self.aligned_pairs,
            "pairs": len(self.pairs),
            "passages": len(self.passages),
            "alignments": sum(len(p.alignments) for p in self.pairs),
            "documents_with_repeats": sum(1 for d in self.documents if d.repeated_words),
            # only with copy groups, so that run.json without them stays as it was
            **(
                {
                    "copy_groups": len(self.groups),
                    "documents_in_copy_groups": sum(len(g.members) + 1 for g in self.groups),
                    "pairs_implied_by_groups": self.implied_pairs,
                }
                if self.groups
                else {}
            ),
        }


def verify_candidates(
    words: WordSource,
    table: DocTable,
    lsh_pairs: Iterable[tuple[int, int]],
    passage_pairs: set[tuple[int, int]],
    self_docs: Iterable[int],
    config: Config,
    *,
    progress: ProgressFn | None,
    work: Workspace | None,
    engine: Engine,
    seconds: dict[str, float],
    clock: float,
    groups: CopyGroups | None = None,
    expand: ExpandFn | None = None,
    shuffled: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] | None = None,
    documents_of: DocumentsFn = document_infos,
) -> tuple[Verified, float]:
    """Check every candidate on the words: LSH pairs whose exact Jaccard reaches the
    threshold, passage pairs and self-repeat candidates are aligned, and the alignments
    clustered into passages and pairs. Adds the ``align`` and ``passages`` stage times.

    ``words`` gives the words of the pairs' documents a block at a time (the whole corpus
    at once when it is in memory), so the outcome does not depend on how it is split; each
    block's LSH pairs are measured and its pairs to align aligned while its words are at
    hand.

    With copy ``groups`` (whose members other than the representatives are in no other
    candidate), each member is measured and aligned against its representative once; those
    alignments give the members' witnesses and the groups' records, and no pair record.
    ``expand`` (exact groups only) turns the alignments of the representatives into those of
    every member, as if there were no groups.

    ``shuffled``: passages of shuffled sentences by pair (:func:`dedup.bags.bag_passages`),
    added for the pairs the aligner found nothing in.

    ``documents_of`` makes the documents' records from the table and the alignment rows
    (:func:`dedup.assemble.document_infos`; a Ray scan keeps them as columns)."""
    lsh = {(int(a), int(b)) for a, b in lsh_pairs}
    star = (
        {(int(a), int(b)) for a, b in groups.star_pairs().tolist()} if groups is not None else set()
    )
    self_docs = list(self_docs)
    # the pairs with shuffled sentences too (neither measured nor aligned), so that each
    # block of a corpus verified a block at a time has those of its pairs
    bagged = set(shuffled) if shuffled else set()
    candidates = sorted(lsh | passage_pairs | star | bagged) + [(d, d) for d in self_docs]
    near_duplicates: dict[tuple[int, int], Overlap] = {}
    measures: dict[tuple[int, int], Overlap] = {}  # exact measures of the pairs measured
    raw: list[tuple[int, int, list[int]]] = []
    spans: list[np.ndarray] = []
    aligned = 0
    array = np.array(candidates, dtype=np.int64).reshape(-1, 2)
    if isinstance(words, BlockVerifier):  # each block verified where its words are
        verified = words.verify_blocks(array, lsh, star, passage_pairs, config, shuffled)
    else:
        verified = _verify_here(
            words, array, lsh, star, passage_pairs, config, progress, work, engine, shuffled
        )
    for block, done in verified:
        near_duplicates.update(block.near_duplicates)
        measures.update(block.measures)
        raw += block.raw
        spans.append(block.spans)
        aligned += block.aligned
        if progress and done is not None:
            progress("align", done, len(array))
    seconds["align"], clock = lap(clock)

    span_table = np.concatenate(spans, axis=1) if spans else np.zeros((3, 0), dtype=np.int64)
    implied = 0
    if expand is not None and groups is not None and len(groups):
        raw, span_table, near_duplicates, measures = expand(raw, near_duplicates, measures)
        star = set()
    alignments, passages = cluster_passages(raw, span_table, table)
    ids = [r.id for r in table.records]
    paired = [item for item in alignments if (item[0], item[1]) not in star]
    assembled = assemble_pairs(paired, near_duplicates, measures, ids, table.words, config)
    if groups is not None and star:
        linked = near_duplicates.keys() | {(a, b) for a, b, _, _ in paired}
        implied = implied_pairs(groups, linked)
    documents = documents_of(table, raw)
    copy_groups = []
    if groups is not None and star:
        in_star = [item for item in alignments if (item[0], item[1]) in star]
        star_pairs = assemble_pairs(in_star, {}, measures, ids, table.words, config)
        copied = {(p.a, p.b): p.copied_words_b for p in star_pairs}
        copy_groups = group_records(groups, alignments, measures, ids, table.words, copied)
    seconds["passages"], clock = lap(clock)
    found = Verified(near_duplicates, aligned, assembled, passages, documents, copy_groups, implied)
    return found, clock


@dataclass(frozen=True, slots=True)
class BlockFound:
    """What the verification of one block of candidate pairs found (document numbers of the
    corpus): the exact measures of the pairs measured, those that are near duplicates, the
    alignment rows, the document and character span of both sides of each row
    (:func:`dedup.assemble.span_offsets`, shape (3, 2 * len(raw))) and the pairs aligned."""

    measures: dict[tuple[int, int], Overlap]
    near_duplicates: dict[tuple[int, int], Overlap]
    raw: list[tuple[int, int, list[int]]]
    spans: np.ndarray
    aligned: int


@runtime_checkable
class BlockVerifier(Protocol):
    """A word source that verifies each block of pairs itself, where its words are (on the
    workers of a cluster), handing back only what was found."""

    def verify_blocks(
        self,
        pairs: np.ndarray,
        lsh: set[tuple[int, int]],
        star: set[tuple[int, int]],
        passage_pairs: set[tuple[int, int]],
        config: Config,
        shuffled: Shuffled | None = None,
    ) -> Iterator[tuple[BlockFound, int | None]]:
        """:func:`verify_block` of each block of ``pairs`` (shape (n, 2)), in order, with
        the ``shuffled`` passages of its pairs, and how many pairs are done with it."""
        ...


def _verify_here(
    words: WordSource,
    array: np.ndarray,
    lsh: set[tuple[int, int]],
    star: set[tuple[int, int]],
    passage_pairs: set[tuple[int, int]],
    config: Config,
    progress: ProgressFn | None,
    work: Workspace | None,
    engine: Engine,
    shuffled: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] | None = None,
) -> Iterator[tuple[BlockFound, int | None]]:
    """:func:`verify_block` of each block of ``words``, here (the pairs done after each
    block, or None when it was the corpus itself, which shows its own progress), with the
    ``shuffled`` passages of its pairs."""
    for shingled, local, numbers, done in words.blocks(array):
        whole = numbers is None  # the corpus itself: chunks resume and show progress
        pairs = [tuple(pair) for pair in _global(local, numbers).tolist()]
        flags = block_flags(pairs, lsh, star, passage_pairs)
        found = verify_block(
            shingled, local, numbers, *flags, config, engine,
            progress if whole else None, work if whole else None,
            shuffled if whole else block_shuffled(shuffled, pairs, numbers),
        )  # fmt: skip
        yield found, None if whole else done


#: passages of shuffled sentences by pair: passage rows and edit rows
#: (:func:`dedup.bags.bag_passages`)
Shuffled = dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]


def block_shuffled(
    shuffled: Shuffled | None, pairs: list[tuple[int, int]], numbers: np.ndarray | None
) -> Shuffled | None:
    """The ``shuffled`` passages of a block's ``pairs``, by pair numbered as in the block
    (``numbers``: its documents' numbers in the corpus)."""
    if not shuffled or numbers is None:
        return shuffled
    found = {}
    for a, b in pairs:
        if (a, b) in shuffled:
            local = np.searchsorted(numbers, [a, b]).tolist()
            found[(local[0], local[1])] = shuffled[(a, b)]
    return found


def block_flags(
    pairs: list[tuple[int, int]],
    lsh: set[tuple[int, int]],
    star: set[tuple[int, int]],
    passage_pairs: set[tuple[int, int]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whether each of ``pairs`` is an LSH candidate, a copy group's star pair and a
    passage candidate (ndarrays of bool)."""
    is_lsh = np.array([pair in lsh for pair in pairs], dtype=bool)
    is_star = (
        np.array([pair in star for pair in pairs], dtype=bool) if star else np.zeros_like(is_lsh)
    )
    is_passage = np.array([pair in passage_pairs for pair in pairs], dtype=bool)
    return is_lsh, is_star, is_passage


def verify_block(
    shingled: Shingled,
    local: np.ndarray,
    numbers: np.ndarray | None,
    is_lsh: np.ndarray,
    is_star: np.ndarray,
    is_passage: np.ndarray,
    config: Config,
    engine: Engine,
    progress: ProgressFn | None = None,
    work: Workspace | None = None,
    shuffled: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] | None = None,
) -> BlockFound:
    """One block of candidates checked on its words (``local``: the pairs numbered as in
    ``shingled``; ``numbers``: their documents' numbers in the corpus, None when the words
    are the corpus'): LSH pairs and star pairs measured, and near duplicates, star pairs,
    passage pairs and self-repeat candidates aligned. Each pair is in one block only, so
    what one block finds does not depend on the others."""
    pairs = [tuple(pair) for pair in _global(local, numbers).tolist()]
    measures: dict[tuple[int, int], Overlap] = {}
    near_duplicates: dict[tuple[int, int], Overlap] = {}
    measured = is_lsh | is_star
    for k, stats in zip(
        np.flatnonzero(measured).tolist(), measure_overlaps(shingled, local[measured], engine)
    ):
        measures[pairs[k]] = stats
        if stats.jaccard >= config.threshold and is_lsh[k]:
            near_duplicates[pairs[k]] = stats
    to_align = (
        is_star
        | is_passage
        | np.array([pair in near_duplicates or pair[0] == pair[1] for pair in pairs], dtype=bool)
    )
    part = align_candidates(shingled, local[to_align], config, progress, work, engine)
    if shuffled:
        part = _with_shuffled(part, shuffled)
    span_docs, starts, ends = span_offsets(part, shingled.tokens)
    if numbers is not None:
        part = [(int(numbers[a]), int(numbers[b]), row) for a, b, row in part]
        span_docs = numbers[span_docs]
    # the exact measures of the other aligned pairs, while their words are at hand
    others = sorted({(a, b) for a, b, _ in part if a != b} - measures.keys())
    in_block = np.searchsorted(numbers, others) if numbers is not None else np.array(others)
    measures.update(zip(others, measure_overlaps(shingled, in_block, engine)))
    spans = np.stack([span_docs, starts, ends])
    return BlockFound(measures, near_duplicates, part, spans, int(to_align.sum()))


#: ``expand(raw, near_duplicates, measures)`` → the same, and the span table, of the
#: corpus as if it had no copy groups (see :func:`dedup.inmemory.expand_exact_groups`).
ExpandFn = Callable[
    [
        list[tuple[int, int, list[int]]],
        dict[tuple[int, int], Overlap],
        dict[tuple[int, int], Overlap],
    ],
    tuple[
        list[tuple[int, int, list[int]]],
        np.ndarray,
        dict[tuple[int, int], Overlap],
        dict[tuple[int, int], Overlap],
    ],
]


def implied_pairs(groups: CopyGroups, linked: Iterable[tuple[int, int]]) -> int:
    """Pairs a group stands for beyond those written: the pairs among its members, and
    for each written pair with a representative, the same pair with each other member."""
    weights = groups.weights()
    extra = groups.implied_pairs()
    for a, b in linked:
        if a != b:
            extra += int(weights[a] * weights[b]) - 1
    return extra


def group_records(
    groups: CopyGroups,
    alignments: list[tuple[int, int, list[int], Alignment]],
    measures: dict[tuple[int, int], Overlap],
    ids: list[str],
    words: np.ndarray,
    copied: dict[tuple[str, str], int],
) -> list[CopyGroup]:
    """One record a group: its representative, and each member with its measures and its
    alignments with the representative (``a`` the representative, ``b`` the member)."""
    found: dict[tuple[int, int], list[Alignment]] = {}
    for a, b, _, alignment in alignments:
        found.setdefault((a, b), []).append(alignment)
    records = []
    sizes = groups.sizes()
    for index in range(len(groups)):
        members = groups.group(index).tolist()
        rep = members[0]
        rows = []
        for doc in members[1:]:
            overlap = measures[(rep, doc)]
            rows.append(
                GroupMember(
                    doc=ids[doc],
                    words=int(words[doc]),
                    jaccard=overlap.jaccard,
                    containment=overlap.containment_b,
                    alignments=tuple(
                        sorted(found.get((rep, doc), []), key=lambda x: (x.a_start, x.b_start))
                    ),
                    copied_words=copied.get((ids[rep], ids[doc]), 0),
                )
            )
        n = int(sizes[index])
        records.append(
            CopyGroup(
                id=f"g{index + 1}",
                representative=ids[rep],
                exact=bool(groups.exact[index]),
                words=int(words[rep]),
                implied_pairs=n * (n - 1) // 2,
                members=tuple(rows),
            )
        )
    return records


ALIGN_CHUNK = 4096  # pairs per call of the batch aligner, between progress updates


def align_candidates(
    shingled: Shingled,
    pairs: np.ndarray,
    config: Config,
    progress: ProgressFn | None,
    work: Workspace | None,
    engine: Engine,
) -> list[tuple[int, int, list[int]]]:
    """Verified passages of every candidate pair: ``(doc_a, doc_b, passage row)``, in
    chunks of ``ALIGN_CHUNK`` pairs, each kept in the workspace when there is one.

    Chunks not in the workspace are aligned on ``engine``; each is saved as it
    comes back, in chunk order, so an interrupted run keeps every chunk before the gap."""
    raw: list[tuple[int, int, list[int]]] = []
    workers = engine.workers
    firsts = range(0, len(pairs), ALIGN_CHUNK)
    done = {f for f in firsts if work is not None and work.has(_align_stage(f))}
    shared = (
        shingled.shingles,
        shingled.shingle_ptr,
        config.shingle_size,
        config.min_passage_words,
        config.max_gap_words,
        shingled.tokens,  # the words: the aligner extends passages through edits
        config.max_bridge_words,
        config.min_exact_share,
        config.min_fragment_words,
    )
    # each chunk is split in one piece per worker, so that even one chunk uses every core;
    # the results are sorted by pair, so the pieces put back together are the chunk's
    jobs, offsets = [], {}
    for first in firsts:
        if first not in done:
            chunk = pairs[first : first + ALIGN_CHUNK]
            cuts = np.linspace(0, len(chunk), max(1, min(workers, len(chunk))) + 1).astype(int)
            offsets[first] = cuts[:-1].tolist()
            jobs += [(chunk[lo:hi],) for lo, hi in itertools.pairwise(cuts.tolist())]
    aligned = engine.map_ordered(_align_chunk, shared, jobs)
    for first in firsts:
        chunk = pairs[first : first + ALIGN_CHUNK]
        stage = _align_stage(first)
        if first in done:
            assert work is not None
            found = work.load(stage)
            pair_index, passages = found["pair_index"], found["passages"].reshape(-1, ROW_WIDTH)
        else:
            parts = [next(aligned) for _ in offsets[first]]
            pair_index = np.concatenate(
                [index + offset for (index, _), offset in zip(parts, offsets[first])]
            )
            passages = np.concatenate([found for _, found in parts]).reshape(-1, ROW_WIDTH)
            if work is not None:
                work.save(stage, pair_index=pair_index, passages=passages)
        found_pairs = chunk[pair_index].tolist()
        raw.extend((a, b, row) for (a, b), row in zip(found_pairs, passages.tolist()))
        if progress:
            progress("align", min(first + ALIGN_CHUNK, len(pairs)), len(pairs))
    aligned.close()  # the workers stop now, not when the generator is collected
    return raw


def _with_shuffled(
    part: list[tuple[int, int, list[int]]],
    shuffled: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]],
) -> list[tuple[int, int, list[int]]]:
    """The aligned rows and, for each pair with none, its passages of shuffled sentences,
    in order of pair (each pair's rows in their order)."""
    aligned = {(a, b) for a, b, _ in part}
    added = [
        (a, b, row)
        for (a, b), (passages, edits) in sorted(shuffled.items())
        if (a, b) not in aligned
        for row in alignment_rows(passages, edits).tolist()
    ]
    return sorted(part + added, key=lambda item: (item[0], item[1])) if added else part


def _align_stage(first: int) -> str:
    return f"align-{first // ALIGN_CHUNK:06d}"


def _align_chunk(
    shingles: np.ndarray,
    shingle_ptr: np.ndarray,
    shingle_size: int,
    min_words: int,
    max_gap: int,
    words: Tokens,
    max_bridge: int,
    min_exact_share: float,
    min_fragment_words: int,
    chunk: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    found = align_pairs(
        shingles,
        shingle_ptr,
        chunk,
        shingle_size=shingle_size,
        min_words=min_words,
        max_gap=max_gap,
        words=words,
        max_bridge=max_bridge,
        min_exact_share=min_exact_share,
        min_fragment_words=min_fragment_words,
        return_edits=True,
    )
    assert len(found) == 3  # with the edits
    return found[0], alignment_rows(found[1], found[2])
