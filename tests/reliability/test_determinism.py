"""Same input and settings, same bytes: whatever the input order or the batch sizes."""

from __future__ import annotations

import json
import random
import re

import pytest
from click.testing import CliRunner

from dedup import pipeline
from dedup.cli import main
from dedup.errors import ConfigError
from tests.conftest import CORPUS, SEED_IDS, assert_same_scan

OUTPUTS = ("pairs.jsonl", "passages.jsonl", "documents.jsonl", "run.json")


def seed_lines() -> list[str]:
    return [
        json.dumps({"id": full, "text": (CORPUS / f"{full}.txt").read_text(encoding="utf-8")})
        for full in SEED_IDS.values()
    ]


def scan_lines(tmp_path, name: str, lines: list[str]):
    feed = tmp_path / f"{name}.jsonl"
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / name
    result = CliRunner().invoke(main, ["scan", str(feed), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return {n: (out / n).read_bytes() for n in OUTPUTS if n != "run.json"}


def test_input_order_does_not_change_a_byte(tmp_path):
    lines = seed_lines()
    first = scan_lines(tmp_path, "ordered", lines)
    random.Random(3).shuffle(lines)
    assert scan_lines(tmp_path, "shuffled", lines) == first


def test_batch_sizes_do_not_change_a_byte(tmp_path, monkeypatch):
    lines = seed_lines()
    first = scan_lines(tmp_path, "default", lines)
    monkeypatch.setattr("dedup.words.BATCH_CHARS", 1000)
    monkeypatch.setattr("dedup.verify.ALIGN_CHUNK", 1)
    assert scan_lines(tmp_path, "small", lines) == first


def test_two_runs_write_identical_run_json(tmp_path):
    outs = []
    for name in ("one", "two"):
        out = tmp_path / name
        assert CliRunner().invoke(main, ["scan", str(CORPUS), "-o", str(out), "-q"]).exit_code == 0
        outs.append({n: (out / n).read_bytes() for n in OUTPUTS})
    assert outs[0] == outs[1]


# --- workers ------------------------------------------------------------------------------

GENERATED_DOCS = 300


def generated_lines() -> list[str]:
    """A few hundred generated documents with planted copies and passages (benchmarks/)."""
    import sys

    from tests.conftest import ROOT, SHARED_DATA

    # the generator's vocabulary is the word counts of the local labelled data
    vocabulary = ("basil/basil.jsonl.gz", "reuters21578/reuters21578.jsonl.gz")
    missing = [name for name in vocabulary if not (SHARED_DATA / name).exists()]
    if missing:
        pytest.skip(f"../shared/data is not here ({', '.join(missing)}): no generated corpus")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    records, _ = generate(GENERATED_DOCS, seed=5)
    return [json.dumps({"id": r["id"], "text": r["text"], "date": r["date"]}) for r in records]


def command_outputs(tmp_path, command: str, name: str, lines: list[str], *options: str):
    (tmp_path / name).mkdir()
    feed = tmp_path / name / "feed.jsonl"  # one name: clean names its output after it
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / name / "out"
    result = CliRunner().invoke(main, [command, str(feed), "-o", str(out), "-q", *options])
    assert result.exit_code == 0, result.output
    return {
        str(path.relative_to(out)): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file() and path.name != "run.json"
    }


@pytest.mark.parametrize("corpus", ["seeds", "generated"])
@pytest.mark.parametrize(
    ("command", "options"),
    [("scan", ()), ("clean", ("--drop-duplicates",))],
    ids=["scan", "clean"],
)
def test_two_workers_write_the_same_bytes_as_one(tmp_path, monkeypatch, corpus, command, options):
    lines = seed_lines() if corpus == "seeds" else generated_lines()
    # small batches and chunks, so that every parallel stage really has several parts
    monkeypatch.setattr("dedup.words.BATCH_CHARS", 2000)
    monkeypatch.setattr("dedup.verify.ALIGN_CHUNK", 16)
    one = command_outputs(tmp_path, command, "one", lines, *options, "-j", "1")
    if command == "scan":  # scan's files do not depend on the input order either
        random.Random(7).shuffle(lines)
    two = command_outputs(tmp_path, command, "two", lines, *options, "--workers", "2")
    assert one  # something was written
    assert two == one


def test_api_scan_with_workers_equals_one_worker(monkeypatch):
    from dedup.types import Record

    records = [Record(**json.loads(line)) for line in generated_lines()]
    monkeypatch.setattr("dedup.verify.ALIGN_CHUNK", 8)
    one = pipeline.scan(records)
    two = pipeline.scan(records[::-1], workers=2)
    every_core = pipeline.scan(records, workers=0)
    for other in (two, every_core):
        assert_same_scan(other, one)
    assert one.passages  # the generated corpus has planted passages


def test_api_clean_with_workers_equals_one_worker():
    from dedup.types import Record

    records = [Record(**json.loads(line)) for line in generated_lines()]
    one = pipeline.clean(records, drop_duplicates=True)
    two = pipeline.clean(records, drop_duplicates=True, workers=2)
    assert two.documents == one.documents
    assert two.duplicates == one.duplicates
    assert one.duplicates  # planted copies were dropped


def test_negative_workers_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["scan", str(CORPUS), "-q", "--workers", "-1"])
    assert result.exit_code == 2
    assert "-1 is not in the range 0<=x<=4096" in result.output
    with pytest.raises(ConfigError, match=re.escape("workers: must be a whole number >= 0")):
        pipeline.scan([], workers=-1)
