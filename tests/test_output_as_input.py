"""A folder ``dedup`` wrote, given as the next command's input: a ``clean`` folder is read
as the cleaned corpus in it (its ids and metadata as the first run had them), any other
run's folder is refused with one line naming it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import main
from dedup.errors import InputError
from dedup.ingest import CorpusReader, read_corpus

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_a_cleaned_folder_is_read_as_its_corpus_with_ids_and_metadata(tmp_path):
    code, _out, err = _run("clean", str(CORPUS), "-o", str(tmp_path / "cleaned"), "-q")
    assert code == 0, err
    before = {r.id: (r.outlet, r.date, r.title) for r in read_corpus([CORPUS]).records}
    reader = CorpusReader([tmp_path / "cleaned"])
    after = {r.id: (r.outlet, r.date, r.title) for r in reader.read_all().records}
    assert after == before  # the seeds' ids, outlets, dates and titles, none of cuts.jsonl
    assert any("cleaned corpus" in w.reason for w in reader.warnings)


def test_a_cleaned_jsonl_file_is_read_from_its_folder(tmp_path):
    lines = [
        json.dumps({"id": p.stem, "text": p.read_text(encoding="utf-8"), "outlet": f"o{i}"})
        for i, p in enumerate(sorted(CORPUS.glob("*.txt")))
    ]
    (tmp_path / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _out, err = _run("clean", str(tmp_path / "feed.jsonl"), "-o", str(tmp_path / "c"), "-q")
    assert code == 0, err
    code, _out, err = _run("scan", str(tmp_path / "c"), "-o", str(tmp_path / "s"), "-q")
    assert code == 0, err
    docs = [json.loads(line) for line in (tmp_path / "s" / "documents.jsonl").open()]
    assert [d["doc"] for d in docs] == sorted(p.stem for p in CORPUS.glob("*.txt"))
    assert [d["outlet"] for d in docs] == [f"o{i}" for i in range(len(docs))]


@pytest.mark.parametrize("command", ["scan", "stories"])
def test_the_results_of_another_run_are_refused_in_one_line(tmp_path, command):
    code, _out, err = _run(command, str(CORPUS), "-o", str(tmp_path / "out"), "-q")
    assert code == 0, err
    listing = sorted(p.name for p in (tmp_path / "out").iterdir())
    code, _out, err = _run("report", str(tmp_path / "out"), "-o", str(tmp_path / "r"))
    assert code != 0
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and f"results of dedup {command}" in lines[0], err
    assert str(tmp_path / "out") in lines[0]
    assert not (tmp_path / "r").exists()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == listing
    with pytest.raises(InputError, match="not articles"):
        CorpusReader([tmp_path / "out"])


def test_a_folder_with_a_foreign_run_json_is_read_as_articles(tmp_path):
    folder = tmp_path / "texts"
    shutil.copytree(CORPUS, folder)
    (folder / "run.json").write_text('{"tool": "other"}', encoding="utf-8")
    assert len(read_corpus([folder]).records) == len(list(CORPUS.glob("*.txt")))
