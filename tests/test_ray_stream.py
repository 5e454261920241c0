"""A Ray scan whose result is written as it is read (dedup.api.scan_streamed): its documents
are made from columns and its passages' texts read from the files the cut tasks wrote, and
the files written are byte for byte those of a local scan.

Run here on local threads (the tasks are the Ray tasks; tests/test_ray.py runs the command
on a two-node Ray cluster), so these tests need no Ray.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dedup.api import scan, scan_streamed
from dedup.ingest import CorpusReader
from dedup.parallel import LocalEngine
from dedup.ray_meta import RecordColumnsBuilder
from dedup.ray_result import DocumentColumns, PassageTexts, for_display
from dedup.types import Record
from dedup.writers import write_scan
from tests.test_ray_shards import shard_corpus, write_shards

FILES = ("pairs.jsonl", "passages.jsonl", "documents.jsonl", "rejects.jsonl", "groups.jsonl")


class ShardReading:
    """A local engine that reads input shards as Ray's does (``reads_shards``)."""

    reads_shards = True
    objects_shared = False

    def __init__(self, workers: int) -> None:
        self.engine = LocalEngine(workers)

    @property
    def workers(self) -> int:
        return self.engine.workers

    def map_ordered(self, task, shared, jobs):
        return self.engine.map_ordered(task, shared, jobs)


@pytest.fixture
def shards(seed_records, tmp_path) -> Path:
    return write_shards(shard_corpus(seed_records), tmp_path / "shards")


@pytest.fixture
def small_files(monkeypatch):
    """Many words tasks, and a few passages a cut file, so that texts span several files."""
    monkeypatch.setattr("dedup.words.BATCH_CHARS", 2000)
    monkeypatch.setattr("dedup.ray_scan.BATCH_CHARS", 2000)
    monkeypatch.setattr("dedup.ray_verify.PASSAGE_TEXTS_PER_JOB", 3)


def local_files(shards: Path, out: Path) -> dict[str, bytes]:
    reader = CorpusReader([str(shards)])
    result = scan(reader, spill="never")
    result = result.replace(rejects=(*reader.rejects, *result.rejects))
    write_scan(result, out, warnings=reader.warnings)
    return {name: (out / name).read_bytes() for name in FILES}


def test_streamed_ray_scan_writes_the_local_files(shards, small_files, tmp_path):
    expected = local_files(shards, tmp_path / "local")
    reader = CorpusReader([str(shards)])
    spill = tmp_path / "spill"
    with scan_streamed(reader, workers=ShardReading(2), spill_dir=spill) as result:
        # held as columns and files, not as a record a document and a text a passage
        assert isinstance(result.documents, DocumentColumns)
        assert isinstance(result.passages, PassageTexts)
        assert len(result.passages.paths) > 1  # the texts lie in several files
        assert list(spill.iterdir())  # ... in the scratch folder, until the block ends
        result = result.replace(rejects=(*reader.rejects, *result.rejects))
        write_scan(result, tmp_path / "ray", warnings=reader.warnings)
        # read in any order, a passage is the one read in order
        passages = list(result.passages)
        assert [result.passages[k] for k in reversed(range(len(passages)))] == passages[::-1]
        assert result.passages[-1] == passages[-1]
        assert result.documents[1:3] == list(result.documents)[1:3]
        # the top-pairs table is shown the passages of the top pairs, and no other
        shown = for_display(result, 3)
        ranked = sorted(
            result.pairs, key=lambda p: (-max(p.reused_words_a, p.reused_words_b), p.a, p.b)
        )
        top = ranked[:3]
        assert {p.id for p in shown.passages} == {a.cluster for p in top for a in p.alignments}
        assert set(shown.passages) < set(passages)
    assert not spill.exists()  # the scratch is removed (and the folder made for it)
    assert result.counts["passages"] == len(passages) > 3
    assert result.counts["documents_with_repeats"] == sum(
        1 for d in result.documents if d.repeated_words
    )
    got = {name: (tmp_path / "ray" / name).read_bytes() for name in FILES}
    assert got == expected
    assert expected["passages.jsonl"] and expected["groups.jsonl"]


def test_streamed_scan_elsewhere_is_the_scan(shards, tmp_path):
    """Not on Ray (or with spill never), the context gives the result of scan itself."""
    expected = scan(CorpusReader([str(shards)]), spill="never")
    with scan_streamed(CorpusReader([str(shards)]), spill="never") as result:
        assert isinstance(result.documents, tuple) and isinstance(result.passages, tuple)
        assert result.pairs == expected.pairs and result.passages == expected.passages
    with scan_streamed(CorpusReader([str(shards)]), workers=ShardReading(2), spill="never") as got:
        assert isinstance(got.passages, tuple) and got.documents == expected.documents
    with pytest.raises(ValueError, match="spill must be one of"), scan_streamed([], spill="no"):
        pass


def test_record_columns_give_back_the_records():
    records = [
        Record("b", "", "Wire", "2024-01-02", None, None, "part-0.jsonl:1"),
        Record("a", "", None, None, None, None, "caf\udce9/part-1.jsonl:7"),  # a path's bad byte
        Record("c", "", "Wire", None, None, None, ""),
    ]
    building = RecordColumnsBuilder()
    for r in records:
        building.add(r.id, r.outlet, r.date, r.source)
    columns = building.finish()
    assert list(columns) == records and len(columns) == 3
    assert columns.values == [None, "Wire", "2024-01-02"]  # each outlet and date once
    assert columns[-1] == records[-1] and list(columns[1:]) == records[1:]
    assert columns.id_order().tolist() == [1, 0, 2]
    taken = columns.take(np.array([2, 1]))
    assert list(taken) == [records[2], records[1]] and taken.take(np.array([1]))[0] == records[1]
    assert taken.id_order().tolist() == [1, 0]
    twice = RecordColumnsBuilder()
    twice.add("x", None, None, "s:1")
    twice.add("x", None, None, "s:2")
    with pytest.raises(ValueError, match='id "x" is held twice'):
        twice.finish().id_order()
