"""dedup.writers: a document's JSON line written straight from its fields is the line the
row writer makes of its record."""

from __future__ import annotations

import json

import pytest

from dedup.formats import write_jsonl, write_lines
from dedup.types import DocumentInfo
from dedup.writers import JsonLines, document_line, document_record

ODD_TEXTS = [
    "plain",
    'quote " and backslash \\ and slash /',
    "tab\tnewline\nreturn\r nul \x00 bell \x07 del \x7f",
    "accents é ü, CJK 中文, emoji 🙂, line separator \u2028, BOM \ufeff",
    "",
]


def row_writer_line(doc: DocumentInfo) -> str:
    return json.dumps(document_record(doc), ensure_ascii=False, separators=(",", ":"))


def documents() -> list[DocumentInfo]:
    docs = []
    for number, text in enumerate(ODD_TEXTS):
        for words, reused in ((0, 0), (7, 3), (3, 3), (1_000_003, 999_999), (10, 0)):
            outlet = None if number % 2 else text
            docs.append(DocumentInfo(text, words, words * 6, reused, number, outlet, text, "f:1"))
            docs.append(DocumentInfo(f"id-{number}", words, 5, reused, 0, text, None, "f:2"))
    return docs


@pytest.mark.parametrize("doc", documents())
def test_a_document_line_is_the_row_writers(doc):
    assert document_line(doc) == row_writer_line(doc)
    assert json.loads(document_line(doc)) == document_record(doc)


def test_fields_of_other_types_go_through_the_encoder():
    # a bool is an int to the encoder's eyes but prints as true; a float words count
    odd = DocumentInfo("x", True, 3, 1, 0, None, None, "f:1")
    assert document_line(odd) == row_writer_line(odd)
    assert '"words":true' in document_line(odd)
    floats = DocumentInfo("x", 4.0, 3, 1, 0, None, None, "f:1")  # type: ignore[arg-type]
    assert document_line(floats) == row_writer_line(floats)


def test_json_lines_write_the_same_file_as_the_row_writer(tmp_path):
    docs = documents()
    rows = JsonLines(docs, document_record, document_line)
    assert write_lines(tmp_path / "lines.jsonl", rows.lines()) == len(docs)
    assert write_jsonl(tmp_path / "rows.jsonl", rows) == len(docs)
    assert (tmp_path / "lines.jsonl").read_bytes() == (tmp_path / "rows.jsonl").read_bytes()
