"""``dedup clean`` writes each input back as itself: the same name, format and compression,
every field of every kept record as it came (order and types), only the text cleaned."""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from click.testing import CliRunner

from dedup.api import clean
from dedup.cleaned import corpus_layout, write_clean
from dedup.cli import main
from dedup.ingest import ReadOptions, read_corpus

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
TEXTS = [path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.txt"))]
OPENERS = {
    "": lambda data: data,
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
    ".zst": lambda data: zstandard.ZstdCompressor().compress(data),
}
READERS = {
    "": lambda data: data,
    ".gz": gzip.decompress,
    ".bz2": bz2.decompress,
    ".xz": lzma.decompress,
    ".zst": lambda data: zstandard.ZstdDecompressor().decompressobj().decompress(data),
}


def rows() -> list[dict]:
    """Records whose fields come in no usual order, with types of their own; the last one
    repeats the first (a duplicate to drop), and ids run against the file order."""
    made = [
        {
            "rank": 10 - n,
            "score": n / 4,
            "text": text,
            "id": f"doc-{9 - n}",
            "tags": ["syria", str(n)],
            "date": "Sat, 10 Dec 2016 09:30:00 GMT",
            "flag": n % 2 == 0,
            "nothing": None,
        }
        for n, text in enumerate(TEXTS)
    ]
    return [*made, {**made[0], "id": "doc-copy", "rank": 0}]


def cleaned_texts(path: Path, options: ReadOptions, drop: bool) -> dict[str, str | None]:
    """What the API makes of the file: id → cleaned text (None when dropped)."""
    result = clean(read_corpus([str(path)], options).records, drop_duplicates=drop)
    return {d.record.id: None if d.duplicate_of else d.text for d in result.documents}


def run_clean(path: Path, out: Path, *args: str) -> None:
    result = CliRunner().invoke(main, ["clean", str(path), "-o", str(out), "-q", *args])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("compression", list(OPENERS))
@pytest.mark.parametrize("drop", [False, True])
def test_jsonl_comes_back_with_its_name_compression_keys_and_types(tmp_path, compression, drop):
    source = tmp_path / f"feed.jsonl{compression}"
    data = "".join(json.dumps(row) + "\n" for row in rows()).encode()
    source.write_bytes(OPENERS[compression](data))
    out = tmp_path / "out"
    run_clean(source, out, *(["--drop-duplicates"] if drop else []))
    texts = cleaned_texts(source, ReadOptions(), drop)
    back = READERS[compression]((out / source.name).read_bytes()).decode("utf-8")
    got = [json.loads(line) for line in back.splitlines()]
    expected = [{**row, "text": texts[row["id"]]} for row in rows() if texts[row["id"]] is not None]
    assert got == expected
    assert [list(row) for row in got] == [list(row) for row in expected]  # key order
    assert [type(v) for row in got for v in row.values()] == [
        type(v) for row in expected for v in row.values()
    ]
    assert len(got) == len(TEXTS) + (0 if drop else 1)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [source.name, "cuts.jsonl", "duplicates.jsonl", "rejects.jsonl", "run.json"]
    )


@pytest.mark.parametrize(("name", "delimiter"), [("feed.csv", ","), ("feed.tsv.gz", "\t")])
def test_csv_comes_back_with_its_header_and_delimiter(tmp_path, name, delimiter):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    header = ["rank", "body", "empty", "id", "date"]
    writer.writerow(header)
    for row in rows():
        writer.writerow([row["rank"], row["text"], "", row["id"], row["date"]])
    source = tmp_path / name
    data = buffer.getvalue().encode()
    source.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    out = tmp_path / "out"
    run_clean(source, out, "--text-field", "body", "--drop-duplicates")
    texts = cleaned_texts(source, ReadOptions(text_field="body"), drop=True)
    back = (out / name).read_bytes()
    text = (gzip.decompress(back) if name.endswith(".gz") else back).decode("utf-8")
    got = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    assert got[0] == header
    assert got[1:] == [
        [str(row["rank"]), texts[row["id"]], "", row["id"], row["date"]]
        for row in rows()
        if texts[row["id"]] is not None
    ]


def parquet_table() -> pa.Table:
    records = rows()
    return pa.table(
        {
            "rank": pa.array([r["rank"] for r in records], pa.int16()),
            "body": pa.array([r["text"] for r in records], pa.large_string()),
            "empty": pa.array([None] * len(records), pa.string()),
            "id": pa.array([r["id"] for r in records], pa.string()),
            "score": pa.array([r["score"] for r in records], pa.float32()),
            "tags": pa.array([r["tags"] for r in records], pa.list_(pa.string())),
        }
    )


def test_parquet_comes_back_with_its_columns_types_and_codec(tmp_path):
    source = tmp_path / "feed.parquet"
    table = parquet_table()
    pq.write_table(table, source, compression="zstd")
    options = ReadOptions(text_field="body")
    out = tmp_path / "out"
    run_clean(source, out, "--text-field", "body", "--drop-duplicates")
    back = pq.read_table(out / "feed.parquet")
    assert back.schema == table.schema  # the all-empty column, the order, the types
    texts = cleaned_texts(source, options, drop=True)
    kept = [row for row in table.to_pylist() if texts[row["id"]] is not None]
    assert back.to_pylist() == [{**row, "body": texts[row["id"]]} for row in kept]
    assert back.num_rows == len(TEXTS)
    codec = pq.ParquetFile(out / "feed.parquet").metadata.row_group(0).column(0).compression
    assert codec == "ZSTD"


def test_the_api_writes_back_the_same_file_as_the_command(tmp_path):
    source = tmp_path / "feed.jsonl.zst"
    data = "".join(json.dumps(row) + "\n" for row in rows()).encode()
    source.write_bytes(OPENERS[".zst"](data))
    run_clean(source, tmp_path / "cli")
    options = ReadOptions()
    result = clean(read_corpus([str(source)], options).records)
    layout = corpus_layout([str(source)], options)
    written = write_clean(result, tmp_path / "api", layout, inputs=[str(source)])
    assert written[source.name] == len(TEXTS) + 1
    assert (tmp_path / "api" / source.name).read_bytes() == (
        tmp_path / "cli" / source.name
    ).read_bytes()


def test_a_bad_record_is_left_out_and_the_rest_written_back(tmp_path):
    source = tmp_path / "feed.jsonl.gz"
    lines = [json.dumps(row) for row in rows()[:3]]
    lines.insert(1, '{"id": "broken", "text": ')
    source.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    out = tmp_path / "out"
    run_clean(source, out)
    back = gzip.decompress((out / source.name).read_bytes()).decode().splitlines()
    assert [json.loads(line)["id"] for line in back] == [row["id"] for row in rows()[:3]]
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    assert [r["source"] for r in rejects] == [f"{source}:2"]


def test_the_gzip_bytes_depend_only_on_the_content(tmp_path):
    source = tmp_path / "feed.jsonl.gz"
    data = "".join(json.dumps(row) + "\n" for row in rows()).encode()
    source.write_bytes(gzip.compress(data))
    run_clean(source, tmp_path / "one")
    run_clean(source, tmp_path / "two")
    assert (tmp_path / "one" / source.name).read_bytes() == (
        tmp_path / "two" / source.name
    ).read_bytes()


def test_a_folder_of_shards_comes_back_as_the_same_shards(tmp_path):
    folder = tmp_path / "feeds"
    (folder / "2016").mkdir(parents=True)
    records = rows()
    first = "".join(json.dumps(row) + "\n" for row in records[:3]).encode()
    (folder / "2016" / "a.jsonl.zst").write_bytes(OPENERS[".zst"](first))
    with open(folder / "b.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "rank"])
        writer.writerows([[row["id"], row["text"], row["rank"]] for row in records[3:]])
    out = tmp_path / "out"
    run_clean(folder, out, "--drop-duplicates")
    texts = cleaned_texts(folder, ReadOptions(), drop=True)
    corpus = out / "corpus"
    assert sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*") if p.is_file()) == [
        "2016/a.jsonl.zst",
        "b.csv",
    ]
    back = READERS[".zst"]((corpus / "2016" / "a.jsonl.zst").read_bytes()).decode()
    assert [json.loads(line) for line in back.splitlines()] == [
        {**row, "text": texts[row["id"]]} for row in records[:3]
    ]
    with open(corpus / "b.csv", newline="", encoding="utf-8") as handle:
        got = list(csv.reader(handle))
    assert got[0] == ["id", "text", "rank"]
    assert got[1:] == [
        [row["id"], texts[row["id"]], str(row["rank"])]
        for row in records[3:]
        if texts[row["id"]] is not None
    ]
    assert len(got) == len(records) - 3  # the header, and the copy of the first dropped


@pytest.mark.parametrize("compression", ["", ".xz"])
@pytest.mark.parametrize("one_line", [False, True])
def test_a_json_array_comes_back_as_a_json_array(tmp_path, compression, one_line):
    """Each kept object as it came (keys, order, types), the bad item and the dropped copy
    left out; objects sharing a line (an array on one line) are told apart."""
    items = [*rows(), ["not", "an", "object"]]
    separator = ", " if one_line else ",\n  "
    data = ("[" + separator.join(json.dumps(item) for item in items) + "]\n").encode()
    source = tmp_path / f"feed.json{compression}"
    source.write_bytes(OPENERS[compression](data))
    out = tmp_path / "out"
    run_clean(source, out, "--drop-duplicates")
    texts = cleaned_texts(source, ReadOptions(), drop=True)
    got = json.loads(READERS[compression]((out / source.name).read_bytes()))
    expected = [{**row, "text": texts[row["id"]]} for row in rows() if texts[row["id"]] is not None]
    assert got == expected and len(got) == len(TEXTS)
    assert [list(row) for row in got] == [list(row) for row in expected]  # key order
    assert [type(v) for row in got for v in row.values()] == [
        type(v) for row in expected for v in row.values()
    ]
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    line = 1 if one_line else len(items)
    assert [(r["source"], r["reason"]) for r in rejects] == [
        (f"{source}:{line}", "expected a JSON object, found list")
    ]


def test_a_json_file_of_json_lines_comes_back_as_json_lines(tmp_path):
    source = tmp_path / "feed.json"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows()), encoding="utf-8")
    out = tmp_path / "out"
    run_clean(source, out)
    texts = cleaned_texts(source, ReadOptions(), drop=False)
    got = [json.loads(line) for line in (out / "feed.json").read_text().splitlines()]
    assert got == [{**row, "text": texts[row["id"]]} for row in rows()]


def test_the_api_writes_back_a_json_array_as_the_command_does(tmp_path):
    source = tmp_path / "feed.json.gz"
    source.write_bytes(gzip.compress(json.dumps(rows()).encode(), mtime=0))
    run_clean(source, tmp_path / "cli")
    options = ReadOptions()
    result = clean(read_corpus([str(source)], options).records)
    layout = corpus_layout([str(source)], options)
    write_clean(result, tmp_path / "api", layout, inputs=[str(source)])
    assert (tmp_path / "api" / source.name).read_bytes() == (
        tmp_path / "cli" / source.name
    ).read_bytes()


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("auto", "corpus.jsonl"), ("json", "corpus.json"), ("csv", "corpus.csv"),
     ("parquet", "corpus.parquet")],
)  # fmt: skip
def test_standard_input_comes_back_in_its_format(tmp_path, fmt, name):
    """Standard input cannot be read twice: it comes back as corpus.<its format>, each
    kept record's fields as read (the bad record left out)."""
    records = [{"id": f"doc-{n}", "text": text, "rank": str(n)} for n, text in enumerate(TEXTS)]
    if fmt in ("auto", "json"):
        bad = {"id": "bad", "text": 5}
        lines = [json.dumps(r) for r in [*records, bad]]
        data = ("[" + ",\n".join(lines) + "]" if fmt == "json" else "\n".join(lines)).encode()
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows([["id", "text", "rank"], *[list(r.values()) for r in records]])
        writer.writerow(["bad", "row", "3", "extra"])
        data = buffer.getvalue().encode()
    else:
        sink = io.BytesIO()
        pq.write_table(pa.Table.from_pylist([*records, {"id": "bad", "text": " "}]), sink)
        data = sink.getvalue()
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["clean", "-", "--format", fmt, "-o", str(out), "-q"], input=data
    )
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 1 and "skipped: <stdin>:" in result.output
    texts = {
        d.record.id: d.text for d in clean([{**r, "rank": r["rank"]} for r in records]).documents
    }
    if fmt == "auto":
        got = [json.loads(x) for x in (out / name).read_text().splitlines()]
    elif fmt == "json":
        got = json.loads((out / name).read_text())
    elif fmt == "csv":
        with open(out / name, newline="", encoding="utf-8") as handle:
            got = list(csv.DictReader(handle))
    else:
        got = pq.read_table(out / name).to_pylist()
    assert got == [{**r, "text": texts[r["id"]]} for r in records]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [name, "cuts.jsonl", "duplicates.jsonl", "rejects.jsonl", "run.json"]
    )
