"""Readers: every format, every bad input, skip mode and --strict."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup.errors import ConfigError, InputError
from dedup.ingest import ReadOptions, parse_date, read_corpus
from tests.conftest import CORPUS, SEED_IDS

STRICT = ReadOptions(strict=True)


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# --- the shipped corpus -------------------------------------------------------------------


def test_corpus_folder_reads_five_records_with_metadata():
    corpus = read_corpus([CORPUS])
    assert [r.id for r in corpus.records] == sorted(SEED_IDS.values())
    assert not corpus.rejects and not corpus.warnings
    first = corpus.records[0]
    assert first.outlet == "Al Jazeera"
    assert first.date == "2016-12-10"
    assert first.title == "Syria and Russia pressed to end Aleppo onslaught"
    assert first.url is None
    by_id = {r.id: r for r in corpus.records}
    assert by_id[SEED_IDS["001"]].outlet is None  # unknown stays empty
    assert by_id[SEED_IDS["004"]].date is None


def test_folder_text_is_the_file_exactly():
    corpus = read_corpus([CORPUS])
    for record in corpus.records:
        assert record.text == (CORPUS / f"{record.id}.txt").read_bytes().decode("utf-8")
        assert record.source.endswith(f"{record.id}.txt")


def test_folder_keeps_crlf_and_strips_bom(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"\xef\xbb\xbfline one\r\nline two\r\n")
    record = read_corpus([tmp_path]).records[0]
    assert record.text == "line one\r\nline two\r\n"


def test_nested_folders_give_relative_ids_and_skip_hidden(tmp_path):
    (tmp_path / "bbc").mkdir()
    (tmp_path / "bbc" / "x.txt").write_text("some text", encoding="utf-8")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "y.txt").write_text("hidden", encoding="utf-8")
    (tmp_path / "notes.md").write_text("not an article", encoding="utf-8")
    assert [r.id for r in read_corpus([tmp_path]).records] == ["bbc/x"]


def test_sidecar_row_without_file_is_a_warning(tmp_path):
    (tmp_path / "a.txt").write_text("text", encoding="utf-8")
    (tmp_path / "metadata.csv").write_text("id,outlet\na,BBC\nghost,CNN\n", encoding="utf-8")
    corpus = read_corpus([tmp_path])
    assert corpus.records[0].outlet == "BBC"
    assert [w.reason for w in corpus.warnings] == ['metadata for "ghost", which has no .txt file']


def test_metadata_option_and_jsonl_sidecar(tmp_path):
    (tmp_path / "a.txt").write_text("text", encoding="utf-8")
    sidecar = write_jsonl(tmp_path.parent / "meta.jsonl", [{"id": "a", "date": "2020-01-02"}])
    corpus = read_corpus([tmp_path], ReadOptions(metadata=str(sidecar)))
    assert corpus.records[0].date == "2020-01-02"


# --- JSON lines, CSV, Parquet -------------------------------------------------------------


def test_jsonl_fields_and_generated_ids(tmp_path):
    path = write_jsonl(
        tmp_path / "feed.jsonl",
        [
            {"id": 7, "text": "first", "outlet": "AP", "date": "2016-12-10T09:30:00Z"},
            {"text": "second"},
        ],
    )
    records = read_corpus([path]).records
    assert [(r.id, r.outlet, r.date) for r in records] == [
        ("7", "AP", "2016-12-10T09:30:00+00:00"),
        ("feed:2", None, None),
    ]
    assert records[1].source == f"{path}:2"


def test_gzipped_jsonl(tmp_path):
    path = tmp_path / "feed.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "a", "text": "hello"}) + "\n")
    assert [r.id for r in read_corpus([path]).records] == ["a"]


def test_jsonl_from_stdin(monkeypatch):
    data = (json.dumps({"id": "s", "text": "from a pipe"}) + "\n").encode()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    records = read_corpus(["-"]).records
    assert records[0].id == "s" and records[0].source == "<stdin>:1"


def test_csv_with_custom_columns(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text('key,body,site\nx,"a, quoted\nmulti-line body",Reuters\n', encoding="utf-8")
    options = ReadOptions(id_field="key", text_field="body", outlet_field="site")
    record = read_corpus([path], options).records[0]
    assert (record.id, record.text, record.outlet) == ("x", "a, quoted\nmulti-line body", "Reuters")


def test_tsv(tmp_path):
    path = tmp_path / "feed.tsv"
    path.write_text("id\ttext\nx\thello there\n", encoding="utf-8")
    assert read_corpus([path]).records[0].text == "hello there"


def test_parquet(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "feed.parquet"
    pq.write_table(
        pa.table({"id": ["a", "b"], "text": ["one", "two"], "date": ["2016-12-10", None]}), path
    )
    records = read_corpus([path]).records
    assert [(r.id, r.date) for r in records] == [("a", "2016-12-10"), ("b", None)]
    assert records[1].source == f"{path}:2"


def test_single_txt_file(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("a story", encoding="utf-8")
    assert read_corpus([path]).records[0].id == "story"


def test_other_encoding(tmp_path):
    (tmp_path / "a.txt").write_bytes("café".encode("latin-1"))
    assert read_corpus([tmp_path], ReadOptions(encoding="latin-1")).records[0].text == "café"


# --- bad input: skipped and reported, or stop with --strict -------------------------------


def bad_txt(tmp_path, data: bytes):
    (tmp_path / "good.txt").write_text("fine text", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(data)
    return tmp_path


@pytest.mark.parametrize(
    ("data", "location", "reason"),
    [
        (b"ok line\ncaf\xe9\n", ":2", "not valid utf-8 at byte 11 (try --encoding)"),
        (b"\x00\x01\x02binary", "", "binary file, not text"),
        (b"   \n\n", "", "empty text"),
        (b"", "", "empty text"),
    ],
)
def test_bad_txt_file(tmp_path, data, location, reason):
    folder = bad_txt(tmp_path, data)
    corpus = read_corpus([folder])
    assert [r.id for r in corpus.records] == ["good"]
    assert [(r.source, r.reason) for r in corpus.rejects] == [
        (f"{folder / 'bad.txt'}{location}", reason)
    ]
    with pytest.raises(InputError, match=re.escape(f"{folder / 'bad.txt'}{location}: {reason}")):
        read_corpus([folder], STRICT)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"id": "x", "text": ', "malformed JSON: Expecting value"),
        ("[1, 2]", "expected a JSON object, found list"),
        ('{"id": "x"}', 'missing field "text"'),
        ('{"id": "x", "text": null}', 'field "text" is null, not text'),
        ('{"id": "x", "text": 5}', 'field "text" is int, not text'),
        ('{"id": "x", "text": "  "}', "empty text"),
    ],
)
def test_bad_jsonl_line(tmp_path, line, reason):
    path = tmp_path / "feed.jsonl"
    path.write_text(
        json.dumps({"id": "a", "text": "good"})
        + "\n"
        + line
        + "\n"
        + json.dumps({"id": "b", "text": "also good"})
        + "\n",
        encoding="utf-8",
    )
    corpus = read_corpus([path])
    assert [r.id for r in corpus.records] == ["a", "b"]
    assert [(r.source, r.reason) for r in corpus.rejects] == [(f"{path}:2", reason)]
    with pytest.raises(InputError, match=re.escape(f"{path}:2: {reason}")):
        read_corpus([path], STRICT)


def test_jsonl_invalid_utf8_line(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_bytes(b'{"id": "a", "text": "ok"}\n{"id": "b", "text": "caf\xe9"}\n')
    corpus = read_corpus([path])
    assert [r.id for r in corpus.records] == ["a"]
    assert corpus.rejects[0].source == f"{path}:2"
    assert corpus.rejects[0].reason.startswith("not valid utf-8")


def test_csv_row_with_wrong_column_count(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text("id,text\na,good\nb,bad,extra\nc\nd,fine\n", encoding="utf-8")
    corpus = read_corpus([path])
    assert [r.id for r in corpus.records] == ["a", "d"]
    assert [(r.source, r.reason) for r in corpus.rejects] == [
        (f"{path}:3", "expected 2 columns, found 3"),
        (f"{path}:4", "expected 2 columns, found 1"),
    ]


def test_csv_without_text_column(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text("id,body\na,hello\n", encoding="utf-8")
    message = 'no column "text" (columns: id, body; choose one with --text-field/--id-field)'
    corpus = read_corpus([path])
    assert [(r.source, r.reason) for r in corpus.rejects] == [(f"{path}:1", message)]
    with pytest.raises(InputError, match=re.escape(f"{path}:1: {message}")):
        read_corpus([path], STRICT)


def test_parquet_without_text_column(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "feed.parquet"
    pq.write_table(pa.table({"id": ["a"], "body": ["x"]}), path)
    corpus = read_corpus([path])
    assert corpus.rejects[0].reason.startswith('no column "text" (columns: id, body')


def test_duplicate_ids_keep_the_first(tmp_path):
    path = write_jsonl(
        tmp_path / "feed.jsonl", [{"id": "a", "text": "one"}, {"id": "a", "text": "two"}]
    )
    corpus = read_corpus([path])
    assert [r.text for r in corpus.records] == ["one"]
    assert corpus.rejects[0].reason == f'duplicate id "a" (first at {path}:1)'


def test_unparsable_date_is_kept_empty_with_a_warning(tmp_path):
    path = write_jsonl(tmp_path / "feed.jsonl", [{"id": "a", "text": "x", "date": "yesterday"}])
    corpus = read_corpus([path])
    assert corpus.records[0].date is None
    assert corpus.warnings[0].reason == (
        'unparsable date "yesterday" (expected ISO 8601 such as 2016-12-10, RFC 2822 or '
        "Unix time); date left empty"
    )


def test_missing_path_is_an_error_even_without_strict(tmp_path):
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'nope'}: no such file")):
        read_corpus([tmp_path / "nope"])


def test_unknown_extension(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_text("<a/>", encoding="utf-8")
    assert read_corpus([path]).rejects[0].reason.startswith("unknown input format")


def test_bad_options():
    with pytest.raises(ConfigError, match="format"):
        ReadOptions(format="xml")
    with pytest.raises(ConfigError, match="unknown encoding 'klingon'"):
        ReadOptions(encoding="klingon")


def test_input_files_are_not_modified(tmp_path):
    path = write_jsonl(tmp_path / "feed.jsonl", [{"id": "a", "text": "x"}, {"text": 3}])
    before = path.read_bytes(), path.stat().st_mtime_ns
    read_corpus([path])
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("2016-12-10", "2016-12-10"),
        ("2016-12-10T09:30:00Z", "2016-12-10T09:30:00+00:00"),
        ("2016-12-10 09:30", "2016-12-10T09:30:00"),
        ("10/12/2016", None),
        ("", None),
    ],
)
def test_parse_date(value, parsed):
    assert parse_date(value) == parsed


# --- fuzz: junk never crashes, good records survive ---------------------------------------


@given(st.binary(max_size=300))
def test_random_bytes_in_a_txt_folder(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "good.txt").write_text("a good article", encoding="utf-8")
    (folder / "junk.txt").write_bytes(data)
    corpus = read_corpus([folder])
    assert "good" in [r.id for r in corpus.records]
    assert len(corpus.records) + len(corpus.rejects) == 2
    with contextlib.suppress(InputError):
        read_corpus([folder], STRICT)


@given(st.lists(st.one_of(st.text(max_size=40), st.binary(max_size=40).map(repr)), max_size=5))
def test_random_lines_in_jsonl(tmp_path_factory, junk):
    path = tmp_path_factory.mktemp("fuzz") / "feed.jsonl"
    good = [json.dumps({"id": f"g{k}", "text": "good text"}) for k in range(2)]
    lines = [good[0], *[j.replace("\n", " ").replace("\r", " ") for j in junk], good[1]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ids = [r.id for r in read_corpus([path]).records]
    assert "g0" in ids and "g1" in ids
    with contextlib.suppress(InputError):
        read_corpus([path], STRICT)


def _text_lines_one_decoder(data: bytes, decoding: str) -> list:
    """text_lines as it was: every line after the first through one incremental decoder."""
    import codecs

    decoder = codecs.getincrementaldecoder(decoding)()
    out: list = []
    for number, raw in enumerate(io.BytesIO(data), 1):
        try:
            out.append((number, decoder.decode(raw) if number > 1 else raw.decode(decoding)))
        except UnicodeDecodeError as err:
            decoder.reset()
            out.append((number, (err.start, err.end, err.reason)))
    return out


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 1}\n\xef\xbb\xbf{"b": 2}\n\xef\xbb\xbf{"c": 3}\n',  # BOMs on lines 2 and 3
        b'{"a": 1}\n{"b": "\xff"}\n\xef\xbb\xbf{"c": 3}\n{"d": "\xc3\xa9"}\n',  # after a bad line
        b'{"a": 1}\n{"b": 2}\n{"c": "\xc3',  # the last line cut inside a character
        b'{"a": 1}\n{"b": 2}\n{"c": "\xc3\xa9\xe2\x82\xac"}\n\n  \n',
    ],
)
def test_text_lines_decode_as_one_incremental_decoder_did(data):
    from dedup.ingest.jsonl import text_lines

    found = [
        (n, (t.start, t.end, t.reason) if isinstance(t, UnicodeDecodeError) else t)
        for n, t in text_lines(io.BytesIO(data), ReadOptions())
    ]
    assert found == _text_lines_one_decoder(data, "utf-8-sig")
