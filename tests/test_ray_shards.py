"""A scan whose input shards are read by the workers (dedup.ray_scan) finds what a scan of the
same inputs read here finds, with the same rejects and warnings.

Run here on local threads (the tasks are the Ray tasks; tests/test_ray.py runs them on a
two-node Ray cluster), so these tests need no Ray.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dedup.api import scan
from dedup.copies import MIN_GROUP_DOCS
from dedup.ingest import CorpusReader
from dedup.parallel import LocalEngine
from dedup.ray_scan import scan_shards
from dedup.ray_shards import Shard, input_shards
from dedup.types import Record
from tests.conftest import assert_same_scan


def shard_corpus(seed_records: list[Record]) -> list[dict]:
    """The seeds, copies cut and mixed from them, one copied more than ``MIN_GROUP_DOCS``
    times (a copy group), one without words and one with a date that does not parse."""
    rows = []
    for k, seed in enumerate(seed_records):
        paragraphs = [p for p in seed.text.split("\n") if p.strip()]
        other = [p for p in seed_records[(k + 1) % len(seed_records)].text.split("\n") if p]
        rows.append({"id": seed.id, "text": seed.text, "outlet": f"o{k}", "date": "2024-01-02"})
        rows.append({"id": f"{seed.id}-cut", "text": "\n".join(paragraphs[1:])})
        rows.append({"id": f"{seed.id}-mixed", "text": "\n".join(paragraphs[:3] + other[-2:])})
    for copy in range(MIN_GROUP_DOCS + 1):
        rows.append({"id": f"wire-{copy:02d}", "text": seed_records[0].text, "title": "t"})
    rows.append({"id": "empty", "text": "... -- !!"})
    rows.append({"id": "odd-date", "text": seed_records[1].text[:900], "date": "not a date"})
    return rows


def write_shards(rows: list[dict], folder: Path, parts: int = 4) -> Path:
    """``rows`` dealt round-robin to ``parts`` shards in ``folder``: JSON lines, gzipped JSON
    lines, Parquet, and JSON lines again; a bad line and an id seen in an earlier shard
    added to the last."""
    folder.mkdir(parents=True, exist_ok=True)
    for part in range(parts):
        mine = rows[part::parts]
        lines = "".join(json.dumps(row) + "\n" for row in mine)
        if part == 1:
            (folder / f"part-{part}.jsonl.gz").write_bytes(gzip.compress(lines.encode()))
        elif part == 2:
            columns = ["id", "text", "outlet", "date", "title"]
            table = pa.table({c: [row.get(c) for row in mine] for c in columns})
            pq.write_table(table, folder / f"part-{part}.parquet")
        else:
            if part == parts - 1:
                lines += "{not json\n" + json.dumps({"id": rows[0]["id"], "text": "again"}) + "\n"
            (folder / f"part-{part}.jsonl").write_text(lines, encoding="utf-8")
    return folder


@pytest.fixture
def shards(seed_records, tmp_path) -> Path:
    return write_shards(shard_corpus(seed_records), tmp_path / "shards")


@pytest.fixture
def small_jobs(monkeypatch):
    """Many small jobs, so that results are put back together from several."""
    monkeypatch.setattr("dedup.words.BATCH_CHARS", 2000)
    monkeypatch.setattr("dedup.ray_scan.BATCH_CHARS", 2000)
    monkeypatch.setattr("dedup.verify.ALIGN_CHUNK", 4)


def test_shards_of_inputs(shards, tmp_path):
    options = CorpusReader([]).options
    found = input_shards([str(shards), str(shards / "part-0.jsonl")], options)
    assert found is not None
    assert [(s.number, Path(s.path).name, s.kind) for s in found] == [
        (0, "part-0.jsonl", "jsonl"),
        (1, "part-1.jsonl.gz", "jsonl"),
        (2, "part-2.parquet", "parquet"),
        (3, "part-3.jsonl", "jsonl"),
        (4, "part-0.jsonl", None),  # an input file of its own: read as the input it is
    ]
    assert input_shards(["-"], options) is None  # standard input is read here
    strict = CorpusReader([], options=type(options)(strict=True)).options
    assert input_shards([str(shards)], strict) is None
    assert input_shards(["corpus"], options) == [Shard(0, "corpus")]  # .txt files: one shard


@pytest.mark.parametrize("partitions", [1, 3])
def test_sharded_scan_is_the_scan(shards, small_jobs, tmp_path, partitions):
    here = CorpusReader([str(shards)])
    expected = scan(here, spill="never")
    there = CorpusReader([str(shards)])
    found = scan_shards(
        there,
        input_shards(there.paths, there.options) or [],
        None,
        LocalEngine(2),
        spill_dir=tmp_path / "spill",
        partitions=partitions,
    )
    assert_same_scan(found, expected)
    assert found.groups == expected.groups and expected.groups
    assert found.rejects == expected.rejects
    assert [r.reason for r in expected.rejects] == ["no words"]
    assert (there.rejects, there.warnings) == (here.rejects, here.warnings)
    assert (there.records, there.files) == (here.records, here.files)
    reasons = [r.reason for r in here.rejects]
    assert len(reasons) == 2 and reasons[1].startswith("duplicate id")
    assert len(here.warnings) == 1 and expected.pairs and expected.passages
    assert not list((tmp_path / "spill").iterdir())  # the scratch is removed


def test_sharded_scan_reads_shards_in_any_order_the_same(seed_records, small_jobs, tmp_path):
    rows = shard_corpus(seed_records)
    forward = write_shards(rows, tmp_path / "forward")
    backward = write_shards(rows[::-1], tmp_path / "backward")
    results = []
    for folder in (forward, backward):
        reader = CorpusReader([str(folder)])
        shards = input_shards(reader.paths, reader.options) or []
        results.append(scan_shards(reader, shards, None, LocalEngine(2), spill_dir=tmp_path))
    # the ids' order, not the reading order, numbers the documents (the repeated id and
    # the bad line fall elsewhere, so only the found copy is compared)
    assert results[0].pairs == results[1].pairs and results[0].passages == results[1].passages


def test_patterns_are_shards_and_missing_inputs_are_read_here(shards, small_jobs, tmp_path):
    options = CorpusReader([]).options
    pattern = str(shards / "part-*.jsonl*")
    found = input_shards([pattern], options)
    assert found is not None
    assert [(Path(s.path).name, s.kind) for s in found] == [
        ("part-0.jsonl", "jsonl"),
        ("part-1.jsonl.gz", "jsonl"),
        ("part-3.jsonl", "jsonl"),
    ]
    # read here, where the reader gives the one-line error
    assert input_shards([str(tmp_path / "missing.jsonl")], options) is None
    assert input_shards([str(tmp_path / "none-*.jsonl")], options) is None
    here, there = CorpusReader([pattern]), CorpusReader([pattern])
    expected = scan(here, spill="never")
    result = scan_shards(there, found, None, LocalEngine(2), spill_dir=tmp_path / "spill")
    assert_same_scan(result, expected)
    assert (there.rejects, there.warnings) == (here.rejects, here.warnings) and here.rejects


class TaskLog:
    """A local engine that notes each map's task and number of jobs."""

    reads_shards = True
    objects_shared = False

    def __init__(self, engine: LocalEngine) -> None:
        self.engine = engine
        self.maps: list[tuple[str, int]] = []

    @property
    def workers(self) -> int:
        return self.engine.workers

    def map_ordered(self, task, shared, jobs):
        jobs = list(jobs)
        self.maps.append((task.__name__, len(jobs)))
        return self.engine.map_ordered(task, shared, jobs)


def test_each_block_of_pairs_is_verified_by_a_task(shards, small_jobs, tmp_path, monkeypatch):
    monkeypatch.setattr("dedup.ray_scan.RAY_BLOCK_DOCS", 4)  # many blocks
    expected = scan(CorpusReader([str(shards)]), spill="never")
    reader = CorpusReader([str(shards)])
    engine = TaskLog(LocalEngine(2))
    found = scan_shards(
        reader, input_shards(reader.paths, reader.options) or [], None, engine, spill_dir=tmp_path
    )
    assert_same_scan(found, expected)
    assert found.groups == expected.groups and expected.groups
    blocks = [jobs for name, jobs in engine.maps if name == "_verify_block_job"]
    assert len(blocks) == 1 and blocks[0] > 1  # one map, a task per block
    # the driver neither measures nor aligns: those run inside the block's task
    names = {name for name, _ in engine.maps}
    assert not names & {"_align_chunk", "shingle_overlaps"}
    assert "_measure_job" in names  # the copy groups' measures, by tasks too
