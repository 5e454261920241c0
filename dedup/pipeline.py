"""Stage order of each job: the Python API the CLI is a thin layer over.

``scan(records, config)`` runs the stages of a scan in memory: prepare the records
(:mod:`dedup.prepare`) → words and offsets, then signatures (:mod:`dedup.words`) →
candidates from the document LSH and the passage keys (:mod:`dedup.candidates`) →
verification and alignment of every candidate (:mod:`dedup.verify`) → passage clusters,
pairs and document measures (:mod:`dedup.assemble`). :func:`scan_spilled`
(:mod:`dedup.spilled`) runs the same stages over a corpus held on disk, and
:func:`index_query` (:mod:`dedup.index`) against a stored corpus.

``clean``, ``stories``, ``chains`` and ``report`` (:mod:`dedup.jobs`) build on a scan.
"""

from __future__ import annotations

from dedup.index import (
    IndexAddResult,
    IndexRemoveResult,
    index_add,
    index_info,
    index_query,
    index_remove,
    index_settings,
    write_index_query,
)
from dedup.inmemory import SPILL_ABOVE_CHARS, hold_records, minhashes, scan
from dedup.jobs import ReportInputs, chains, clean, report, stories, story_clusterer
from dedup.spilled import scan_spilled
from dedup.types import ProgressFn
from dedup.words import Shingled, shingle_corpus

__all__ = [
    "SPILL_ABOVE_CHARS",
    "IndexAddResult",
    "IndexRemoveResult",
    "ProgressFn",
    "ReportInputs",
    "Shingled",
    "chains",
    "clean",
    "hold_records",
    "index_add",
    "index_info",
    "index_query",
    "index_remove",
    "index_settings",
    "minhashes",
    "report",
    "scan",
    "scan_spilled",
    "shingle_corpus",
    "stories",
    "story_clusterer",
    "write_index_query",
]
