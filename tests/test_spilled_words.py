"""The words stage of a spilled scan run as the records are read (dedup.spilled_words): the
same result as reading everything first, whatever the threads, and the same reading errors."""

from __future__ import annotations

import json
import threading
import time

import pytest
from click.testing import CliRunner

import dedup.spilled
import dedup.spilled_words
from dedup.cli import main
from dedup.parallel import map_streamed
from dedup.pipeline import scan, scan_spilled
from dedup.types import Record
from tests.conftest import assert_same_scan


def test_map_streamed_keeps_the_job_order_and_reads_jobs_lazily():
    made: list[int] = []

    def jobs():
        for k in range(12):
            made.append(k)
            yield (k,)

    def task(scale, k):
        time.sleep(0.002 * ((7 * k) % 5))  # later jobs often finish first
        return scale * k

    got = []
    for result in map_streamed(task, (10,), jobs(), workers=2, ahead=3):
        got.append(result)
        # a job is made only when fewer than ``ahead`` wait: never far ahead of the results
        assert len(made) - len(got) <= 3
    assert got == [10 * k for k in range(12)]
    assert list(map_streamed(task, (10,), jobs(), workers=1, ahead=3)) == got


def test_map_streamed_runs_the_jobs_on_its_threads_while_jobs_are_made():
    threads = set()

    def task(k):
        threads.add(threading.current_thread().name)
        return k

    assert list(map_streamed(task, (), ((k,) for k in range(6)), workers=2, ahead=4)) == [*range(6)]
    assert threads and all(name.startswith("dedup") for name in threads)


@pytest.fixture(scope="module")
def in_order(seed_texts) -> list[Record]:
    """The seeds and copies of them, in increasing id order, one without words."""
    records = [Record(f"s{short}", text, source=f"f:{short}") for short, text in seed_texts.items()]
    records += [
        Record(f"t{short}", text[: len(text) // 2] + " and a new ending", source=f"g:{short}")
        for short, text in seed_texts.items()
    ]
    records.insert(1, Record("s000a", " … — !!! ", source="f:none"))
    assert [r.id for r in records] == sorted(r.id for r in records)
    return records


@pytest.fixture(scope="module")
def expected(in_order):
    return scan(in_order)


@pytest.fixture
def small_jobs(monkeypatch):
    """Jobs of a few thousand characters, so that reading and the words stage overlap."""
    monkeypatch.setattr(dedup.spilled_words, "BATCH_CHARS", 3000)


@pytest.mark.parametrize("workers", [1, 2])
def test_records_in_id_order_are_worded_as_they_are_read(
    in_order, expected, workers, small_jobs, monkeypatch
):
    def no_second_pass(*args, **kwargs):
        raise AssertionError("the words stage ran again after reading")

    monkeypatch.setattr(dedup.spilled, "words_by_batch", no_second_pass)
    got = scan_spilled(iter(in_order), workers=workers, expected_chars=100_000)
    assert_same_scan(got, expected)
    assert got.rejects == expected.rejects
    assert [r.reason for r in got.rejects] == ["no words"]


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("where", [1, 6, -2])
def test_ids_out_of_order_fall_back_to_reading_first(
    in_order, workers, where, small_jobs, tmp_path
):
    records = list(in_order)
    records.append(records.pop(where))  # one record comes late: the ids are out of order
    records.append(Record(records[0].id, "a later record with an id already read", source="x"))
    got = scan_spilled(iter(records), workers=workers, expected_chars=100_000, spill_dir=tmp_path)
    want = scan(records)
    assert_same_scan(got, want)
    assert got.rejects == want.rejects
    assert list(tmp_path.iterdir()) == []  # the first pass' key files are gone with the rest


def test_a_list_of_records_is_counted_for_its_partitions(in_order, expected, monkeypatch):
    seen = []
    real = dedup.spilled.words_as_read

    def spy(records, texts, keys, *args):
        seen.append(keys.parts)
        return real(records, texts, keys, *args)

    monkeypatch.setattr(dedup.spilled, "words_as_read", spy)
    assert_same_scan(scan_spilled(in_order, workers=2), expected)
    assert seen == [2]  # one partition per worker at least


def write_jsonl(path, records, bad_after: int) -> None:
    lines = [json.dumps({"id": r.id, "text": r.text}) for r in records]
    lines.insert(bad_after, '{"id": "broken", "text": ')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_cli_reads_a_large_file_as_it_words_it(
    in_order, tmp_path, workers, small_jobs, monkeypatch
):
    import dedup.api

    source = tmp_path / "corpus.jsonl"
    write_jsonl(source, in_order, bad_after=7)
    kept = tmp_path / "kept"
    args = ["scan", str(source), "-q", "-j", workers]
    assert CliRunner().invoke(main, [*args, "-o", str(kept), "--spill", "never"]).exit_code == 0
    calls = []
    real = dedup.spilled.words_as_read

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(dedup.spilled, "words_as_read", spy)
    monkeypatch.setattr(dedup.api, "SPILL_ABOVE_CHARS", 10_000)  # the file is larger
    spilled = tmp_path / "spilled"
    result = CliRunner().invoke(main, [*args, "-o", str(spilled)])
    assert result.exit_code == 0, result.output
    assert calls == [1]
    names = sorted(p.name for p in kept.iterdir())
    assert names == sorted(p.name for p in spilled.iterdir())
    for name in names:
        assert (spilled / name).read_bytes() == (kept / name).read_bytes(), name
    rejects = [json.loads(line) for line in (spilled / "rejects.jsonl").read_text().splitlines()]
    assert rejects[0]["source"] == f"{source}:8"  # the bad line, named by file and line
    assert rejects[0]["reason"].startswith("malformed JSON")
    assert [r["reason"] for r in rejects[1:]] == ["no words"]
    documents = [json.loads(line)["doc"] for line in (spilled / "documents.jsonl").open()]
    assert documents == [r.id for r in in_order if r.id != "s000a"]  # in the order read


@pytest.mark.parametrize("workers", [1, 2])
def test_input_that_breaks_while_worded_leaves_no_scratch(in_order, workers, small_jobs, tmp_path):
    def failing():
        yield from in_order[:12]  # several jobs handed out by then
        raise RuntimeError("input broke")

    with pytest.raises(RuntimeError, match="input broke"):
        scan_spilled(failing(), workers=workers, expected_chars=100_000, spill_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
