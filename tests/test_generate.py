"""The benchmark corpus generator (benchmarks/generate.py): written as it is made, with the
bytes of the generator that held the whole corpus in memory, and a truth that slices."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SHARED_DATA

VOCABULARY = ("basil/basil.jsonl.gz", "reuters21578/reuters21578.jsonl.gz")
pytestmark = pytest.mark.skipif(
    any(not (SHARED_DATA / name).exists() for name in VOCABULARY),
    reason="../shared/data is not here: no vocabulary for the generator",
)

# SHA-256 of corpus.jsonl and truth.json for 300 documents, seed 5, from the generator as it
# was before it streamed (it held every body in memory): the same seed must give the same bytes
BEFORE_STREAMING = (
    "de0ad2f0486b9629f07e1cad1ab3ddb59cdcb58ac813a41c076a481c6208f546",
    "a11ae3bd056715125778094fcf8708b005bdbbab005036885adb006a196457b7",
)


def _generate_module():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return generate


def test_the_written_corpus_has_the_bytes_of_before(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--docs", "300", "--seed",
         "5", "-o", str(tmp_path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "300 documents" in done.stdout
    corpus = hashlib.sha256((tmp_path / "corpus.jsonl").read_bytes()).hexdigest()
    truth = hashlib.sha256((tmp_path / "truth.json").read_bytes()).hexdigest()
    assert (corpus, truth) == BEFORE_STREAMING
    assert sorted(path.name for path in tmp_path.iterdir()) == ["corpus.jsonl", "truth.json"]


def test_generate_gives_the_streamed_records_and_a_truth_that_slices(tmp_path) -> None:
    generate = _generate_module()
    records, truth = generate.generate(300, seed=5)
    streamed_truth = generate.Truth()
    streamed = list(generate.stream(300, 5, streamed_truth, tmp_path))
    assert streamed == records and streamed_truth == truth
    texts = {record["id"]: record["text"] for record in records}
    assert truth.near_duplicates and truth.passages
    for passage in truth.passages:
        assert len(passage["witnesses"]) >= 2
        for witness in passage["witnesses"]:
            words = texts[witness["doc"]][witness["start"] : witness["end"]].split(" ")
            assert len(words) == passage["words"]
    for pair in truth.near_duplicates:
        assert pair["a"] < pair["b"] and 0 < pair["edit_rate"] <= 0.2
    lines = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    assert hashlib.sha256(lines.encode()).hexdigest() == BEFORE_STREAMING[0]
