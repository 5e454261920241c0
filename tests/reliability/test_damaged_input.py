"""A damaged or unreadable input is skipped with its file and line; the rest is read.

Text that no output file could hold (a lone surrogate in JSON) is rejected when read, so
nothing downstream can crash on it.
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

import dedup.ingest.folders
import dedup.store
from dedup.cleaned import txt_file_names, write_corpus
from dedup.cli import main
from dedup.config import Config
from dedup.errors import IndexFormatError
from dedup.ingest import ReadOptions, read_corpus
from dedup.pipeline import index_add, index_info, index_query, scan
from dedup.types import CleanedDocument, CleanResult, Record

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def seed_rows() -> list[dict[str, str]]:
    return [
        {"id": path.stem, "text": path.read_text(encoding="utf-8")}
        for path in sorted(CORPUS.glob("*.txt"))
    ]


def jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


@pytest.fixture
def good(tmp_path) -> Path:
    """Three seeds in a file of their own: what must still be read."""
    path = tmp_path / "good.jsonl"
    path.write_text(jsonl(seed_rows()[:3]), encoding="utf-8")
    return path


def scan_cli(*args: str):
    return CliRunner().invoke(main, ["scan", *args, "-q"])


def skipped_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("skipped: ")]


def test_a_truncated_gzip_keeps_the_records_before_the_cut(tmp_path, good):
    rows = [{"id": f"z{k}", "text": row["text"]} for k, row in enumerate(seed_rows())]
    packed = gzip.compress(jsonl(rows).encode("utf-8"))
    damaged = tmp_path / "cut.jsonl.gz"
    damaged.write_bytes(packed[: len(packed) // 2])
    out = tmp_path / "out"
    result = scan_cli(str(damaged), str(good), "-o", str(out))
    assert result.exit_code == 0, result.output
    [line] = skipped_lines(result.output)
    assert line.startswith(f"skipped: {damaged}:") and "cut short" in line
    ids = [json.loads(x)["doc"] for x in (out / "documents.jsonl").read_text().splitlines()]
    assert set(ids) >= {row["id"] for row in seed_rows()[:3]}  # the other file, whole
    assert any(i.startswith("z") for i in ids)  # and what came before the cut


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("plain.jsonl.gz", b'{"id": "x", "text": "not compressed"}\n', "Not a gzipped file"),
        ("broken.parquet", b"PAR1" + b"\x00" * 64 + b"PAR1", "not a readable Parquet file"),
        ("bytes.jsonl", b'{"id": "x", "text": "caf\xe9"}\n', "not valid utf-8 at byte"),
    ],
)
def test_a_damaged_file_is_one_line_and_the_rest_is_read(tmp_path, good, name, content, reason):
    damaged = tmp_path / name
    damaged.write_bytes(content)
    result = scan_cli(str(damaged), str(good))
    assert result.exit_code == 0, result.output
    [line] = skipped_lines(result.output)
    assert line.startswith(f"skipped: {damaged}") and reason in line
    strict = scan_cli(str(damaged), str(good), "--strict", "-o", str(tmp_path / "out"))
    assert strict.exit_code == 1
    assert strict.output.startswith(f"Error: {damaged}")
    assert not (tmp_path / "out").exists()


def test_a_file_without_read_permission_is_skipped(tmp_path, good, monkeypatch):
    locked = tmp_path / "locked.jsonl"
    locked.write_text(jsonl(seed_rows()[3:]), encoding="utf-8")
    opened = dedup.ingest.folders.open_binary

    def refuse(path):  # as the system refuses a file without read permission (root can read)
        if Path(path) == locked:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return opened(path)

    monkeypatch.setattr(dedup.ingest.folders, "open_binary", refuse)
    corpus = read_corpus([locked, good])
    assert [str(r) for r in corpus.rejects] == [f"{locked}: cannot read: Permission denied"]
    assert len(corpus.records) == 3


def test_utf16_json_lines_are_read(tmp_path):
    path = tmp_path / "wide.jsonl"
    path.write_bytes(jsonl(seed_rows()).encode("utf-16"))
    corpus = read_corpus([path], ReadOptions(encoding="utf-16"))
    assert not corpus.rejects
    assert [r.text for r in corpus.records] == [row["text"] for row in seed_rows()]


@pytest.mark.parametrize("field", ["title", "outlet", "id", "text"])
def test_a_lone_surrogate_is_rejected_when_read(tmp_path, good, field):
    rows = seed_rows()[3:]
    rows[0][field] = rows[0].get(field, "") + "\ud800"
    path = tmp_path / "surrogate.jsonl"
    path.write_text(jsonl(rows), encoding="utf-8")  # json.dumps escapes it: \ud800
    out = tmp_path / "out"
    result = scan_cli(str(path), str(good), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert skipped_lines(result.output) == [
        f'skipped: {path}:1: field "{field}" holds a lone surrogate (an escape such as '
        "\\ud800 with no pair), which is not text"
    ]
    assert len((out / "documents.jsonl").read_text().splitlines()) == 4
    index = tmp_path / "index.sqlite"
    added = CliRunner().invoke(main, ["index", "add", str(index), str(path), str(good), "-q"])
    assert added.exit_code == 0
    query = CliRunner().invoke(main, ["index", "query", str(index), str(good), "-q"])
    assert query.exit_code == 0


def test_an_api_record_with_a_lone_surrogate_is_a_reject():
    records = [Record(row["id"], row["text"]) for row in seed_rows()]
    records[4] = Record(records[4].id, records[4].text, title="x\udc80")
    result = scan(records)
    assert [r.reason.split(" ")[:2] for r in result.rejects] == [["field", '"title"']]
    assert len(result.documents) == 4


def test_a_newline_in_a_file_name_keeps_the_message_on_one_line(tmp_path, good):
    odd = tmp_path / "two\nlines.jsonl"
    odd.write_text('{"id": "x"}\n', encoding="utf-8")
    result = scan_cli(str(odd), str(good))
    assert skipped_lines(result.output) == [
        f'skipped: {tmp_path}/two\\nlines.jsonl:1: missing field "text"'
    ]


# --- a read-only index ---------------------------------------------------------------------


@pytest.fixture
def index(tmp_path) -> Path:
    path = tmp_path / "index.sqlite"
    index_add(path, [Record(row["id"], row["text"]) for row in seed_rows()[:3]])
    return path


def test_a_query_never_writes_to_the_index(index):
    before = index.read_bytes(), index.stat().st_mtime_ns
    result = index_query(index, [Record(row["id"] + "-new", row["text"]) for row in seed_rows()])
    assert result.counts["indexed_documents"] == 3
    assert index_info(index)["counts"]["documents"] == 3
    assert (index.read_bytes(), index.stat().st_mtime_ns) == before
    with (
        dedup.store.IndexStore.open(index, readonly=True) as store,
        pytest.raises(sqlite3.OperationalError, match="readonly"),
    ):
        store.connection.execute("DELETE FROM documents")


def test_an_index_in_a_folder_nobody_may_write_is_read_as_immutable(index, monkeypatch):
    connect = dedup.store._connect

    def no_shared_memory(path, *, readonly=False, immutable=False):
        # what SQLite says of a WAL file whose -shm it may neither open nor make
        if readonly and not immutable:
            raise IndexFormatError(f"{path}: not an index (unable to open database file)")
        return connect(path, readonly=readonly, immutable=immutable)

    monkeypatch.setattr(dedup.store, "_connect", no_shared_memory)
    assert index_info(index)["counts"]["documents"] == 3
    found = CliRunner().invoke(main, ["index", "query", str(index), str(CORPUS), "-q"])
    assert found.exit_code == 0, found.output


# --- clean's folder of .txt files ----------------------------------------------------------


def test_safe_file_names_never_take_another_ids_name():
    names = txt_file_names(["a?b", "a_b", "A_B", "c", "c~2"])
    assert [n.as_posix() for n in names] == [
        "a_b~2.txt",
        "a_b.txt",
        "A_B~3.txt",
        "c.txt",
        "c~2.txt",
    ]
    assert len({n.as_posix().lower() for n in names}) == 5


def test_a_cleaned_folder_reads_back_with_its_ids(tmp_path):
    ids = ["a?b", "a_b", "bbc/2016/x", "../up"]
    docs = tuple(
        CleanedDocument(Record(i, f"text of {i}", outlet="o"), f"text of {i}", ()) for i in ids
    )
    write_corpus(CleanResult(Config(), docs, (), ()), tmp_path / "corpus", layout_txt())
    back = read_corpus([tmp_path / "corpus"])
    assert not back.rejects and not back.warnings
    assert {r.id: r.text for r in back.records} == {i: f"text of {i}" for i in ids}


def layout_txt():
    from dedup.cleaned import CorpusLayout

    return CorpusLayout("txt", "corpus", fields={})
