"""A scan with the whole corpus in memory: prepare → words → signatures → candidates → verify →
assemble, each stage kept in a workspace for resume.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

import numpy as np

from dedup.assemble import DocTable
from dedup.candidates import candidates_stage
from dedup.config import Config
from dedup.lsh import (
    band_keys,
    winnow,
)
from dedup.parallel import Engine, resolve_engine
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
from dedup.words import signatures_stage, words_stage
from dedup.workspace import Workspace


def scan(
    records: Iterable[Record],
    config: Config | None = None,
    *,
    progress: ProgressFn | None = None,
    workspace: Workspace | None = None,
    workers: int | Engine = 1,
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

    if work.has("candidates"):
        saved = work.load("candidates")
        lsh_pairs, passage_pairs = saved["lsh_pairs"], saved["passage_pairs"]
        self_docs, common_keys = saved["self_docs"], int(saved["common_keys"])
    else:
        keys = winnow(shingled.shingles, shingled.shingle_ptr, config.passage_window)
        assert config.bands is not None and config.rows is not None  # set by Config
        lsh_pairs, passage = candidates_stage(
            band_keys(signatures, config.bands, config.rows), keys, config, engine
        )
        passage_pairs, self_docs, common_keys = (
            passage.pairs,
            passage.self_docs,
            passage.common_keys,
        )
        work.save(
            "candidates",
            lsh_pairs=lsh_pairs,
            passage_pairs=passage_pairs,
            self_docs=self_docs,
            common_keys=np.array(common_keys),
        )
    seconds["candidates"], clock = lap(clock)

    table = DocTable.of(docs, shingled.tokens)
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
    )
    candidates = (len(lsh_pairs), len(passage_pairs), len(self_docs), common_keys)
    return found.scan_result(config, table, rejects, signatures, candidates, seconds)


SPILL_ABOVE_CHARS = 1 << 25  # characters held in memory before the CLI's --spill auto spills


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
