"""Row files in JSON lines, Parquet or CSV (dedup.formats), from the API and the command."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from dedup.api import scan
from dedup.cli import main
from dedup.formats import arrow_table, formatted_name, write_rows
from dedup.ingest import read_corpus
from dedup.writers import write_scan

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture(scope="module")
def result():
    return scan(read_corpus([str(CORPUS)]).records)


def test_names_take_the_format_extension():
    assert formatted_name("pairs.jsonl", "parquet") == "pairs.parquet"
    assert formatted_name("cuts.jsonl", "csv") == "cuts.csv"
    assert formatted_name("pairs.jsonl") == "pairs.jsonl"
    assert formatted_name("run.json", "csv") == "run.json"
    assert formatted_name("chains.graphml", "parquet") == "chains.graphml"
    with pytest.raises(ValueError, match="output format must be one of jsonl, parquet, csv"):
        formatted_name("pairs.jsonl", "xml")


@pytest.mark.parametrize("output_format", ["parquet", "csv"])
def test_the_api_writes_each_format_with_the_same_rows(tmp_path, result, output_format):
    write_scan(result, tmp_path / "jsonl")
    rows = write_scan(result, tmp_path / output_format, output_format=output_format)
    assert list(rows) == [f"{s}.{output_format}" for s in ("pairs", "passages", "documents")] + [
        f"rejects.{output_format}"
    ]
    lines = (tmp_path / "jsonl" / "pairs.jsonl").read_text(encoding="utf-8").splitlines()
    expected = [json.loads(line) for line in lines]
    written = tmp_path / output_format / f"pairs.{output_format}"
    if output_format == "parquet":
        assert pq.read_table(written).to_pylist() == expected
    else:
        with open(written, newline="", encoding="utf-8") as handle:
            got = list(csv.DictReader(handle))
        assert [row["a"] for row in got] == [row["a"] for row in expected]
        assert [json.loads(row["passages"]) for row in got] == [r["passages"] for r in expected]
        assert [json.loads(row["jaccard"]) for row in got] == [r["jaccard"] for r in expected]
    assert rows[f"pairs.{output_format}"] == len(expected)
    run = json.loads((tmp_path / output_format / "run.json").read_text(encoding="utf-8"))
    assert run["outputs"] == rows


def test_an_empty_file_keeps_its_documented_columns_and_types(tmp_path):
    write_rows(tmp_path / "rejects.parquet", [], "parquet", "rejects")
    schema = pq.read_schema(tmp_path / "rejects.parquet")
    assert [(f.name, str(f.type)) for f in schema] == [
        ("source", "string"),
        ("doc", "string"),
        ("reason", "string"),
        ("kept", "bool"),
    ]
    write_rows(tmp_path / "rejects.csv", [], "csv", "rejects")
    assert (tmp_path / "rejects.csv").read_text() == "source,doc,reason,kept\n"


def test_null_and_empty_values_take_the_documented_type():
    table = arrow_table([{"doc": "a", "outlet": None, "date": None, "words": 3}], "documents")
    assert str(table.schema.field("outlet").type) == "string"
    stories = arrow_table([{"id": "s1", "members": []}], "stories")
    assert str(stories.schema.field("members").type) == "list<item: string>"


def test_a_field_the_hints_do_not_name_keeps_its_values():
    rows = [{"a": "x", "passages": [{"passage": "p1", "a_start": 1, "new_field": 0.5}]}]
    table = arrow_table(rows, "pairs")
    assert table.to_pylist()[0]["passages"][0]["new_field"] == 0.5


def test_the_command_takes_the_format_and_refuses_another(tmp_path):
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["stories", str(CORPUS), "-o", str(out), "-q", "--to", "csv"])
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in out.iterdir()) == ["rejects.csv", "run.json", "stories.csv"]
    refused = CliRunner().invoke(main, ["scan", str(CORPUS), "--output-format", "xml"])
    assert refused.exit_code == 2
    assert "'xml' is not one of 'jsonl', 'parquet', 'csv'" in refused.output


def test_a_run_in_another_format_replaces_the_old_files(tmp_path, result):
    out = tmp_path / "out"
    write_scan(result, out)
    write_scan(result, out, output_format="csv")
    assert sorted(p.name for p in out.iterdir()) == [
        "documents.csv",
        "pairs.csv",
        "passages.csv",
        "rejects.csv",
        "run.json",
    ]
