"""The persistent index: ``index_add`` / ``index_query`` / ``index_remove`` / ``index_info``
against a real scan of the same documents, crash safety and readers beside a writer."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from dedup.config import Config
from dedup.errors import IndexFormatError
from dedup.pipeline import index_add, index_info, index_query, index_remove, scan
from dedup.store import IndexStore, to_int64
from dedup.types import Record
from dedup.writers import pair_record
from tests.conftest import SEED_IDS

INDEXED = ("000", "003", "004")
QUERIED = ("001", "002")
WORDS = [f"w{k}" for k in range(3000)]


def by_short(seed_records: list[Record]) -> dict[str, Record]:
    return {short: next(r for r in seed_records if r.id == SEED_IDS[short]) for short in SEED_IDS}


def pair_rows(pairs) -> list[dict]:
    """Pair records without passage cluster names (numbered differently in a query)."""
    rows = []
    for pair in pairs:
        row = pair_record(pair)
        for passage in row["passages"]:
            passage.pop("passage")
        rows.append(row)
    return rows


def passage_keys(passages) -> list[tuple]:
    return sorted((p.text, p.witnesses) for p in passages)


@pytest.fixture()
def seed_index(tmp_path, seed_records):
    seeds = by_short(seed_records)
    path = tmp_path / "seeds.idx"
    index_add(path, [seeds[s] for s in INDEXED])
    return path, seeds


def test_query_equals_a_scan_of_everything_for_the_queried_documents(seed_index, seed_scan):
    path, seeds = seed_index
    result = index_query(path, [seeds[s] for s in QUERIED])
    queried = {SEED_IDS[s] for s in QUERIED}
    expected = [p for p in seed_scan.pairs if p.a in queried or p.b in queried]
    assert len(expected) == 3  # 000–001, 000–002, 001–002: the test has something to compare
    assert pair_rows(result.pairs) == pair_rows(expected)
    expected_passages = [
        p for p in seed_scan.passages if any(w.doc in queried for w in p.witnesses)
    ]
    assert passage_keys(result.passages) == passage_keys(expected_passages)
    assert [d for d in seed_scan.documents if d.id in queried] == list(result.documents)
    assert result.counts["indexed_documents"] == 3


def test_query_of_a_document_the_index_holds_leaves_the_stored_copy_out(seed_index):
    path, seeds = seed_index
    result = index_query(path, [seeds["000"]])
    assert result.pairs == ()
    assert result.counts["indexed_documents"] == 2


def test_readding_is_a_no_op(seed_index):
    path, seeds = seed_index
    before = index_info(path)
    again = index_add(path, [seeds[s] for s in INDEXED])
    assert again.unchanged == tuple(sorted(SEED_IDS[s] for s in INDEXED))
    assert again.added == again.replaced == ()
    assert index_info(path)["counts"] == before["counts"]


def test_a_changed_text_replaces_the_stored_document(seed_index):
    path, seeds = seed_index
    before = index_info(path)["counts"]
    changed = Record(SEED_IDS["000"], seeds["001"].text)
    result = index_add(path, [changed])
    assert result.replaced == (SEED_IDS["000"],)
    counts = index_info(path)["counts"]
    assert counts["documents"] == before["documents"]
    assert counts["words"] != before["words"]
    with IndexStore.open(path) as store:
        ((doc, _),) = store.digests([SEED_IDS["000"]]).values()
        assert store.documents([doc])[0].record.text == seeds["001"].text
    # the old text's keys went with it: 000 (now 001's text) fully covers the queried 001
    found = index_query(path, [seeds["001"]])
    assert any(p.near_duplicate for p in found.pairs)


def test_remove_deletes_documents_and_every_key(seed_index):
    path, seeds = seed_index
    result = index_remove(path, [SEED_IDS["003"], "nope"])
    assert result.removed == (SEED_IDS["003"],)
    assert result.unknown == ("nope",)
    assert index_info(path)["counts"]["documents"] == 2
    index_remove(path, [SEED_IDS["000"], SEED_IDS["004"]])
    counts = index_info(path)["counts"]
    assert counts == {
        "documents": 0,
        "words": 0,
        "characters": 0,
        "band_keys": 0,
        "passage_keys": 0,
    }
    assert index_query(path, [seeds["001"]]).pairs == ()


def test_keys_are_stored_as_int64_with_the_same_bits():
    keys = np.array([0, 1, 2**63, 2**64 - 1], dtype=np.uint64)
    assert to_int64(keys).tolist() == [0, 1, -(2**63), -1]
    assert to_int64(keys).view(np.uint64).tolist() == keys.tolist()


def test_a_query_with_other_key_settings_is_refused(seed_index):
    path, seeds = seed_index
    message = (
        f"{path}: the index was built with shingle_size = 5, and this run asks for "
        "shingle_size = 4; use the index's settings (leave them out) or build another index"
    )
    with pytest.raises(IndexFormatError, match=re.escape(message)):
        index_query(path, [seeds["001"]], Config(shingle_size=4))
    with pytest.raises(IndexFormatError, match="built with num_perm = 128"):
        index_add(path, [seeds["001"]], Config(num_perm=64))
    assert index_info(path)["counts"]["documents"] == 3


def test_settings_that_only_verify_may_differ(seed_index, seed_records):
    path, seeds = seed_index
    config = Config(max_gap_words=2)
    found = index_query(path, [seeds[s] for s in QUERIED], config)
    everything = scan(seed_records, config)
    queried = {SEED_IDS[s] for s in QUERIED}
    assert pair_rows(found.pairs) == pair_rows(
        [p for p in everything.pairs if p.a in queried or p.b in queried]
    )


def test_info_reports_counts_settings_and_size(seed_index, seed_texts):
    path, _ = seed_index
    facts = index_info(path)
    assert facts["counts"]["documents"] == 3
    assert facts["counts"]["characters"] == sum(len(seed_texts[s]) for s in INDEXED)
    assert facts["counts"]["band_keys"] == 3 * Config().bands
    assert facts["config"] == Config().to_dict()
    assert facts["bytes_on_disk"] >= path.stat().st_size > 0


def test_not_an_index_is_refused(tmp_path):
    junk = tmp_path / "junk.idx"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(IndexFormatError, match=re.escape("junk.idx: not")):
        index_info(junk)
    with pytest.raises(IndexFormatError, match="no index here"):
        index_info(tmp_path / "missing.idx")


def random_records(prefix: str, n_docs: int, seed: int, passage: str | None = None):
    rng = random.Random(seed)
    records = []
    for doc in range(n_docs):
        body = [" ".join(rng.choices(WORDS, k=120)) for _ in range(3)]
        if passage is not None and doc == 0:
            body.insert(1, passage)
        records.append(Record(f"{prefix}{doc:05d}", "\n\n".join(body)))
    return records


def test_a_reader_sees_whole_batches_while_a_writer_adds(tmp_path):
    """Each batch carries one copy of the queried passage: a consistent snapshot of k
    batches finds k pairs among 20 k indexed documents."""
    path = tmp_path / "live.idx"
    passage = " ".join(random.Random(99).choices(WORDS, k=40))
    query = random_records("q", 1, 5, passage)
    batches = [random_records(f"b{k:02d}-", 20, k, passage) for k in range(12)]
    index_add(path, batches[0])
    seen: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for batch in batches[1:]:
                index_add(path, batch)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    writer = threading.Thread(target=write)
    writer.start()
    while writer.is_alive() or len(seen) < 3:
        found = index_query(path, query)
        seen.append((found.counts["indexed_documents"], len(found.pairs)))
    writer.join()
    assert not errors
    for indexed, pairs in seen:
        assert indexed % 20 == 0 and pairs == indexed // 20, (indexed, pairs)
    final = index_query(path, query)
    assert (final.counts["indexed_documents"], len(final.pairs)) == (240, 12)


def add_process(index: Path, corpus: Path, fault: str | None = None) -> subprocess.Popen:
    """``dedup index add`` as a process of its own; ``fault`` (``POINT=kill``) makes it die
    at that point (see dedup.faults)."""
    env = {k: v for k, v in os.environ.items() if k != "DEDUP_FAULT"}
    if fault:
        env["DEDUP_FAULT"] = fault
    return subprocess.Popen(
        [sys.executable, "-m", "dedup", "index", "add", str(index), str(corpus), "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def write_jsonl(path: Path, records: list[Record]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps({"id": record.id, "text": record.text}) + "\n")


def key_counts(path: Path) -> tuple[int, int, int]:
    connection = sqlite3.connect(str(path))
    try:
        return tuple(
            connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("documents", "band_keys", "passage_keys")
        )
    finally:
        connection.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_killed_add_leaves_all_or_none_of_its_batch(tmp_path):
    first = random_records("a", 50, 1)
    batch = random_records("b", 6000, 2)
    write_jsonl(tmp_path / "first.jsonl", first)
    write_jsonl(tmp_path / "batch.jsonl", batch)
    # the counts with none and with all of the batch, from an add that is not killed
    reference = tmp_path / "reference.idx"
    index_add(reference, first)
    none = key_counts(reference)
    done = add_process(reference, tmp_path / "batch.jsonl")
    assert done.wait(timeout=300) == 0, done.stderr.read()
    everything = key_counts(reference)

    path = tmp_path / "killed.idx"
    index_add(path, first)
    # killed once every row of the batch is written and before it is committed
    killed = add_process(path, tmp_path / "batch.jsonl", fault="index:commit=kill")
    assert killed.wait(timeout=300) == -signal.SIGKILL
    counts = key_counts(path)
    assert counts in (none, everything)
    # and the index is usable: it answers, and the batch can be added (again)
    assert index_info(path)["counts"]["documents"] == counts[0]
    index_add(path, batch)
    assert key_counts(path) == everything
    assert index_query(path, first[:1]).counts["indexed_documents"] == everything[0] - 1
