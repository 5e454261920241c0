"""Random junk at every reader: nothing escapes but our own error, and good records survive."""

from __future__ import annotations

import contextlib
import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from dedup.errors import InputError
from dedup.ingest import ReadOptions, read_corpus

STRICT = ReadOptions(strict=True)
CELLS = st.text(max_size=20)


@given(st.lists(st.lists(CELLS, max_size=4), max_size=6))
def test_random_csv_rows(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("csv") / "feed.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "text"])
    writer.writerow(["good-1", "a good text"])
    writer.writerows(rows)
    writer.writerow(["good-2", "another good text"])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    ids = [r.id for r in read_corpus([path]).records]
    assert "good-1" in ids
    with contextlib.suppress(InputError):
        read_corpus([path], STRICT)


@given(st.binary(max_size=400))
def test_random_bytes_as_csv_and_parquet(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("bytes")
    for name in ("feed.csv", "feed.parquet", "feed.jsonl"):
        path = folder / name
        path.write_bytes(data)
        corpus = read_corpus([path])
        assert all(r.text.strip() for r in corpus.records)
        with contextlib.suppress(InputError):
            read_corpus([path], STRICT)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=8,
    )
)
def test_random_json_values(tmp_path_factory, value):
    import json

    path = tmp_path_factory.mktemp("json") / "feed.jsonl"
    path.write_text(
        json.dumps({"id": "g", "text": "good"}) + "\n" + json.dumps(value) + "\n",
        encoding="utf-8",
    )
    assert "g" in [r.id for r in read_corpus([path]).records]
    with contextlib.suppress(InputError):
        read_corpus([path], STRICT)
