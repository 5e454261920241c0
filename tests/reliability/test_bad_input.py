"""Every kind of bad input gives one line naming the file and line (or the option)."""

from __future__ import annotations

import json
import random
import shutil

import pytest
from click.testing import CliRunner

from dedup.cli import main
from tests.conftest import CORPUS


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


@pytest.mark.parametrize("command", ["scan", "clean", "stories"])
def test_empty_corpus(tmp_path, command):
    folder = tmp_path / "empty"
    folder.mkdir()
    result = invoke(command, str(folder), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert result.output == f"Error: {folder}: no documents with text to read (nothing found)\n"
    assert not (tmp_path / "out").exists()


def test_corpus_of_only_bad_files(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"")
    (folder / "b.txt").write_bytes(b"\xff\xfe\x00\x00")
    result = invoke("scan", str(folder))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[-1] == f"Error: {folder}: no documents with text to read (2 record(s) skipped)"
    assert lines[0] == f"skipped: {folder / 'a.txt'}: empty text"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json at all\n", "malformed JSON: Expecting value"),
        ('{"id": "x"}\n', 'missing field "text"'),
        ('["a list"]\n', "expected a JSON object, found list"),
    ],
)
def test_bad_jsonl_line_from_stdin(content, message):
    good = json.dumps({"id": "g", "text": "a good line of text"}) + "\n"
    result = invoke("scan", "-", input=good + content)
    assert result.exit_code == 0
    assert f"skipped: <stdin>:2: {message}" in result.output
    strict = invoke("scan", "-", "--strict", input=good + content)
    assert strict.exit_code == 1
    assert strict.output == f"Error: <stdin>:2: {message}\n"


def test_fail_on_rejects_exits_1_after_writing(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    out = tmp_path / "out"
    result = invoke("scan", str(corpus), "-o", str(out), "-q", "--fail-on-rejects")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"Error: 1 record(s) skipped (see {out / 'rejects.jsonl'})"
    )
    assert (out / "run.json").exists()


def test_duplicate_ids_across_files(tmp_path):
    first = tmp_path / "a.jsonl"
    second = tmp_path / "b.jsonl"
    first.write_text(json.dumps({"id": "x", "text": "first text"}) + "\n", encoding="utf-8")
    second.write_text(json.dumps({"id": "x", "text": "second text"}) + "\n", encoding="utf-8")
    result = invoke("scan", str(first), str(second), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0
    assert f'skipped: {second}:1: duplicate id "x" (first at {first}:1)' in result.output


def test_unparsable_date_is_a_warning_not_a_skip(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        json.dumps({"id": "x", "text": "some text", "date": "last Tuesday"}) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = invoke("scan", str(feed), "-o", str(out), "-q")
    assert result.exit_code == 0
    assert result.output.startswith(f'warning: {feed}:1: unparsable date "last Tuesday"')
    rejects = [json.loads(x) for x in (out / "rejects.jsonl").read_text().splitlines()]
    assert rejects[0]["kept"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shingle-size", "0"], "Error: --shingle-size: must be between 1 and 32, got 0"),
        (["--threshold", "1.5"], "Error: --threshold: must be in (0.0, 1.0], got 1.5"),
        (["--num-perm", "1"], "Error: --num-perm: must be between 2 and 4096, got 1"),
        (["--seed", "-1"], "Error: --seed: must be between 0 and 4294967295, got -1"),
        (["--max-gap-words", "-2"], "Error: --max-gap-words: must be between 0 and 1000, got -2"),
        (["--encoding", "klingon"], "Error: --encoding: unknown encoding 'klingon'"),
    ],
)
def test_absurd_settings(args, message):
    result = invoke("scan", str(CORPUS), *args)
    assert result.exit_code == 2
    assert result.output == message + "\n"


def test_csv_missing_text_column_and_bad_rows(tmp_path):
    feed = tmp_path / "feed.csv"
    feed.write_text("id,body\na,hello\n", encoding="utf-8")
    result = invoke("scan", str(feed), "--strict")
    assert result.exit_code == 1
    assert result.output == (
        f'Error: {feed}:1: no column "text" (columns: id, body; choose one with '
        "--text-field/--id-field)\n"
    )


def test_no_traceback_without_debug(tmp_path, monkeypatch):

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("dedup.words.compute_signatures", explode)
    result = invoke("scan", str(CORPUS))
    assert result.exit_code == 3
    assert result.output == (
        "Error: internal error: RuntimeError: boom (a bug: rerun with --debug for the traceback "
        "and report it)\n"
    )
    debug = invoke("scan", str(CORPUS), "--debug")
    assert isinstance(debug.exception, RuntimeError)


def test_long_single_line_document(tmp_path):
    rng = random.Random(5)
    text = " ".join(f"word{rng.randrange(50_000)}" for _ in range(400_000))  # ~4 MB, one line
    feed = tmp_path / "big.jsonl"
    feed.write_text(
        json.dumps({"id": "big", "text": text})
        + "\n"
        + json.dumps({"id": "copy", "text": text[:20_000]})
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = invoke("scan", str(feed), "-o", str(out), "-q")
    assert result.exit_code == 0
    pairs = [json.loads(x) for x in (out / "pairs.jsonl").read_text().splitlines()]
    assert [(p["a"], p["b"]) for p in pairs] == [("big", "copy")]
