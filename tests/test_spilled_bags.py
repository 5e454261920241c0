"""The sentence-bag route held on disk (dedup.spilled_bags): the same hits as the in-memory
kernel whatever the blocks and partitions, and the same passages from a spilled scan, in
Python and from the command line, byte for byte."""

from __future__ import annotations

import gzip
import json
import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.bags import BAG_MIN_WORDS, bag_hits, bag_hits_reference
from dedup.config import Config
from dedup.parallel import LocalEngine
from dedup.pipeline import scan, scan_spilled
from dedup.sentences import corpus_sentences
from dedup.shingle import tokenize
from dedup.spilled_bags import BagWriter, bag_words, spilled_bag_hits
from dedup.types import Record
from tests.conftest import assert_same_scan

from .test_edited_real import REUTERS


@cache
def reuters_texts(n: int) -> list[tuple[str, str]]:
    """The first ``n`` Reuters-21578 stories: ``(id, text)``."""
    found = []
    with gzip.open(REUTERS, "rt", encoding="utf-8") as handle:
        for row in map(json.loads, handle):
            found.append((row["id"], row["text"]))
            if len(found) == n:
                break
    return found


def shuffled(text: str) -> str:
    """``text``'s first 600 characters with each sentence's words reversed."""
    parts = re.split(r"(?<=\.)(\s+)", text[:600])
    return "".join(p if not p.strip() else " ".join(p.split()[::-1]) for p in parts)


def corpus(n: int = 400, copies: int = 24) -> list[Record]:
    """``n`` stories, ``copies`` of them with their lead's sentences shuffled behind the
    start of another story, and eight exact copies of one of those (a copy group)."""
    stories = reuters_texts(n)
    made = [
        Record(f"zz-{k:03d}", stories[7 * k + 3][1][:200] + " " + shuffled(stories[5 * k][1]))
        for k in range(copies)
    ]
    group = [Record(f"zz-copy-{k}", made[0].text) for k in range(8)]
    return [Record(i, t) for i, t in stories] + made + group


def spilled_hits(texts: list[str], batch: int, block_words: int, parts: int) -> np.ndarray:
    """:func:`spilled_bag_hits` of ``texts``, their words written ``batch`` texts at a
    time as the words stage writes them."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        writer = BagWriter(folder)
        for lo in range(0, len(texts), batch):
            writer.add(bag_words(texts[lo : lo + batch], tokenize(texts[lo : lo + batch])))
        writer.close()
        doc_words = np.diff(tokenize(texts).doc_ptr)
        return spilled_bag_hits(folder, doc_words, LocalEngine(2), None, block_words, parts)


def in_memory_hits(texts: list[str]) -> np.ndarray:
    tokens = tokenize(texts)
    starts, ptr = corpus_sentences(texts, tokens)
    return bag_hits(tokens.hashes, tokens.ends - tokens.starts, tokens.doc_ptr, starts, ptr)


def sentence(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{k}" for k in range(n)]


@given(
    st.lists(st.integers(BAG_MIN_WORDS, 14), min_size=2, max_size=6),
    st.integers(0, 1000),
    st.integers(1, 4),
    st.integers(5, 120),
    st.integers(1, 5),
)
@settings(max_examples=25, deadline=None)
def test_the_spilled_hits_are_the_reference_hits(lengths, seed, batch, block_words, parts):
    """Documents of sentences, some copied shuffled, exact or with a repeated word, into
    documents of any length; any batches, blocks and partitions."""
    rng = np.random.default_rng(seed)
    source = [sentence(f"s{k}x", n) for k, n in enumerate(lengths)]
    texts = [" ".join(" ".join(s).capitalize() + "." for s in source)]
    for d in range(4):
        picked = []
        for k in rng.permutation(len(source))[: rng.integers(1, len(source) + 1)].tolist():
            words_k = list(source[k])
            if rng.integers(0, 3):
                rng.shuffle(words_k)
            if rng.integers(0, 4) == 0:
                words_k[0] = words_k[-1]
            picked.append(" ".join(words_k).capitalize() + ".")
        texts.append(f"Filler{d} words here. " + " ".join(picked))
    tokens = tokenize(texts)
    starts, ptr = corpus_sentences(texts, tokens)
    chars = tokens.ends - tokens.starts
    want = bag_hits_reference(tokens.hashes, chars, tokens.doc_ptr, starts, ptr)
    got = spilled_hits(texts, batch, block_words, parts)
    assert got.tolist() == want.tolist()


reuters = pytest.mark.skipif(not REUTERS.exists(), reason="no shared Reuters-21578 data")


@reuters
@pytest.mark.parametrize(("batch", "block_words", "parts"), [(1000, None, None), (37, 4000, 5)])
def test_the_spilled_hits_of_reuters_are_the_in_memory_kernels(batch, block_words, parts):
    texts = [r.text for r in corpus(300, 16) if tokenize([r.text]).hashes.size]
    want = in_memory_hits(texts)
    assert len(want) >= 16  # the planted copies' sentences, at least
    assert spilled_hits(texts, batch, block_words or 1 << 22, parts or 1).tolist() == (
        want.tolist()
    )


def reordered(result) -> int:
    return sum(a.reuse_kind == "reordered" for p in result.pairs for a in p.alignments)


@reuters
def test_a_spilled_scan_finds_the_shuffled_passages_of_a_scan_in_memory():
    records = corpus()
    expected = scan(records)
    assert reordered(expected) >= 12
    assert len(expected.groups) >= 1  # the pairs of a group's member are left out
    got = scan_spilled(reversed(records), batch_chars=50_000, partitions=3, workers=2)
    assert_same_scan(got, expected)
    assert reordered(scan_spilled(records, Config(min_shuffled_sentences=0))) < 5


@reuters
def test_the_command_writes_the_same_files_spilled_or_not(tmp_path):
    from click.testing import CliRunner

    from dedup.cli import main

    path = tmp_path / "in.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for record in corpus(200, 12):
            handle.write(json.dumps({"id": record.id, "text": record.text}) + "\n")
    written = {}
    for spill in ("never", "always"):
        out = tmp_path / spill
        said = CliRunner().invoke(main, ["scan", str(path), "-o", str(out), "--spill", spill])
        assert said.exit_code == 0, said.output
        assert "not looked for" not in said.output
        written[spill] = {
            p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(Path(out).rglob("*"))
            if p.is_file() and p.name != "run.json"
        }
    assert written["always"] == written["never"]
    assert b'"reordered"' in written["never"]["passages.jsonl"]
