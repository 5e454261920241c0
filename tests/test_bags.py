"""Shuffled words inside sentences (issue #20, dedup.bags): sentences matched by their bag
of words, against the plain reference and on real text."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.bags import (
    BAG_MIN_WORDS,
    bag_hits,
    bag_hits_reference,
    bag_passages,
    bag_runs,
)
from dedup.config import Config
from dedup.edits import REORDERED
from dedup.normalize import words
from dedup.pipeline import scan
from dedup.sentences import corpus_sentences, sentence_starts
from dedup.shingle import tokenize
from dedup.types import Record

from .test_edited_real import REUTERS, reuters


def sentence(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{k}" for k in range(n)]


def text_of(sentences: list[list[str]]) -> str:
    return " ".join(" ".join(s[:1] + s[1:]).capitalize() + "." for s in sentences)


def hits_of(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    tokens = tokenize(texts)
    starts, ptr = corpus_sentences(texts, tokens)
    chars = tokens.ends - tokens.starts
    args = (tokens.hashes, chars, tokens.doc_ptr, starts, ptr)
    return bag_hits(*args), bag_hits_reference(*args)


@given(
    st.lists(st.integers(BAG_MIN_WORDS, 20), min_size=1, max_size=5),
    st.lists(st.integers(0, 2), min_size=1, max_size=5),
    st.integers(0, 1000),
)
@settings(max_examples=40)
def test_the_compiled_hits_equal_the_reference(lengths, moves, seed):
    """Sentences copied shuffled, exact, or not at all, beside unrelated ones."""
    source = [sentence(f"s{k}x", n) for k, n in enumerate(lengths)]
    copy = []
    rng = np.random.default_rng(seed)
    for k, words_k in enumerate(source):
        move = moves[k % len(moves)]
        if move == 0:
            copy.append([words_k[i] for i in rng.permutation(len(words_k))])
        elif move == 1:
            copy.append(words_k[:])
        else:
            copy.append(sentence(f"h{k}x", len(words_k)))
    compiled, reference = hits_of([text_of(source), text_of(copy)])
    assert compiled.tolist() == reference.tolist()


@given(st.lists(st.integers(BAG_MIN_WORDS, 30), min_size=2, max_size=6), st.integers(0, 6))
@settings(max_examples=40)
def test_sentences_with_their_words_reversed_are_one_reordered_passage(lengths, lead):
    source = [sentence(f"s{k}x", n) for k, n in enumerate(lengths)]
    host = [sentence(f"h{k}x", 10) for k in range(lead)]
    copy = [*host, *[s[::-1] for s in source], sentence("t", 10)]
    texts = [text_of(source), text_of(copy)]
    found = bag_passages(texts, tokenize(texts))
    total = sum(lengths)
    offset = 10 * lead
    (passages, edits) = found[(0, 1)]
    assert passages.tolist() == [[0, total, offset, offset + total, total, total]]
    assert edits.tolist() == [[REORDERED, 0, 0, 0, 0, len(lengths)]]
    # one sentence is not a passage; and exact copies are the aligner's
    assert bag_passages(texts, tokenize(texts), min_sentences=len(lengths) + 1) == {}
    exact = [text_of(source), text_of([*host, *source])]
    assert bag_passages(exact, tokenize(exact)) == {}


def test_a_run_breaks_where_the_next_sentence_is_not_next_in_both():
    hits = np.array([[0, 0, 1, 50, 10], [0, 10, 1, 60, 12], [0, 22, 1, 90, 9]])
    assert bag_runs(hits).tolist() == [[0, 1, 0, 22, 50, 72, 2]]
    assert bag_runs(hits, 3).tolist() == []


def shuffled_lead(text: str, end: int) -> str:
    """The text up to ``end`` with each sentence's words reversed (line breaks kept
    between sentences)."""
    parts = re.split(r"(?<=\.)(\s+)", text[:end])
    return "".join(p if not p.strip() else " ".join(p.split()[::-1]) for p in parts)


@pytest.mark.skipif(not REUTERS.exists(), reason="no shared Reuters-21578 data")
def test_a_reuters_lead_with_shuffled_sentences_is_found_with_its_offsets():
    source = reuters()["5748"]
    end = source.index("yield 7.49 pct") + len("yield 7.49 pct.")  # the first three sentences
    lead = shuffled_lead(source, end)
    host = reuters()["1"]
    cut = host.index("\n    ") + 1
    suspicious = host[:cut] + "    " + lead + "\n" + host[cut:]
    records = [Record("source", source), Record("shuffled", suspicious)]
    assert scan(records, Config(min_shuffled_sentences=0)).pairs == ()  # the route off
    (pair,) = scan(records, Config()).pairs  # on by default
    (one,) = pair.alignments
    assert one.reuse_kind == "reordered"
    spans = {pair.a: (one.a_start, one.a_end), pair.b: (one.b_start, one.b_end)}
    assert sorted(words(source[slice(*spans["source"])])) == sorted(words(source[:end]))
    start = suspicious.index(lead)
    assert spans["shuffled"] == (start, start + len(lead.rstrip(".")))


def assert_each_documents_own_sentences(texts):
    """The corpus' sentences, cut by the kernel, are each document's own, as the reference
    (a regular expression over the text alone) cuts them."""
    tokens = tokenize(texts)
    starts, ptr = corpus_sentences(texts, tokens)
    for d, text in enumerate(texts):
        lo, hi = tokens.doc_ptr[d], tokens.doc_ptr[d + 1]
        own = sentence_starts(text, tokens.starts[lo:hi]) + lo
        assert starts[ptr[d] : ptr[d + 1]].tolist() == own.tolist()


def test_the_corpus_sentences_are_each_documents_own():
    texts = [
        "One two three. Four five? Six",
        "",
        "Alpha beta.\n    Gamma. delta U.S. Epsilon",
        "Zeta.",
    ]
    assert_each_documents_own_sentences(texts)


PIECES = [
    "word", "Word", "U.S.", "7", "x", "é", ".", ". ", "? ", "! ", '." ', ".) ", " ", "  ",
    "\n", "\n    ", "\n\n", "\t", "\u00a0", "\u2003", '"', "'", "(", "<", ",", "-", "Ärger",
]  # fmt: skip


@given(st.lists(st.lists(st.sampled_from(PIECES), max_size=40), min_size=1, max_size=6))
@settings(max_examples=200)
def test_the_sentence_kernel_cuts_where_the_regular_expression_does(pieces):
    """The kernel reads only the characters between words; the reference runs a regular
    expression over each whole text (quotes, brackets, line breaks, Unicode spaces)."""
    texts = ["".join(p) for p in pieces]
    assert_each_documents_own_sentences(texts)


def test_the_corpus_sentences_come_a_batch_of_texts_at_a_time(monkeypatch):
    import dedup.sentences

    texts = ["One two. Three four.\n\nFive", "Six. Seven eight", "", "Nine.\n  Ten"] * 5
    tokens = tokenize(texts)
    whole = corpus_sentences(texts, tokens)
    monkeypatch.setattr(dedup.sentences, "BATCH_CHARS", 7)
    parts = corpus_sentences(texts, tokens)
    assert [a.tolist() for a in parts] == [a.tolist() for a in whole]
    assert len(whole[0]) == 7 * 5  # 3 + 2 + 0 + 2 sentences
