"""Every output file holds exactly the fields docs/outputs.md gives it, of the types it says.

The schema is read from the page's tables (``| field | type | meaning |`` under
``### `file``` under ``## `dedup command```), and real files are written by running each
command on the seeds plus a file with a bad record and an unparsable date (so that
``rejects.jsonl`` holds both kinds of row).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dedup.cli import main
from dedup.outputs import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
ROW = re.compile(r"^\| (`[^|]+`) \| ([^|]+) \| (.*) \|$")


def sections() -> dict[tuple[str, str], str]:
    """(command, file) → the text of that file's section."""
    found: dict[tuple[str, str], str] = {}
    command = ""
    for block in re.split(r"^(?=##+ )", PAGE, flags=re.M):
        heading = block.splitlines()[0] if block else ""
        if heading.startswith("## `dedup "):
            command = heading[len("## `dedup ") :].rstrip("`")
        elif heading.startswith("### `"):
            for name in re.findall(r"`([^`]+)`", heading):
                found[(command, name)] = block
    return found


SECTIONS = sections()


def schema(command: str, name: str) -> dict[str, tuple[str, bool]]:
    """Field → (type, optional) from the section's table; nested fields as ``a[].b``."""
    fields: dict[str, tuple[str, bool]] = {}
    for line in SECTIONS[(command, name)].splitlines():
        row = ROW.match(line)
        if not row:
            continue
        names, kind, meaning = row.groups()
        optional = "present only" in meaning
        prefix = ""
        for part in re.findall(r"`([^`]+)`", names):
            if "[]." in part:
                prefix = part.split("[].")[0] + "[]."
                fields[part] = (kind.strip(), optional)
            else:
                fields[(prefix + part) if prefix else part] = (kind.strip(), optional)
    return fields


def type_ok(value: object, kind: str) -> bool:
    nullable = "null" in kind
    if value is None:
        return nullable
    base = kind.split(" or ")[0].split(" (")[0]
    checks = {
        "string": lambda v: isinstance(v, str),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "true": lambda v: v is True,
        "list": lambda v: isinstance(v, list),
        "list of string": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "object": lambda v: isinstance(v, dict),
        "object of int": lambda v: (
            isinstance(v, dict) and all(isinstance(x, int) for x in v.values())
        ),
    }
    return checks[base](value)


def check_row(row: dict, fields: dict[str, tuple[str, bool]], where: str) -> None:
    top = {k: v for k, v in fields.items() if "[]." not in k}
    required = {k for k, (_, optional) in top.items() if not optional}
    assert required <= set(row), f"{where}: missing {sorted(required - set(row))}"
    assert set(row) <= set(top), f"{where}: undocumented {sorted(set(row) - set(top))}"
    for key, value in row.items():
        assert type_ok(value, top[key][0]), f"{where}: {key}={value!r} is not {top[key][0]}"
    for key, (kind, _) in fields.items():
        if "[]." not in key:
            continue
        parent, child = key.split("[].")
        for item in row.get(parent) or []:
            assert type_ok(item.get(child), kind), f"{where}: {key}={item.get(child)!r}"
            documented = {k.split("[].")[1] for k in fields if k.startswith(parent + "[].")}
            assert set(item) <= documented, f"{where}: {parent}[] has {sorted(set(item))}"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("schema")
    extra = root / "extra.jsonl"
    extra.write_text(
        '{"id": "bad"}\n{"id": "dated", "text": "A short text of its own.", "date": "soon"}\n',
        encoding="utf-8",
    )
    inputs = [str(ROOT / "corpus"), str(extra)]
    outs = {}
    for command in ("scan", "clean", "stories", "chains", "report"):
        out = root / command
        args = [command, *inputs, "-o", str(out), "-q"]
        if command == "clean":
            args.append("--drop-duplicates")
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        outs[command] = out
    index = root / "index.sqlite"
    assert (
        CliRunner().invoke(main, ["index", "add", str(index), str(ROOT / "corpus"), "-q"]).exit_code
        == 0
    )
    out = root / "query"
    result = CliRunner().invoke(main, ["index", "query", str(index), *inputs, "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    outs["index query"] = out
    for output_format in ("parquet", "csv"):  # the same runs, in the other formats
        for command in ("scan", "clean", "stories", "chains"):
            out = root / f"{command}.{output_format}"
            args = [command, *inputs, "-o", str(out), "-q", "--output-format", output_format]
            if command == "clean":
                args.append("--drop-duplicates")
            result = CliRunner().invoke(main, args)
            assert result.exit_code == 0, result.output
            outs[f"{command}.{output_format}"] = out
        out = root / f"query.{output_format}"
        args = ["index", "query", str(index), *inputs, "-o", str(out), "-q", "--to", output_format]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        outs[f"index query.{output_format}"] = out
    return outs


JSONL = [
    ("scan", "scan", "pairs.jsonl"),
    ("scan", "scan", "passages.jsonl"),
    ("scan", "scan", "documents.jsonl"),
    ("scan", "scan", "rejects.jsonl"),
    ("clean", "clean", "cuts.jsonl"),
    ("clean", "clean", "duplicates.jsonl"),
    ("clean", "scan", "rejects.jsonl"),
    ("stories", "stories", "stories.jsonl"),
    ("chains", "chains", "chains.jsonl"),
    ("chains", "chains", "articles.jsonl"),
    ("chains", "chains", "outlets.jsonl"),
    ("index query", "scan", "pairs.jsonl"),
    ("index query", "scan", "passages.jsonl"),
]


@pytest.mark.parametrize(("command", "documented_in", "name"), JSONL)
def test_every_line_holds_the_documented_fields(runs, command, documented_in, name):
    fields = schema(documented_in, name)
    assert fields, f"no table for {name} under dedup {documented_in}"
    lines = (runs[command] / name).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        check_row(json.loads(line), fields, f"{command} {name}:{number}")


def test_the_checked_files_are_not_empty(runs):
    for command, _, name in JSONL:
        if name == "duplicates.jsonl":
            continue  # the seeds hold no near-duplicate pair
        assert (runs[command] / name).read_text(encoding="utf-8"), (command, name)
    rejects = [json.loads(x) for x in (runs["scan"] / "rejects.jsonl").read_text().splitlines()]
    assert {"kept" in r for r in rejects} == {True, False}  # a reject and a warning


def test_scan_run_json_holds_the_documented_fields(runs):
    run = json.loads((runs["scan"] / "run.json").read_text(encoding="utf-8"))
    check_row(run, schema("scan", "run.json"), "scan run.json")
    assert run["schema_version"] == SCHEMA_VERSION


@pytest.mark.parametrize("command", ["clean", "stories", "chains", "report", "index query"])
def test_every_run_json_field_is_documented(runs, command):
    run = json.loads((runs[command] / "run.json").read_text(encoding="utf-8"))
    named = set(
        re.findall(
            r"`([^`]+)`",
            SECTIONS.get((command, "run.json"), ""),
        )
    )
    named |= set(schema("scan", "run.json"))
    if command == "index query":
        named |= set(re.findall(r"`([^`]+)`", PAGE.split("## `dedup index query`")[1]))
    assert set(run) <= named, f"{command}: undocumented {sorted(set(run) - named)}"
    assert run["schema_version"] == SCHEMA_VERSION and run["command"] == command


ARROW_TYPES = {
    "string": "string",
    "int": "int64",
    "float": "double",
    "bool": "bool",
    "true": "bool",
}


def arrow_type_ok(kind: str, arrow_type: Any) -> bool:
    """Whether a Parquet column's type is the one docs/outputs.md gives the field."""
    import pyarrow as pa

    base = kind.split(" or ")[0].split(" (")[0]
    if base == "list":
        return pa.types.is_list(arrow_type)
    if base == "list of string":
        return pa.types.is_list(arrow_type) and pa.types.is_string(arrow_type.value_type)
    return str(arrow_type) == ARROW_TYPES[base]


def jsonl_rows(folder: Path, name: str) -> list[dict]:
    lines = (folder / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.mark.parametrize(("command", "documented_in", "name"), JSONL)
def test_parquet_files_hold_the_documented_columns_and_the_same_rows(
    runs, command, documented_in, name
):
    import pyarrow.parquet as pq

    fields = schema(documented_in, name)
    table = pq.read_table(runs[f"{command}.parquet"] / name.replace(".jsonl", ".parquet"))
    top = {k: v for k, v in fields.items() if "[]." not in k}
    assert set(table.column_names) == set(top) - {"kind"} or set(table.column_names) == set(top)
    for column in table.column_names:
        kind, optional = top[column]
        arrow_type = table.schema.field(column).type
        assert arrow_type_ok(kind, arrow_type), f"{name}: {column} is {arrow_type}, not {kind}"
        if "null" not in kind and not optional:
            assert table.column(column).null_count == 0, f"{name}: {column} holds nulls"
    for key, (kind, _) in fields.items():
        if "[]." in key and key.split("[].")[0] in table.column_names:
            parent, child = key.split("[].")
            element = table.schema.field(parent).type.value_type
            assert arrow_type_ok(kind, element.field(child).type), f"{name}: {key}"
    rows = [{k: v for k, v in row.items() if not (k == "kept" and v is None)}
            for row in table.to_pylist()]  # fmt: skip
    assert rows == jsonl_rows(runs[command], name)


@pytest.mark.parametrize(("command", "documented_in", "name"), JSONL)
def test_csv_files_hold_the_documented_columns_and_the_same_rows(
    runs, command, documented_in, name
):
    import csv

    with open(runs[f"{command}.csv"] / name.replace(".jsonl", ".csv"), newline="") as handle:
        header, *cells = list(csv.reader(handle))
    top = {k for k in schema(documented_in, name) if "[]." not in k}
    assert set(header) <= top and {k for k in top if k != "kept"} <= set(header) | {"kind"}
    expected = jsonl_rows(runs[command], name)
    assert len(cells) == len(expected)
    for row, values in zip(expected, cells):
        assert list(row) == header[: len(row)] or set(row) <= set(header)
        for column, cell in zip(header, values):
            value = row.get(column)
            if value is None:
                assert cell == "", (name, column)
            elif isinstance(value, str):
                assert cell == value, (name, column)
            else:  # numbers, booleans and lists: their JSON text
                assert json.loads(cell) == value and not isinstance(json.loads(cell), str)


def test_other_formats_leave_the_other_files_as_they_are(runs):
    for output_format in ("parquet", "csv"):
        names = sorted(p.name for p in runs[f"chains.{output_format}"].iterdir())
        assert names == sorted(
            [f"{stem}.{output_format}" for stem in ("chains", "passages", "articles", "outlets")]
            + [f"rejects.{output_format}", "chains.graphml", "chains.json", "run.json"]
        )
        run = json.loads((runs[f"scan.{output_format}"] / "run.json").read_text())
        assert list(run["outputs"]) == [
            f"{stem}.{output_format}" for stem in ("pairs", "passages", "documents", "rejects")
        ]
