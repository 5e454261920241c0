"""A scan with the whole corpus in memory: prepare → words → signatures → candidates → verify →
assemble, each stage kept in a workspace for resume.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from dedup.align import align_pairs
from dedup.assemble import DocTable, alignment_rows, span_offsets
from dedup.bags import bag_passages
from dedup.candidates import Overlap, candidates_stage, keys_of, measure_overlaps
from dedup.config import Config
from dedup.copies import (
    CopyGroups,
    exact_copy_keys,
    find_copy_groups,
    near_group_jaccard,
    ranks,
)
from dedup.lsh import band_keys
from dedup.parallel import Engine, resolve_engine
from dedup.passage_keys import winnow
from dedup.prepare import prepare_records
from dedup.sketch import to_datasketch
from dedup.stages import lap
from dedup.types import (
    ProgressFn,
    Record,
    Reject,
    ScanResult,
)
from dedup.verify import CorpusWords, verify_candidates
from dedup.words import Shingled, signatures_stage, words_stage
from dedup.workspace import Workspace


def scan(
    records: Iterable[Record],
    config: Config | None = None,
    *,
    progress: ProgressFn | None = None,
    workspace: Workspace | None = None,
    workers: int | Engine = 1,
    expand_pairs: bool = False,
    group_copies: bool = True,
    near_groups: bool = True,
    representative_key: Callable[[Record], Any] | None = None,
) -> ScanResult:
    """Find the passages and documents that share copy.

    Parameters
    ----------
    records : iterable of Record
        Any order; ids must be unique (later duplicates are rejected).
    config : Config, optional
    workspace : Workspace, optional
        Where finished stages are kept, so that an interrupted run resumes (the CLI keeps
        them under the output folder); without it everything stays in memory.
    workers : int or Engine, default 1
        Threads for the stages that split into independent parts (words, signatures,
        candidates, alignment); 0 uses every available core. An :class:`Engine` (such as
        ``dedup.parallel.RayEngine``) runs them there instead. The result is the same for
        any number and any engine.
    expand_pairs : bool
        Write every pair among the members of copy groups, as a scan without groups would:
        exact-copy groups are still verified and aligned once, through their representative,
        and their pairs derived from it; near-duplicate groups are not formed.
    group_copies : bool
        Form copy groups at all (:mod:`dedup.copies`); False is the plain pairwise path.
    near_groups : bool
        Form near-duplicate groups too, not only groups of exact copies.
    representative_key : callable, optional
        Sort key of a record: each near group's representative is then its member with the
        smallest key (the copy nearest the group's consensus by default), and every other
        member is measured and aligned against it.

    Returns
    -------
    ScanResult
    """
    config = config or Config()
    engine = resolve_engine(workers)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    work = workspace or Workspace(None, config_digest="", input_digest="")

    docs, rejects = prepare_records(records)
    shingled, kept = words_stage(docs, config, work, progress, engine)
    kept_set = set(kept.tolist())
    rejects += [
        Reject(r.source or r.id, "no words", r.id)
        for index, r in enumerate(docs)
        if index not in kept_set
    ]
    docs = [docs[i] for i in kept.tolist()]
    seconds["words"], clock = lap(clock)

    if work.has("signatures"):
        signatures = work.load("signatures")["signatures"]
    else:
        signatures = signatures_stage(shingled, config, engine)
        work.save("signatures", signatures=signatures)
    seconds["signatures"], clock = lap(clock)

    groups = CopyGroups.none(len(docs))
    if group_copies:
        near = near_groups and not expand_pairs
        prefer = ranks([representative_key(r) for r in docs]) if representative_key else None
        groups = copy_groups(shingled, signatures, config, engine, near=near, prefer=prefer)
    represented = groups.kept() if len(groups) else None
    if represented is not None:
        # the candidates and alignments of a grouped corpus are those of its groups'
        # representatives: stages of their own, named for the groups
        mode = "expanded" if expand_pairs else "grouped"
        work = cast(Workspace, _Scoped(work, f"groups-{_digest(groups)}-{mode}-"))
    stage = "candidates"
    if work.has(stage):
        saved = work.load(stage)
        lsh_pairs, passage_pairs = saved["lsh_pairs"], saved["passage_pairs"]
        self_docs, common_keys = saved["self_docs"], int(saved["common_keys"])
    else:
        keys = winnow(shingled.shingles, shingled.shingle_ptr, config.passage_window)
        assert config.bands is not None and config.rows is not None  # set by Config
        doc_keys = band_keys(signatures, config.bands, config.rows)
        weights = None
        if represented is not None:
            keys, doc_keys, weights = (
                keys_of(keys, represented),
                doc_keys[represented],
                groups.weights()[represented],
            )
        lsh_pairs, passage = candidates_stage(doc_keys, keys, config, engine, weights)
        passage_pairs, self_docs, common_keys = (
            passage.pairs,
            passage.self_docs,
            passage.common_keys,
        )
        if (
            represented is not None
        ):  # back to the numbers of the whole corpus (increasing: in order)
            lsh_pairs, passage_pairs = represented[lsh_pairs], represented[passage_pairs]
            self_docs = represented[self_docs]
            if not expand_pairs:  # (expanded, the representatives' repeats are the members')
                self_docs = groups.with_members(self_docs)
        work.save(
            stage,
            lsh_pairs=lsh_pairs,
            passage_pairs=passage_pairs,
            self_docs=self_docs,
            common_keys=np.array(common_keys),
        )
    seconds["candidates"], clock = lap(clock)

    table = DocTable.of(docs, shingled.tokens)
    shuffled = shuffled_passages(docs, shingled, config, represented)  # timed as "align"
    found, clock = verify_candidates(
        CorpusWords(shingled),
        table,
        lsh_pairs.tolist(),
        set(map(tuple, passage_pairs.tolist())),
        self_docs.tolist(),
        config,
        progress=progress,
        work=work,
        engine=engine,
        seconds=seconds,
        clock=clock,
        groups=groups if len(groups) else None,
        expand=(
            functools.partial(expand_exact_groups, shingled, groups, config)
            if expand_pairs and len(groups)
            else None
        ),
        shuffled=shuffled,
    )
    candidates = (len(lsh_pairs), len(passage_pairs), len(self_docs), common_keys)
    return found.scan_result(config, table, rejects, signatures, candidates, seconds)


SPILL_ABOVE_CHARS = 1 << 25  # characters held in memory before the CLI's --spill auto spills


def shuffled_passages(
    docs: list[Record], shingled: Shingled, config: Config, represented: np.ndarray | None
) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
    """Passages of shuffled sentences (:func:`dedup.bags.bag_passages`) between documents
    that are not members of a copy group standing behind its representative."""
    if config.min_shuffled_sentences <= 0:
        return {}
    found = bag_passages([r.text for r in docs], shingled.tokens, config.min_shuffled_sentences)
    if represented is None:
        return found
    kept = set(represented.tolist())
    return {pair: rows for pair, rows in found.items() if pair[0] in kept and pair[1] in kept}


def hold_records(records: Iterable[Record], max_chars: int) -> list[Record] | Iterator[Record]:
    """The records as a list when their texts come to at most ``max_chars`` characters in
    all; otherwise an iterator over all of them, in their order, that lets go of those read
    ahead as it passes them (for :func:`scan_spilled`)."""
    held: list[Record] = []
    total = 0
    source = iter(records)
    for record in source:
        held.append(record)
        total += len(record.text)
        if total > max_chars:
            return _drain(held, source)
    return held


def _drain(held: list[Record], rest: Iterator[Record]) -> Iterator[Record]:
    held.reverse()
    while held:
        yield held.pop()
    yield from rest


def minhashes(result: ScanResult) -> dict[str, object]:
    """Document id → ``datasketch.LeanMinHash`` of its signature (scheme ``"affine32"``)."""
    sketches = to_datasketch(result.signatures, result.config.seed)
    return {doc.id: sketch for doc, sketch in zip(result.documents, sketches)}


def copy_groups(
    shingled: Shingled,
    signatures: np.ndarray,
    config: Config,
    engine: Engine,
    *,
    near: bool,
    prefer: np.ndarray | None = None,
) -> CopyGroups:
    """The copy groups of a corpus in memory (:func:`dedup.copies.find_copy_groups`):
    exact groups, and near groups too when ``near`` (``prefer``: as there)."""
    words = np.diff(shingled.tokens.doc_ptr)
    ptr = shingled.shingle_ptr
    keys = exact_copy_keys(shingled.shingles, ptr, words)

    def shingles_of(docs: list[int]) -> list[bytes]:
        return [shingled.doc_shingles(d).tobytes() for d in docs]

    def measure(pairs: np.ndarray) -> np.ndarray:
        return np.array([o.jaccard for o in measure_overlaps(shingled, pairs, engine)])

    assert config.bands is not None and config.rows is not None  # set by Config
    return find_copy_groups(
        keys,
        shingles_of,
        band_keys(signatures, config.bands, config.rows) if near else None,
        measure if near else None,
        near_group_jaccard(config, prefer),
        link_jaccard=config.threshold,
        prefer=prefer,
    )


def _digest(groups: CopyGroups) -> str:
    digest = hashlib.sha256()
    for values in (groups.members, groups.group_ptr, groups.exact.astype(np.int64)):
        digest.update(np.ascontiguousarray(values, dtype=np.int64).tobytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class _Scoped:
    """A workspace whose stage names carry a prefix."""

    work: Workspace
    prefix: str

    def has(self, stage: str) -> bool:
        return self.work.has(self.prefix + stage)

    def save(self, stage: str, **arrays: np.ndarray) -> None:
        self.work.save(self.prefix + stage, **arrays)

    def load(self, stage: str) -> dict[str, np.ndarray]:
        return self.work.load(self.prefix + stage)


def _flip(overlap: Overlap) -> Overlap:
    return Overlap(overlap.jaccard, overlap.containment_b, overlap.containment_a)


def expand_exact_groups(
    shingled: Shingled,
    groups: CopyGroups,
    config: Config,
    raw: list[tuple[int, int, list[int]]],
    near_duplicates: dict[tuple[int, int], Overlap],
    measures: dict[tuple[int, int], Overlap],
) -> tuple[
    list[tuple[int, int, list[int]]],
    np.ndarray,
    dict[tuple[int, int], Overlap],
    dict[tuple[int, int], Overlap],
]:
    """The alignments, near-duplicates and measures of every pair of documents, from those
    of the exact groups' representatives: what the pairwise path finds.

    The members of an exact group have the same shingles, so a pair with any member aligns
    (in word positions) and measures as the same pair with the representative, and the
    pairs among members as the representative with its first member (aligned: the star
    pair). A pair ``(x, y)`` whose member ``x`` is the later document than ``y`` aligns as
    the representatives' pair the other way round, which is aligned here (once per pair of
    representatives). Offsets come from each member's own words (:func:`span_offsets`).
    """
    members: dict[int, list[int]] = {}
    for index in range(len(groups)):
        group = groups.group(index).tolist()
        members[group[0]] = group
    by_pair: dict[tuple[int, int], list[list[int]]] = defaultdict(list)
    self_rows: dict[int, list[list[int]]] = defaultdict(list)
    for a, b, row in raw:
        (self_rows[a] if a == b else by_pair[(a, b)]).append(row)
    linked = set(by_pair) | near_duplicates.keys()
    star = {(rep, m) for rep, group in members.items() for m in group[1:]}

    # pairs (a, b) of representatives some of whose members come the other way round
    flips = sorted(
        (a, b)
        for a, b in linked - star
        if a != b and max(members.get(a, [a])) > b and (a in members or b in members)
    )
    flipped: dict[tuple[int, int], list[list[int]]] = defaultdict(list)
    if flips:
        wrong_way = np.array([(b, a) for a, b in flips], dtype=np.int64)
        aligned = align_pairs(
            shingled.shingles,
            shingled.shingle_ptr,
            wrong_way,
            shingle_size=config.shingle_size,
            min_words=config.min_passage_words,
            max_gap=config.max_gap_words,
            words=shingled.tokens,  # as verify aligns: through edits
            max_bridge=config.max_bridge_words,
            min_exact_share=config.min_exact_share,
            min_fragment_words=config.min_fragment_words,
            return_edits=True,
        )
        assert len(aligned) == 3  # with the edits
        pair_index, passages, edits = aligned
        for k, row in zip(pair_index.tolist(), alignment_rows(passages, edits).tolist()):
            flipped[flips[k]].append(row)

    out_rows: dict[tuple[int, int], list[list[int]]] = {}
    out_near: dict[tuple[int, int], Overlap] = {}
    out_measures: dict[tuple[int, int], Overlap] = {}

    def put(x: int, y: int, rows: list[list[int]], near: Overlap | None, m: Overlap | None):
        if rows:
            out_rows[(x, y)] = rows
        if near is not None:
            out_near[(x, y)] = near
        if m is not None:
            out_measures[(x, y)] = m

    for a, b in linked:
        if (a, b) in star:
            continue
        found, near, m = by_pair.get((a, b), []), near_duplicates.get((a, b)), measures.get((a, b))
        for x in members.get(a, [a]):
            for y in members.get(b, [b]):
                if x < y:
                    put(x, y, found, near, m)
                else:
                    put(
                        y,
                        x,
                        flipped.get((a, b), []),
                        None if near is None else _flip(near),
                        None if m is None else _flip(m),
                    )
    for rep, group in members.items():
        first = (rep, group[1])
        found, m = by_pair.get(first, []), measures[first]
        # identical band keys make every pair of members an LSH candidate
        near = m if m.jaccard >= config.threshold else None
        for i, x in enumerate(group):
            for y in group[i + 1 :]:
                put(x, y, found, near, m)
    expanded: list[tuple[int, int, list[int]]] = [
        (a, b, row) for (a, b) in sorted(out_rows) for row in out_rows[(a, b)]
    ]
    repeats = [
        (m, row) for doc in self_rows for m in members.get(doc, [doc]) for row in self_rows[doc]
    ]
    repeats.sort(key=lambda item: item[0])  # stable: each document's rows keep their order
    expanded.extend((m, m, row) for m, row in repeats)
    span_docs, starts, ends = span_offsets(expanded, shingled.tokens)
    spans = np.stack([span_docs, starts, ends])
    return expanded, spans, out_near, out_measures
