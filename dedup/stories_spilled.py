"""Stories of a corpus larger than memory held at once: the same stories as
:func:`dedup.jobs.stories`, bit for bit, with the clean and the scan before the clustering
streamed.

In memory, the stories job holds every original text, its words and cuts for the clean and
every cleaned text's words, shingles and keys for the scan of passage links; those, not the
clustering, are most of its memory. Here the clean is :func:`dedup.clean_spilled.clean_spilled`
(the texts on disk, a batch at a time) and the links come from
:func:`dedup.spilled.scan_spilled`; the cleaned texts go to a spill of their own, and the
clusterer (:func:`dedup.story_copies.fit_with_copies`) is handed them as
:class:`dedup.story_texts.SpilledRecords`, which it reads one text (or one outlet's texts) at
a time. It still holds the TF-IDF vectors and the graph. The vectors are built a batch of
texts at a time (:mod:`dedup.story_vectors`), each batch's term counts kept in the scratch
folder, so the vocabulary of every word pair of the corpus is never held as strings.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dedup.clean_spilled import clean_spilled
from dedup.config import Config
from dedup.jobs import story_clusterer
from dedup.parallel import Engine, resolve_engine
from dedup.prepare import prepare_records
from dedup.spill import TextSpill
from dedup.spilled import is_spill_failure, make_scratch, scan_spilled, spill_error
from dedup.story_texts import SpilledRecords, SpilledTexts, metadata
from dedup.types import ProgressFn, Record, Reject, StoriesResult

if TYPE_CHECKING:  # scikit-learn loads when the clusterer is made
    from dedup.clustering import StoryClusterer


def stories_spilled(
    records: Iterable[Record],
    config: Config | None = None,
    *,
    clusterer: StoryClusterer | None = None,
    use_clean: bool = True,
    use_links: bool = True,
    spill_dir: str | Path | None = None,
    progress: ProgressFn | None = None,
    workers: int | Engine = 1,
) -> StoriesResult:
    """:func:`dedup.jobs.stories` with its clean and scan held on disk (in ``spill_dir``, a
    scratch folder removed at the end); the same result."""
    config = config or Config()
    engine = resolve_engine(workers)
    clusterer = clusterer or story_clusterer(config)
    where, folder = make_scratch(spill_dir)
    texts: Sequence[Record] = []
    try:
        texts, rejects = _texts(records, config, use_clean, folder, progress, engine)
        links: list[tuple[int, int]] = []
        copies: list[list[int]] = []
        if use_links:
            position = {record.id: k for k, record in enumerate(metadata(texts))}
            found = scan_spilled(
                (t for t in texts if t.text.strip()), config, spill_dir=folder, workers=engine
            )
            links = [(position[p.a], position[p.b]) for p in found.pairs]
            copies = [
                [position[g.representative], *(position[m.doc] for m in g.members)]
                for g in found.groups
            ]
            del found, position  # the scan's pairs are not held while the stories are made
        from dedup.story_copies import fit_with_copies

        # the TF-IDF term counts of each batch go to the scratch folder too, and so do the
        # vectors (read back a block at a time); -j processes make them
        fit_with_copies(
            clusterer, texts, links, copies, scratch=folder / "vectors", workers=engine.workers
        )
    except OSError as error:
        if not is_spill_failure(error, folder):
            raise
        raise spill_error(where, error) from error
    finally:
        if isinstance(texts, SpilledRecords):
            texts.texts.spill.close()
        shutil.rmtree(folder, ignore_errors=True)
    counts = {
        "documents": len(texts),
        "rejected": len(rejects),
        "stories": clusterer.n_clusters_,
        "stories_with_several_documents": sum(1 for s in clusterer.stories_ if len(s.members) > 1),
        "events": clusterer.n_events_,
        "template_words": clusterer.n_template_words_,
        "passage_links": len(links),
    }
    return StoriesResult(config, clusterer, tuple(clusterer.stories_), tuple(rejects), counts)


def _texts(
    records: Iterable[Record],
    config: Config,
    use_clean: bool,
    folder: Path,
    progress: ProgressFn | None,
    engine: Engine,
) -> tuple[Sequence[Record], list[Reject]]:
    """The records in id order, their texts cleaned (``use_clean``: then kept in a spill in
    ``folder``, read back as they are used), and the rejects."""
    if not use_clean:
        return prepare_records(records)
    spill = TextSpill(folder / "stories-cleaned.bin")
    with clean_spilled(
        records, config, spill_dir=folder, progress=progress, workers=engine,
        count_duplicates=False,
    ) as cleaned:  # fmt: skip
        meta = []
        for document in cleaned.documents:
            meta.append(dataclasses.replace(document.record, text=""))
            spill.append(document.text)
        rejects = list(cleaned.rejects)
    texts = SpilledTexts(spill, np.arange(len(meta), dtype=np.int64))
    return SpilledRecords(meta, texts, folder), rejects
