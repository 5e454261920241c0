"""Output never leaves the chosen folder, whatever the document ids hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup.cleaned import CorpusLayout, safe_relative_path, write_corpus
from dedup.config import Config
from dedup.types import CleanedDocument, CleanResult, Record


@pytest.mark.parametrize(
    ("doc_id", "expected"),
    [
        ("../../etc/passwd", "etc/passwd.txt"),
        ("/absolute/name", "absolute/name.txt"),
        ("..", "_.txt"),
        ("a\\..\\b", "a/b.txt"),
        ("bbc/2016/story", "bbc/2016/story.txt"),
        ("nul\x00char", "nul_char.txt"),
    ],
)
def test_safe_relative_path(doc_id, expected):
    assert safe_relative_path(doc_id, ".txt") == Path(expected)


def test_hostile_ids_stay_inside_the_output(tmp_path):
    ids = ["../../escape", "/etc/passwd", "ok", "a/../../b", "../escape"]
    docs = tuple(CleanedDocument(Record(i, f"text of {i}"), f"text of {i}", ()) for i in ids)
    result = CleanResult(Config(), docs, (), ())
    out = tmp_path / "out"
    write_corpus(result, out / "corpus", CorpusLayout("txt", "corpus", fields={}))
    written = sorted(p for p in tmp_path.rglob("*.txt"))
    assert all(out / "corpus" in p.parents for p in written)
    assert len(written) == len(ids)  # "../../escape" and "../escape" do not overwrite each other
    texts = {p.read_text() for p in written}
    assert texts == {f"text of {i}" for i in ids}
