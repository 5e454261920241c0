"""The jobs built on a scan: clean (rules and duplicates), stories, chains, the report inputs."""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dedup import rules
from dedup.candidates import candidates_stage
from dedup.config import Config
from dedup.duplicates import duplicate_drops, keep_order
from dedup.edits import A_HI, A_LO, B_HI, B_LO
from dedup.inmemory import scan
from dedup.parallel import Engine, resolve_engine
from dedup.passage_keys import winnow
from dedup.prepare import prepare_records
from dedup.shingle import (
    Tokens,
)
from dedup.types import (
    ChainsResult,
    CleanedDocument,
    CleanResult,
    Cut,
    DuplicateDrop,
    ProgressFn,
    Record,
    ScanResult,
    StoriesResult,
)
from dedup.verify import align_candidates
from dedup.words import Shingled, shingle_corpus
from dedup.workspace import Workspace

if TYPE_CHECKING:  # imported where used: scikit-learn takes half a second to import
    from dedup.clustering import StoryClusterer


def clean(
    records: Iterable[Record],
    config: Config | None = None,
    *,
    drop_duplicates: bool = False,
    progress: ProgressFn | None = None,
    workers: int | Engine = 1,
    count_duplicates: bool = True,
) -> CleanResult:
    """Remove repeated bodies, repeated lines and boilerplate; optionally collapse
    near-duplicate documents to the earliest one.

    Near-duplicates are found (and counted, ``counts["near_duplicates"]``) even without
    ``drop_duplicates``, unless ``count_duplicates`` is false: a job that cleans its input
    before its own work (stories) skips that scan.

    Every removal is a :class:`dedup.types.Cut` on the document, so the original is the
    cleaned text with its cuts put back. ``workers`` threads (0: every core) share the
    words, alignment and duplicate scan; the result is the same for any number.
    """
    config = config or Config()
    engine = resolve_engine(workers)
    docs, rejects = prepare_records(records)
    texts = [r.text for r in docs]
    skip = set(config.clean_skip)
    shingled = shingle_corpus(texts, config.shingle_size, progress, workers=engine)
    copies = _self_copies(shingled, config, engine) if "self-duplicate" not in skip else {}
    lines = [
        rules.lines_of(text, doc_words.starts, doc_words.hashes)
        for text, doc_words in zip(texts, _doc_tokens(shingled))
    ]
    learned: set[tuple[str, str, bytes]] = set()
    if "learned" not in skip:
        learned = rules.learn_boilerplate(
            lines,
            [r.outlet for r in docs],
            min_docs=config.boilerplate_min_docs,
            fraction=config.boilerplate_fraction,
            max_words=config.boilerplate_max_words,
        )
    cut_rules = CutRules.of(config, learned, docs)
    cleaned: list[CleanedDocument] = []
    for index, (record, doc_lines) in enumerate(zip(docs, lines)):
        text = record.text
        spans = cut_rules.spans(record, text, doc_lines, copies.get(index, []))
        cleaned.append(CleanedDocument(record, rules.apply_cuts(text, spans), _cuts(record, spans)))
        if progress and (index % 1024 == 0 or index == len(docs) - 1):
            progress("clean", index + 1, len(docs))

    # found either way, so that a clean without --drop-duplicates can say how many it would
    # collapse (reprints are what users expect clean to remove); applied only when asked
    duplicates: list[DuplicateDrop] = []
    if drop_duplicates or count_duplicates:
        collapsed, duplicates = _drop_duplicates(cleaned, config, engine)
        if drop_duplicates:
            cleaned = collapsed
    removed: dict[str, int] = defaultdict(int)
    for doc in cleaned:
        for cut in doc.cuts:
            key = "duplicate-of" if cut.reason.startswith("duplicate-of:") else cut.reason
            removed[key] += cut.end - cut.start
    counts = {
        "documents": len(cleaned),
        "kept": sum(1 for d in cleaned if d.duplicate_of is None),
        **({"near_duplicates": len(duplicates)} if drop_duplicates or count_duplicates else {}),
        "dropped_duplicates": len(duplicates) if drop_duplicates else 0,
        "documents_with_cuts": sum(1 for d in cleaned if d.cuts),
        "characters": sum(len(r.text) for r in docs),
        "characters_removed": sum(removed.values()),
        **{f"removed:{reason}": chars for reason, chars in sorted(removed.items())},
    }
    dropped = tuple(duplicates) if drop_duplicates else ()
    return CleanResult(config, tuple(cleaned), dropped, tuple(rejects), counts)


def _doc_tokens(shingled: Shingled) -> Iterator[Tokens]:
    """Each document's words (a view into the corpus arrays)."""
    for index in range(shingled.tokens.n_docs):
        yield shingled.tokens.doc(index)


def _self_copies(
    shingled: Shingled, config: Config, engine: Engine
) -> dict[int, list[tuple[int, int, int, int]]]:
    """Per document, the character spans of the two copies of each text it repeats."""
    keys = winnow(shingled.shingles, shingled.shingle_ptr, config.passage_window)
    n_docs = len(shingled.shingle_ptr) - 1
    _, found = candidates_stage(np.zeros((n_docs, 0), dtype=np.uint64), keys, config, engine)
    return self_copies(shingled, found.self_docs, config, engine)


def self_copies(
    shingled: Shingled, docs: np.ndarray, config: Config, engine: Engine
) -> dict[int, list[tuple[int, int, int, int]]]:
    """Of each document numbered in ``docs`` (documents of ``shingled`` with evidence of a
    passage they repeat), the character spans of the two copies of each text it repeats."""
    pairs = np.stack([docs, docs], axis=1)
    raw = align_candidates(shingled, pairs, config, None, None, engine)
    tokens, ptr = shingled.tokens, shingled.tokens.doc_ptr
    copies: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
    for doc, _, row in raw:
        base = int(ptr[doc])
        copies[doc].append(
            (
                int(tokens.starts[base + row[A_LO]]),
                int(tokens.ends[base + row[A_HI] - 1]),
                int(tokens.starts[base + row[B_LO]]),
                int(tokens.ends[base + row[B_HI] - 1]),
            )
        )
    return copies


def _cuts(record: Record, spans: Sequence[rules.Span]) -> tuple[Cut, ...]:
    return tuple(
        Cut(record.id, s.start, s.end, s.reason, record.text[s.start : s.end]) for s in spans
    )


@dataclass(frozen=True)
class CutRules:
    """Every rule of a clean, set for one corpus: what each document's cuts are made by,
    in memory (:func:`clean`) and streamed (:mod:`dedup.clean_spilled`) alike."""

    config: Config
    learned: set[tuple[str, str, bytes]]
    titles: set[str]
    user_patterns: list[re.Pattern[str]]
    skip: frozenset[str]

    @classmethod
    def of(
        cls, config: Config, learned: set[tuple[str, str, bytes]], records: Iterable[Record]
    ) -> CutRules:
        """The rules of ``config``, the ``learned`` boilerplate, and the titles of
        ``records`` (a teaser line is another article's title)."""
        return cls(
            config,
            learned,
            {rules.normalise_title(r.title) for r in records if r.title},
            [re.compile(p, re.MULTILINE) for p in config.boilerplate_patterns],
            frozenset(config.clean_skip),
        )

    def spans(
        self,
        record: Record,
        text: str,
        doc_lines: rules.Lines,
        copies: Sequence[tuple[int, int, int, int]],
    ) -> list[rules.Span]:
        """The cuts of one document: furniture, then (unless skipped) the passages it
        repeats (``copies``, aligned with itself) and its repeated lines, combined."""
        found = rules.furniture_spans(
            text,
            doc_lines,
            record.outlet,
            learned=self.learned,
            max_words=self.config.boilerplate_max_words,
            user_patterns=self.user_patterns,
            skip=self.skip,
            titles=self.titles,
            own_title=record.title,
        )
        if "self-duplicate" not in self.skip:
            found.append(
                rules.self_duplicate_spans(text, copies) + rules.repeated_line_spans(doc_lines)
            )
        return rules.combine(text, found, doc_lines.bounds)


def _drop_duplicates(
    cleaned: list[CleanedDocument], config: Config, engine: Engine
) -> tuple[list[CleanedDocument], list[DuplicateDrop]]:
    """Keep the earliest document (by date, then id; undated last) of near-duplicates
    (:mod:`dedup.duplicates`).

    Passage coverage alone would not make two documents near-duplicates: it counts edited
    words, and the same template with new figures (a price notice, a dividend) covers 100 %
    while reporting a different fact.
    """
    with_words = [dataclasses.replace(d.record, text=d.text) for d in cleaned if d.text.strip()]

    def scan_some(ids: set[str] | None, near: bool) -> ScanResult:
        chosen = with_words if ids is None else [r for r in with_words if r.id in ids]
        return scan(chosen, config, workers=engine, near_groups=near, representative_key=keep_order)

    dropped = duplicate_drops(scan_some, [d.record for d in cleaned], config)
    out = []
    for doc in cleaned:
        drop = dropped.get(doc.record.id)
        if drop is None:
            out.append(doc)
            continue
        whole = rules.Span(0, len(doc.record.text), f"duplicate-of:{drop.kept}")
        spans = rules._insert([rules.Span(c.start, c.end, c.reason) for c in doc.cuts], whole)
        out.append(CleanedDocument(doc.record, "", _cuts(doc.record, spans), drop.kept))
    return out, sorted(dropped.values(), key=lambda d: d.dropped)


def stories(
    records: Iterable[Record],
    config: Config | None = None,
    *,
    clusterer: StoryClusterer | None = None,
    use_clean: bool = True,
    use_links: bool = True,
    progress: ProgressFn | None = None,
    workers: int | Engine = 1,
) -> StoriesResult:
    """Group records into stories.

    The text is cleaned first (``use_clean``: boilerplate and repeats would otherwise pull
    unrelated articles of one outlet together), and pairs that ``scan`` finds sharing a
    reused passage are given to the clusterer as links (``use_links``). ``workers``
    threads (0: every core) run the cleaning and the scan.
    """
    config = config or Config()
    engine = resolve_engine(workers)
    clusterer = clusterer or story_clusterer(config)
    docs, rejects = prepare_records(records)
    texts = list(docs)
    if use_clean:
        cleaned = clean(docs, config, progress=progress, workers=engine, count_duplicates=False)
        texts = [dataclasses.replace(d.record, text=d.text) for d in cleaned.documents]
    links: list[tuple[int, int]] = []
    copies: list[list[int]] = []
    link_pairs = 0
    if use_links:
        position = {record.id: k for k, record in enumerate(texts)}
        # a copy group is one record to the clusterer (dedup.story_copies), its pairs with
        # other documents the representative's; without groups these are every linked pair
        found = scan([t for t in texts if t.text.strip()], config, workers=engine)
        links = [(position[p.a], position[p.b]) for p in found.pairs]
        copies = [
            [position[g.representative], *(position[m.doc] for m in g.members)]
            for g in found.groups
        ]
        link_pairs = len(links)
    from dedup.story_copies import fit_with_copies

    fit_with_copies(clusterer, texts, links, copies)
    counts = {
        "documents": len(docs),
        "rejected": len(rejects),
        "stories": clusterer.n_clusters_,
        "stories_with_several_documents": sum(1 for s in clusterer.stories_ if len(s.members) > 1),
        "events": clusterer.n_events_,
        "template_words": clusterer.n_template_words_,
        "passage_links": link_pairs,
    }
    return StoriesResult(config, clusterer, tuple(clusterer.stories_), tuple(rejects), counts)


def story_clusterer(config: Config) -> StoryClusterer:
    """The story clusterer that ``config`` describes."""
    from dedup.clustering import StoryClusterer

    return StoryClusterer(
        n_neighbors=config.story_neighbors,
        min_lift=config.story_min_lift,
        resolution=config.story_resolution,
        min_conductance=config.story_min_conductance,
        window_days=config.story_window_days or None,
        title_weight=config.story_title_weight,
        random_state=config.seed,
    )


def chains(
    records: Iterable[Record],
    config: Config | None = None,
    *,
    progress: ProgressFn | None = None,
    workspace: Workspace | None = None,
    workers: int | Engine = 1,
) -> ChainsResult:
    """Scan the records (``workers`` threads, 0: every core, or an engine), then decide who
    took whose copy (:func:`dedup.syndication.build_chains`).

    Returns
    -------
    ChainsResult
        Its ``scan`` is the scan the chains rest on.
    """
    config = config or Config()
    records = list(records)
    from dedup.chain_groups import source_first
    from dedup.syndication import build_chains

    # each copy group's representative is the copy that comes first (dedup.chain_groups)
    result = scan(
        records, config, progress=progress, workspace=workspace, workers=resolve_engine(workers),
        representative_key=source_first(config),
    )  # fmt: skip
    return build_chains(records, result, config)


@dataclass(frozen=True)
class ReportInputs:
    """What the HTML report shows: the records, and the scan, stories and chains over them."""

    records: tuple[Record, ...]
    scan: ScanResult
    stories: StoriesResult
    chains: ChainsResult


def report(
    records: Iterable[Record],
    config: Config | None = None,
    *,
    progress: ProgressFn | None = None,
) -> ReportInputs:
    """Scan, group into stories and build the syndication chains, for ``dedup.html``.

    The chains are built from this very scan, so every edge rests on passages the report
    highlights.
    """
    config = config or Config()
    records = tuple(records)
    chained = chains(records, config, progress=progress)
    grouped = stories(records, config, progress=progress)
    return ReportInputs(records, chained.scan, grouped, chained)
