"""`dedup scan` on news where it lives: compressed feeds, shard folders, glob patterns, JSON
arrays, web archives and HTML pages; a bad record of each kind is one line naming its file
and line (or record)."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma

import pytest
from click.testing import CliRunner

from dedup.cli import main
from tests.conftest import CORPUS, SEED_IDS


def seed_rows() -> list[dict[str, str]]:
    return [
        {"id": path.stem, "text": path.read_text(encoding="utf-8")}
        for path in sorted(CORPUS.glob("*.txt"))
    ]


def jsonl_bytes(rows) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode("utf-8")


def zstd(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor().compress(data)


def scan(*inputs: str, out) -> tuple[int, list[str], list[str]]:
    """Exit code, the lines it printed about skipped records, and the documents' ids."""
    result = CliRunner().invoke(main, ["scan", *inputs, "-q", "-o", str(out)])
    assert result.exit_code == 0, result.output
    skipped = [line for line in result.output.splitlines() if line.startswith("skipped: ")]
    ids = [
        json.loads(line)["doc"]
        for line in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    return result.exit_code, skipped, ids


def test_scan_compressed_jsonl_with_a_bad_line(tmp_path):
    path = tmp_path / "feed.jsonl.zst"
    path.write_bytes(zstd(jsonl_bytes(seed_rows()) + b'{"id": "x", "text": 5}\n'))
    _, skipped, ids = scan(str(path), out=tmp_path / "out")
    assert skipped == [f'skipped: {path}:6: field "text" is int, not text']
    assert sorted(ids) == sorted(SEED_IDS.values())


def test_scan_compressed_csv_with_a_bad_row(tmp_path):
    import csv
    import io

    sink = io.StringIO()
    writer = csv.writer(sink)
    writer.writerow(["id", "text"])
    for row in seed_rows():
        writer.writerow([row["id"], row["text"]])
    writer.writerow(["bad", "row", "extra"])
    path = tmp_path / "feed.csv.bz2"
    path.write_bytes(bz2.compress(sink.getvalue().encode()))
    lines = sink.getvalue().count("\n")
    _, skipped, ids = scan(str(path), out=tmp_path / "out")
    assert skipped == [f"skipped: {path}:{lines}: expected 2 columns, found 3"]
    assert len(ids) == len(SEED_IDS)


def test_scan_json_array_with_a_bad_record(tmp_path):
    path = tmp_path / "feed.json"
    rows = [*seed_rows(), ["not", "an", "object"]]
    path.write_text("[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]\n", encoding="utf-8")
    _, skipped, ids = scan(str(path), out=tmp_path / "out")
    assert skipped == [f"skipped: {path}:7: expected a JSON object, found list"]
    assert len(ids) == len(SEED_IDS)


def test_scan_folder_of_shards_with_a_damaged_one(tmp_path):
    folder = tmp_path / "shards"
    folder.mkdir()
    rows = seed_rows()
    (folder / "a.jsonl.xz").write_bytes(lzma.compress(jsonl_bytes(rows[:3])))
    (folder / "b.jsonl.gz").write_bytes(b"this is no gzip data\n")
    (folder / "c.jsonl").write_bytes(jsonl_bytes(rows[3:]))
    _, skipped, ids = scan(str(folder), out=tmp_path / "out")
    assert skipped == [
        f"skipped: {folder / 'b.jsonl.gz'}:1: cannot read: Not a gzipped file (b'th')"
    ]
    assert sorted(ids) == sorted(SEED_IDS.values())


def test_scan_glob_pattern_with_a_bad_record(tmp_path):
    for row in seed_rows():
        (tmp_path / f"{row['id']}.jsonl.gz").write_bytes(gzip.compress(jsonl_bytes([row])))
    (tmp_path / "zz.jsonl.gz").write_bytes(gzip.compress(b'{"id": "x", "text": "  "}\n'))
    (tmp_path / "other.csv").write_text("id,text\nq,not matched\n", encoding="utf-8")
    _, skipped, ids = scan(str(tmp_path / "*.jsonl.gz"), out=tmp_path / "out")
    assert skipped == [f"skipped: {tmp_path / 'zz.jsonl.gz'}:1: empty text"]
    assert sorted(ids) == sorted(SEED_IDS.values())


def test_scan_folder_of_csv_and_parquet_shards_with_a_bad_row(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = seed_rows()
    folder = tmp_path / "shards"
    (folder / "2016").mkdir(parents=True)
    lines = ["id,text", *(f'{r["id"]},"{r["text"]}"' for r in rows[:2])]
    (folder / "2016" / "a.csv.xz").write_bytes(lzma.compress("\n".join(lines).encode() + b"\n"))
    table = pa.Table.from_pylist([*rows[2:], {"id": "x", "text": None}])
    pq.write_table(table, folder / "b.parquet")
    _, skipped, ids = scan(str(folder), out=tmp_path / "out")
    assert skipped == [f'skipped: {folder / "b.parquet"}:4: field "text" is null, not text']
    assert sorted(ids) == sorted(SEED_IDS.values())


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_scan_stdin_in_a_format_with_a_bad_record(tmp_path, fmt):
    import csv
    import io

    if fmt == "csv":
        sink = io.StringIO()
        writer = csv.writer(sink)
        writer.writerow(["id", "text"])
        for row in seed_rows():
            writer.writerow([row["id"], row["text"]])
        writer.writerow(["bad"])
        data = sink.getvalue()
        line = data.count("\n")
        reason = "expected 2 columns, found 1"
    else:
        items = [json.dumps(r) for r in [*seed_rows(), {"id": "bad"}]]
        data = "[" + ",\n".join(items) + "]" if fmt == "json" else "\n".join(items)
        line, reason = len(items), 'missing field "text"'
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["scan", "-", "--format", fmt, "-q", "-o", str(out)], input=data
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"skipped: <stdin>:{line}: {reason}"]
    assert len((out / "documents.jsonl").read_text().splitlines()) == len(SEED_IDS)


def test_scan_feed_dates_and_an_ambiguous_one(tmp_path):
    texts = [row["text"] for row in seed_rows()[:3]]
    dates = ["Sat, 10 Dec 2016 09:30:00 GMT", 1481362200000, "10/12/2016"]
    path = tmp_path / "feed.jsonl"
    rows = [{"id": f"d{k}", "text": t, "date": d} for k, (t, d) in enumerate(zip(texts, dates))]
    path.write_bytes(jsonl_bytes(rows))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["scan", str(path), "-q", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f'warning: {path}:3: unparsable date "10/12/2016" (expected ISO 8601 such as '
        "2016-12-10, RFC 2822 or Unix time); date left empty"
    ]
    documents = [json.loads(x) for x in (out / "documents.jsonl").read_text().splitlines()]
    assert [d["date"] for d in documents] == ["2016-12-10T09:30:00+00:00"] * 2 + [None]


def test_scan_warc_with_a_page_without_text(tmp_path):
    from tests.test_ingest_formats import seed_pages, write_warc

    path = tmp_path / "crawl.warc.gz"
    empty = b"<html><body><nav><a href='/'>Home</a></nav></body></html>"
    write_warc(path, [*seed_pages(), ("https://news.example/empty", empty)])
    out = tmp_path / "out"
    _, skipped, ids = scan(str(path), out=out)
    assert skipped == [f"skipped: {path}:12: no article text found in the page"]
    assert sorted(ids) == sorted(f"https://news.example/world/{i}" for i in SEED_IDS.values())
    documents = [json.loads(x) for x in (out / "documents.jsonl").read_text().splitlines()]
    assert {d["date"] for d in documents} == {
        "2016-12-10T09:30:00+00:00",
        "2016-12-07T09:30:00+00:00",
        None,
    }
    passages = [json.loads(x) for x in (out / "passages.jsonl").read_text().splitlines()]
    assert len(passages) == 12


def test_scan_folder_of_html_pages_with_a_bad_one(tmp_path):
    from tests.test_ingest_formats import seed_pages

    folder = tmp_path / "site"
    folder.mkdir()
    for url, markup in seed_pages():
        (folder / (url.rsplit("/", 1)[1] + ".html")).write_bytes(markup)
    (folder / "broken.htm").write_bytes(b"\x00\x00binary")
    _, skipped, ids = scan(str(folder), out=tmp_path / "out")
    assert skipped == [f"skipped: {folder / 'broken.htm'}: binary file, not text"]
    assert sorted(ids) == sorted(SEED_IDS.values())
