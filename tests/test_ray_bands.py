"""The band keys of a scan on Ray stay in the words tasks' files (dedup.ray_bands): tasks per
key partition find the LSH candidates and the copy groups' band buckets, and the results are
those of the band key matrix in memory.

Run on local threads (the tasks are the Ray tasks; tests/test_ray.py runs a scan on a
two-node Ray cluster), so these tests need no Ray.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from dedup.api import scan
from dedup.config import Config
from dedup.copies import MIN_GROUP_DOCS, DenseBands, consensus_members
from dedup.ingest import CorpusReader
from dedup.lsh import candidate_pairs
from dedup.parallel import LocalEngine
from dedup.ray_bands import BAND_ROW, BandFiles, write_band_keys
from dedup.ray_scan import scan_shards
from dedup.ray_shards import input_shards
from tests.conftest import assert_same_scan
from tests.test_ray_shards import shard_corpus, write_shards


def planted_keys(n_docs: int, bands: int, seed: int) -> np.ndarray:
    """Random band keys with many shared ones: each key drawn from a small pool per band."""
    rng = np.random.default_rng(seed)
    pool = rng.integers(0, 2**63, size=(n_docs // 3, bands), dtype=np.uint64)
    pick = rng.integers(0, len(pool), size=(n_docs, bands))
    keys = pool[pick, np.arange(bands)]
    unique = rng.random((n_docs, bands)) < 0.5  # half of them nobody else's
    keys[unique] = rng.integers(0, 2**63, size=int(unique.sum()), dtype=np.uint64)
    return keys


def band_files(keys: np.ndarray, tmp_path, parts: int, jobs: int) -> BandFiles:
    """``keys`` written as ``jobs`` words tasks would write them."""
    bases = np.linspace(0, len(keys), jobs + 1).astype(np.int64)
    counts = [
        write_band_keys(str(tmp_path), job, keys[lo:hi], parts)
        for job, (lo, hi) in enumerate(itertools.pairwise(bases.tolist()))
    ]
    return BandFiles(
        str(tmp_path), np.array(counts), bases[:-1], len(keys), keys.shape[1], LocalEngine(2)
    )


@pytest.mark.parametrize(("parts", "jobs"), [(1, 1), (3, 4), (7, 2)])
def test_band_files_give_the_matrix_results(tmp_path, parts, jobs):
    keys = planted_keys(300, 6, seed=parts)
    files = band_files(keys, tmp_path, parts, jobs)
    expected = candidate_pairs(keys)
    assert len(expected) > 100
    assert np.array_equal(files.candidate_pairs(None), expected)
    kept = np.flatnonzero(np.random.default_rng(1).random(len(keys)) < 0.6)
    assert np.array_equal(files.candidate_pairs(kept), kept[candidate_pairs(keys[kept])])
    heads = np.flatnonzero(np.random.default_rng(2).random(len(keys)) < 0.8)

    def edges(found: np.ndarray) -> np.ndarray:
        return np.unique(np.sort(found, axis=1), axis=0)

    dense = DenseBands(keys).first_links(heads)
    assert len(dense) > 100
    assert np.array_equal(edges(files.first_links(heads)), edges(dense))
    docs = np.sort(np.random.default_rng(3).choice(len(keys), 60, replace=False))
    labels = np.random.default_rng(4).integers(0, 5, len(docs))
    assert np.array_equal(files.consensus(docs, labels), consensus_members(docs, labels, keys))
    files.remove()
    assert not list(tmp_path.iterdir())


class ResultLog:
    """A local engine that notes each map's task and the uint64 values its tasks returned
    (by task)."""

    reads_shards = True
    objects_shared = False

    def __init__(self, engine: LocalEngine) -> None:
        self.engine = engine
        self.names: list[str] = []
        self.returned_u64: dict[str, int] = {}
        self.band_rows = 0

    @property
    def workers(self) -> int:
        return self.engine.workers

    def map_ordered(self, task, shared, jobs):
        self.names.append(task.__name__)
        for result in self.engine.map_ordered(task, shared, list(jobs)):
            self._note(task.__name__, result)
            yield result

    def _note(self, name: str, value) -> None:
        if isinstance(value, np.ndarray):
            if value.dtype == np.uint64:
                self.returned_u64[name] = self.returned_u64.get(name, 0) + value.size
            self.band_rows += value.size if value.dtype == BAND_ROW else 0
        elif isinstance(value, (tuple, list)):
            for item in value:
                self._note(name, item)


def near_copy_corpus(seed_records) -> list[dict]:
    """The shard corpus and a story copied ``MIN_GROUP_DOCS + 2`` times, each copy with a
    different word changed: a near group, found through the band buckets."""
    rows = shard_corpus(seed_records)
    words = seed_records[2].text.split(" ")
    for copy in range(MIN_GROUP_DOCS + 2):
        edited = list(words)
        at = (copy * 37 + 11) % len(edited)
        edited[at] = f"changed{copy}"
        rows.append({"id": f"near-{copy:02d}", "text": " ".join(edited)})
    return rows


def test_band_keys_never_reach_the_driver(seed_records, tmp_path, monkeypatch):
    monkeypatch.setattr("dedup.words.BATCH_CHARS", 2000)
    monkeypatch.setattr("dedup.ray_scan.BATCH_CHARS", 2000)
    folder = write_shards(near_copy_corpus(seed_records), tmp_path / "shards")
    consensus = []
    original = BandFiles.consensus

    def noted(self, docs, labels):
        consensus.append(len(docs))
        return original(self, docs, labels)

    monkeypatch.setattr(BandFiles, "consensus", noted)
    expected = scan(CorpusReader([str(folder)]), spill="never")
    reader = CorpusReader([str(folder)])
    engine = ResultLog(LocalEngine(2))
    found = scan_shards(
        reader,
        input_shards(reader.paths, reader.options) or [],
        None,
        engine,
        spill_dir=tmp_path / "spill",
        partitions=3,
    )
    assert_same_scan(found, expected)
    assert found.groups == expected.groups
    assert any(not group.exact for group in expected.groups)  # a near group among them
    assert consensus  # its representative chosen by a task
    assert {"_pairs_job", "_links_job", "_consensus_job"} <= set(engine.names)
    # the words tasks return one uint64 a document (its exact-copy key), where the band
    # keys would be ``bands`` a document more; the band tasks return pairs (int64)
    bands = Config().bands
    assert bands and bands > 1
    assert engine.returned_u64["_words_job"] == found.counts["documents"]
    band_tasks = ("_pairs_job", "_links_job", "_consensus_job")
    assert not any(engine.returned_u64.get(name) for name in band_tasks)
    assert engine.band_rows == 0
    assert not list((tmp_path / "spill").iterdir())


def test_band_files_survive_no_document(tmp_path):
    files = band_files(np.zeros((0, 4), dtype=np.uint64), tmp_path, 2, 1)
    assert files.candidate_pairs(None).shape == (0, 2)
    assert files.first_links(np.zeros(0, dtype=np.int64)).shape == (0, 2)
    assert json.dumps(files.counts.tolist()) == "[[0, 0]]"
