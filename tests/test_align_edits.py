"""Alignment through edits (issue #20): the word-level extension of exact segments."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.align import align_pairs, align_shingles
from dedup.edit_kernels import _extend_kernel, _fill_gap_kernel, _near_kernel
from dedup.edits import (
    _INVERSE_KEYS,
    A_HI,
    A_LO,
    B_HI,
    B_LO,
    DELETED,
    EDITED,
    EXACT,
    INSERTED,
    KIND,
    MATCHED_A,
    NEAR_MATCHED,
    PIECES,
    REORDERED,
    SUBSTITUTED,
    extend_reference,
    fill_gap_reference,
    near_words,
)
from dedup.normalize import words
from dedup.shingle import shingle_hashes, token_hash_of, tokenize

K = 5
OPTIONS = {"shingle_size": K, "min_words": 12, "max_gap": 5, "max_bridge": 30}
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def align_texts(text_a: str, text_b: str, **kwargs):
    """Reference path through edits, checked against the batch kernel on the same pair."""
    tokens = tokenize([text_a, text_b])
    shingles, ptr = shingle_hashes(tokens.hashes, tokens.doc_ptr, K)
    options = {**OPTIONS, **kwargs}
    passages, edits = align_shingles(
        shingles[ptr[0] : ptr[1]],
        shingles[ptr[1] : ptr[2]],
        words_a=tokens.doc(0),
        words_b=tokens.doc(1),
        return_edits=True,
        **options,
    )
    _, batch, batch_edits = align_pairs(
        shingles, ptr, np.array([[0, 1]]), words=tokens, return_edits=True, **options
    )
    assert batch.tolist() == passages.tolist()
    assert batch_edits.tolist() == edits.tolist()
    return passages, edits, tokens


def seq(n: int, prefix: str, start: int = 0) -> list[str]:
    return [f"{prefix}{i}" for i in range(start, start + n)]


def test_a_word_one_letter_off_is_near():
    assert near_words(token_hash_of("market"), token_hash_of("markct"), 6)
    assert near_words(token_hash_of("1985"), token_hash_of("19b5"), 4)
    assert not near_words(token_hash_of("market"), token_hash_of("basket"), 6)  # two letters
    assert not near_words(token_hash_of("market"), token_hash_of("rnarket"), 7)  # a length change
    assert not near_words(token_hash_of("market"), token_hash_of("market"), 6)  # equal


@given(
    st.text(LETTERS + "0123456789", min_size=1, max_size=20),
    st.integers(0, 19),
    st.sampled_from(LETTERS + "0123456789"),
)
@settings(derandomize=True)
def test_near_words_is_one_substituted_character(word, at, char):
    at %= len(word)
    other = word[:at] + char + word[at + 1 :]
    hash_a, hash_b = token_hash_of(word), token_hash_of(other)
    expected = other != word
    assert near_words(hash_a, hash_b, len(word)) == expected
    assert _near_kernel(np.uint64(hash_a), np.uint64(hash_b), len(word), _INVERSE_KEYS) == expected


@given(
    st.lists(st.integers(0, 6), min_size=0, max_size=14),
    st.lists(st.integers(0, 6), min_size=0, max_size=14),
    st.lists(st.integers(1, 8), min_size=14, max_size=14),
)
@settings(derandomize=True)
def test_compiled_gap_and_extension_equal_the_reference(values_a, values_b, chars):
    # words 0..6, each word's "length" from chars: near words need a real one-letter change
    vocab = ["alpha", "alpho", "beta", "bcta", "of", "on", "gamma"]
    words_a = np.array([token_hash_of(vocab[v]) for v in values_a], dtype=np.uint64)
    words_b = np.array([token_hash_of(vocab[v]) for v in values_b], dtype=np.uint64)
    chars_a = np.array([len(vocab[v]) for v in values_a], dtype=np.int64)
    chars_b = np.array([len(vocab[v]) for v in values_b], dtype=np.int64)
    n_a, n_b = len(words_a), len(words_b)
    table = np.empty((16, 16), dtype=np.int64)
    trace = np.zeros((16, 16), dtype=np.int8)
    stats = np.zeros(6, dtype=np.int64)
    words = (words_a, words_b, chars_a, chars_b)
    score, expected = fill_gap_reference(*words, 0, n_a, 0, n_b)
    assert _fill_gap_kernel(*words, 0, n_a, 0, n_b, _INVERSE_KEYS, table, trace, stats) == score
    assert stats.tolist() == expected
    for step, a0, b0 in ((1, 0, 0), (-1, n_a, n_b)):
        expected = extend_reference(*words, a0, b0, n_a, n_b, step, 3)
        stats[:] = 0
        took = _extend_kernel(*words, a0, b0, n_a, n_b, step, 3, _INVERSE_KEYS, table, trace, stats)
        assert (took[0], took[1], stats.tolist()) == expected


def test_substitutions_closer_than_a_shingle_stay_one_passage():
    passage = seq(60, "p")
    edited = list(passage)
    for at in (8, 11, 14, 17, 30, 32, 45):  # runs of 1 to 12 words between edits
        edited[at] = f"zz{at}xy"
    a, b = seq(20, "a") + passage + seq(9, "a", 20), seq(7, "b") + edited + seq(30, "b", 7)
    passages, edits, _ = align_texts(" ".join(a), " ".join(b))
    assert passages[:, [A_LO, A_HI, B_LO, B_HI, MATCHED_A]].tolist() == [[20, 80, 7, 67, 53]]
    assert edits.tolist() == [[EDITED, 7, 0, 0, 0, 1]]


def test_insertions_and_deletions_are_counted():
    passage = seq(60, "p")
    edited = [*passage[:10], "new1", *passage[10:25], *passage[26:40], "new2", "new3"]
    edited += passage[40:]
    passages, edits, _ = align_texts(" ".join(passage), " ".join(edited))
    assert passages[:, [A_LO, A_HI, B_LO, B_HI, MATCHED_A]].tolist() == [[0, 60, 0, 62, 59]]
    assert edits[0, [KIND, SUBSTITUTED, INSERTED, DELETED]].tolist() == [EDITED, 0, 3, 1]


def test_ocr_errors_are_near_matches():
    text = (
        "The company reported quarterly earnings that were stronger than analysts "
        "had expected, driven by higher margins in its industrial division and a "
        "recovery in demand from European customers during the period"
    )
    noisy = text.replace("quarterly", "quartcrly").replace("margins", "rnargins")
    noisy = noisy.replace("European", "Eur0pean").replace("customers", "custorners")
    passages, edits, _ = align_texts(text, noisy)
    assert len(passages) == 1
    assert passages[0, [A_LO, B_LO]].tolist() == [0, 0]
    # "quartcrly" and "Eur0pean" are one letter off; "rn" for "m" changes the length
    assert edits[0, NEAR_MATCHED] == 2
    assert edits[0, SUBSTITUTED] == 4


def test_swapped_sentences_are_one_reordered_passage():
    first, second, third = seq(20, "s"), seq(25, "t"), seq(15, "u")
    a = seq(10, "a") + first + second + third + seq(10, "a", 10)
    b = seq(5, "b") + second + first + third + seq(5, "b", 5)
    passages, edits, _ = align_texts(" ".join(a), " ".join(b))
    assert passages[:, [A_LO, A_HI, B_LO, B_HI, MATCHED_A]].tolist() == [[10, 70, 5, 65, 60]]
    assert edits[0, KIND] == REORDERED
    assert edits[0, PIECES] == 3  # the third sentence follows the first in a, not in b


def test_verbatim_copy_is_exact():
    passage = seq(30, "p")
    passages, edits, _ = align_texts(" ".join(seq(4, "a") + passage), " ".join(passage))
    assert passages[:, [A_LO, A_HI, B_LO, B_HI, MATCHED_A]].tolist() == [[4, 34, 0, 30, 30]]
    assert edits.tolist() == [[EXACT, 0, 0, 0, 0, 1]]


def test_a_repeated_phrase_inside_the_passage_is_not_a_second_passage():
    phrase = ["the", "company", "said", "on", "monday"]
    passage = seq(10, "p") + phrase + seq(20, "q") + phrase + seq(10, "r")
    edited = list(passage)
    edited[25] = "CHANGED"
    passages, _, _ = align_texts(" ".join(passage), " ".join(edited))
    assert passages[:, [A_LO, A_HI, B_LO, B_HI]].tolist() == [[0, 50, 0, 50]]


@st.composite
def edited_copies(draw):
    """A passage and a copy with k words substituted, at least ``gap`` words apart, its first
    and last 6 words kept (two exact runs, 12 words, for the passage to be kept)."""
    length = draw(st.integers(14, 40))
    gap = draw(st.integers(3, 8))
    spots = draw(st.lists(st.integers(6, length - 7), max_size=10, unique=True))
    chosen: list[int] = []
    for spot in sorted(spots):
        if not chosen or spot - chosen[-1] >= gap:
            chosen.append(spot)
    return length, chosen


@given(edited_copies(), st.integers(0, 12), st.integers(0, 12))
@settings(derandomize=True, max_examples=60)
def test_an_edited_copy_is_one_passage(copy, before, after):
    length, spots = copy
    passage = seq(length, "p")
    edited = [f"zz{k}xy" if k in spots else w for k, w in enumerate(passage)]
    a = seq(before, "a") + passage + seq(3, "a", 50)
    b = seq(after, "b") + edited + seq(3, "b", 50)
    passages, edits, _ = align_texts(" ".join(a), " ".join(b))
    expected = [[before, before + length, after, after + length, length - len(spots)]]
    assert passages[:, [A_LO, A_HI, B_LO, B_HI, MATCHED_A]].tolist() == expected
    assert edits[0, [KIND, SUBSTITUTED, INSERTED, DELETED]].tolist() == [
        EDITED if spots else EXACT,
        len(spots),
        0,
        0,
    ]


def longest_common_subsequence(x: list[str], y: list[str]) -> int:
    row = [0] * (len(y) + 1)
    for word in x:
        previous_diagonal = 0
        for j, other in enumerate(y, 1):
            previous_diagonal, row[j] = (
                row[j],
                previous_diagonal + 1 if word == other else max(row[j], row[j - 1]),
            )
    return row[-1]


@given(
    st.lists(st.integers(0, 14), min_size=0, max_size=70),
    st.lists(st.integers(0, 14), min_size=0, max_size=70),
    st.data(),
)
@settings(derandomize=True, max_examples=80)
@pytest.mark.parametrize("fragment_words", [0, 24])
def test_passages_rest_on_words_both_texts_share(fragment_words, values_a, values_b, data):
    # a shared stretch of the first text, edited, so that some pairs hold passages
    if values_a and data.draw(st.booleans()):
        lo = data.draw(st.integers(0, len(values_a) - 1))
        shared = values_a[lo : lo + data.draw(st.integers(0, 40))]
        edits = data.draw(st.lists(st.integers(0, max(len(shared) - 1, 0)), max_size=4))
        shared = [v + 100 if k in edits else v for k, v in enumerate(shared)]
        values_b = values_b[:10] + shared + values_b[10:]
    text_a = " ".join(f"w{v}" for v in values_a)
    text_b = " ".join(f"W{v}" for v in values_b)  # case differs: the same words
    passages, edits, tokens = align_texts(text_a, text_b, min_fragment_words=fragment_words)
    words_a, words_b = words(text_a), words(text_b)
    if longest_common_subsequence(words_a, words_b) < OPTIONS["min_words"]:
        assert len(passages) == 0
    doc_a, doc_b = tokens.doc(0), tokens.doc(1)
    for row, edit in zip(passages.tolist(), edits.tolist()):
        span_a = words_a[row[A_LO] : row[A_HI]]
        span_b = words_b[row[B_LO] : row[B_HI]]
        # the offsets give back the passage's words, whole
        assert words(text_a[doc_a.starts[row[A_LO]] : doc_a.ends[row[A_HI] - 1]]) == span_a
        assert words(text_b[doc_b.starts[row[B_LO]] : doc_b.ends[row[B_HI] - 1]]) == span_b
        # min_words exact words, or (with them on) the pieces of a heavy revision
        pieces = fragment_words > 0 and passages[:, MATCHED_A].sum() >= fragment_words
        assert row[MATCHED_A] >= OPTIONS["min_words"] or pieces
        if edit[KIND] != REORDERED:
            assert row[MATCHED_A] <= longest_common_subsequence(span_a, span_b)
            # every word of each span is matched, substituted, inserted or deleted
            aligned = row[MATCHED_A] + edit[SUBSTITUTED]
            assert aligned + edit[DELETED] == len(span_a)
            assert aligned + edit[INSERTED] == len(span_b)
        if edit[KIND] == EXACT:
            assert span_a == span_b


@given(
    st.lists(st.lists(st.integers(0, 12), min_size=0, max_size=60), min_size=2, max_size=5),
    st.data(),
)
@settings(derandomize=True)
def test_batch_path_equals_single_pair_path_through_edits(docs, data):
    # a copy of each document, with a word in seven changed, so that edited pairs abound
    docs = docs + [[v if k % 7 else v + 50 for k, v in enumerate(doc)] for doc in docs]
    texts = [" ".join(f"w{v}" for v in doc) for doc in docs]
    tokens = tokenize(texts)
    shingles, ptr = shingle_hashes(tokens.hashes, tokens.doc_ptr, K)
    n = len(docs)
    pairs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=8))
    pairs = sorted({(min(a, b), max(a, b)) for a, b in pairs})
    options = {"shingle_size": K, "min_words": 8, "max_gap": 3, "max_bridge": 12}
    index, batch, batch_edits = align_pairs(
        shingles, ptr, np.array(pairs).reshape(-1, 2), words=tokens, return_edits=True, **options
    )
    for k, (a, b) in enumerate(pairs):
        single, edits = align_shingles(
            shingles[ptr[a] : ptr[a + 1]],
            shingles[ptr[b] : ptr[b + 1]],
            same_doc=a == b,
            words_a=tokens.doc(a),
            words_b=tokens.doc(b),
            return_edits=True,
            **options,
        )
        assert batch[index == k].tolist() == single.tolist()
        assert batch_edits[index == k].tolist() == edits.tolist()


def test_scan_reports_an_edited_copy_as_one_alignment_with_exact_offsets():
    from dedup.pipeline import scan
    from dedup.types import Record

    body = (
        "The central bank said on Tuesday that it would keep its key interest rate unchanged "
        "for the third month running, citing slower growth in consumer prices and a weaker "
        "outlook for exports to its main trading partners in the coming quarter, while "
        "officials warned that the currency remained vulnerable to sudden swings in demand."
    )
    edited = (
        body.replace("Tuesday", "Wednesday")  # three edits 3 words apart: no exact run between
        .replace("would", "will")
        .replace("key", "main")
        .replace("third", "fourth")
        .replace("slower", "weaker")
        .replace("exports", "shipments")
        .replace("coming", "next")
    )
    a = "Markets opened quietly. " + body + " Traders were cautious."
    b = "In brief: " + edited + " More follows."
    result = scan([Record("a", a), Record("b", b)])
    (pair,) = result.pairs
    (alignment,) = pair.alignments
    assert a[alignment.a_start : alignment.a_end] == body[:-1]  # words end before the stop
    assert b[alignment.b_start : alignment.b_end] == edited[:-1]
    assert alignment.words_a == alignment.words_b == len(words(body))
    assert alignment.matched_words == len(words(body)) - 7


def test_the_kind_of_reuse_reaches_the_results_tables_and_files(tmp_path):
    import json

    from dedup.pipeline import scan
    from dedup.types import Record
    from dedup.writers import write_scan

    body = " ".join(seq(40, "p"))
    edited = body.replace("p7 ", "rebels ").replace("p20 ", "").replace("p30 ", "p30 extra ")
    swapped = " ".join(seq(20, "s", 20) + seq(20, "s"))
    records = [
        Record("a", "intro " + body + " " + " ".join(seq(40, "s")) + " end"),
        Record("b", "lead " + edited + " close"),
        Record("c", "other " + body + " words"),
        Record("d", "start " + swapped + " stop"),
    ]
    result = scan(records)
    found = {(p.a, p.b): p.alignments for p in result.pairs}
    (ab,) = found[("a", "b")]
    assert (ab.reuse_kind, ab.substituted_words, ab.inserted_words, ab.deleted_words) == (
        "edited",
        1,
        1,
        1,
    )
    assert ab.matched_words + ab.substituted_words + ab.deleted_words == ab.words_a
    (ac,) = found[("a", "c")]
    assert (ac.reuse_kind, ac.substituted_words, ac.inserted_words, ac.deleted_words) == (
        "exact",
        0,
        0,
        0,
    )
    (ad,) = found[("a", "d")]
    assert ad.reuse_kind == "reordered"
    kinds = {p.id: p.reuse_kind for p in result.passages}
    assert kinds[ab.cluster] == "edited"  # a, b and c carry it: the most changed kind
    assert kinds[ad.cluster] == "reordered"
    table = result.to_arrow("alignments").to_pydict()
    assert sorted(table["reuse_kind"]) == ["edited", "edited", "exact", "reordered"]
    assert result.columns("passages")["reuse_kind"] == [p.reuse_kind for p in result.passages]

    write_scan(result, tmp_path)
    pairs = [json.loads(line) for line in (tmp_path / "pairs.jsonl").read_text().splitlines()]
    written = {(p["a"], p["b"]): p["passages"][0] for p in pairs}
    assert written[("a", "b")]["reuse_kind"] == "edited"
    assert written[("a", "b")]["substituted_words"] == 1
    assert written[("a", "d")]["reuse_kind"] == "reordered"
    passages = [json.loads(x) for x in (tmp_path / "passages.jsonl").read_text().splitlines()]
    assert {p["id"]: p["reuse_kind"] for p in passages} == kinds


def heavy_revision(runs: list[int]) -> tuple[str, str]:
    """A source and a rewrite that keeps exact runs of ``runs`` words (each under
    ``min_words``), in reverse order, with new wording of 15 words around each (no word
    of it one character from another)."""
    source, rewrite = [], []
    for k, size in enumerate(runs):
        kept = seq(size, f"keep{k}x")
        source = source + seq(15, f"src{k}x") + kept
        rewrite = kept + seq(15, f"new{k}x") + rewrite
    return " ".join(source), " ".join(rewrite)


def test_the_short_exact_runs_of_a_heavy_revision_are_kept_together():
    source, rewrite = heavy_revision([9, 8, 10])  # 27 words in exact runs, none of 12
    passages, edits, _ = align_texts(source, rewrite, min_fragment_words=24)
    # the first two pieces, in reverse order with 15 reworded words between them in each
    # text, tile one block holding half its words copied: one reordered passage; with the
    # third the block would hold fewer (27 of 57)
    assert sorted((p[A_HI] - p[A_LO], p[MATCHED_A]) for p in passages.tolist()) == [
        (10, 10),
        (9 + 15 + 8, 9 + 8),
    ]
    assert sorted(edits[:, KIND].tolist()) == [EXACT, REORDERED]
    assert len(align_texts(source, rewrite)[0]) == 2  # on by default (24 words)
    assert len(align_texts(source, rewrite, min_fragment_words=0)[0]) == 0  # off
    # fewer words in all than min_fragment_words: nothing
    fewer, _, _ = align_texts(*heavy_revision([9, 8]), min_fragment_words=24)
    assert len(fewer) == 0


def test_pieces_are_not_added_to_a_pair_with_a_passage():
    source, rewrite = heavy_revision([9, 8, 10, 20])
    passages, _, _ = align_texts(source, rewrite, min_fragment_words=24)
    assert (passages[:, A_HI] - passages[:, A_LO]).tolist() == [20]


def test_a_scan_finds_a_heavy_revision_by_default():
    from dedup.config import Config
    from dedup.pipeline import scan
    from dedup.types import Record

    source, rewrite = heavy_revision([9, 8, 10, 7])
    records = [Record("a-source", source), Record("b-rewrite", rewrite)]
    (pair,) = scan(records).pairs
    # the pieces two by two (9 and 8, 10 and 7 words, reversed, 15 reworded words between
    # them): each pair tiles a block holding half its words copied, one reordered passage
    assert sorted(a.matched_words for a in pair.alignments) == [17, 17]
    for a in pair.alignments:
        assert a.reuse_kind == "reordered"
        assert sorted(words(source[a.a_start : a.a_end]))[: a.matched_words] == sorted(
            set(words(source[a.a_start : a.a_end])) & set(words(rewrite[a.b_start : a.b_end]))
        )
    assert scan(records, Config(min_fragment_words=0)).pairs == ()  # switched off
    assert scan(records, Config(min_fragment_words=35)).pairs == ()


@given(st.integers(30, 80), st.integers(12, 25), st.data())
@settings(max_examples=40)
def test_part_of_a_passage_the_source_repeats_elsewhere_is_not_a_second_passage(n, m, data):
    """The source repeats ``m`` words of its lead further on; a copy of the lead is one
    passage, against the lead, not also against the repeat (an echo)."""
    at = data.draw(st.integers(0, n - m))
    lead = seq(n, "w")
    source = " ".join([*lead, *seq(20, "x"), *lead[at : at + m], *seq(10, "y")])
    copy = " ".join([*seq(15, "h"), *lead, *seq(15, "k")])
    passages, _, _ = align_texts(copy, source)
    assert passages[:, :4].tolist() == [[15, 15 + n, 0, n]]
    # the repeat on its own is still found
    alone = " ".join([*seq(15, "h"), *lead[at : at + m], *seq(15, "k")])
    found, _, _ = align_texts(alone, source)
    assert len(found) >= 1 and found[:, MATCHED_A].min() == m


@given(st.integers(12, 30), st.integers(12, 30), st.integers(12, 30), st.integers(0, 30),
       st.integers(0, 30))  # fmt: skip
@settings(max_examples=40)
def test_moved_sentences_around_a_rewritten_one_are_one_reordered_passage(x, y, z, hole_a, hole_b):
    """Sentences X Y Z copied as Z X Y, with a sentence between X and Y rewritten (a hole
    of ``hole_a`` words in one text and ``hole_b`` in the other): one reordered passage
    when the block holds half its words copied, else the pieces as they are."""
    s_x, s_y, s_z = seq(x, "x"), seq(y, "y"), seq(z, "z")
    source = " ".join([*seq(10, "h"), *s_x, *seq(hole_a, "old"), *s_y, *s_z, *seq(10, "t")])
    copy = " ".join([*seq(10, "k"), *s_z, *s_x, *seq(hole_b, "new"), *s_y, *seq(10, "e")])
    passages, edits, _ = align_texts(source, copy)
    copied, span = x + y + z, x + y + z + max(hole_a, hole_b)
    if 2 * copied >= span:
        assert passages[:, :4].tolist() == [[10, 10 + copied + hole_a, 10, 10 + copied + hole_b]]
        assert edits[:, KIND].tolist() == [REORDERED]
        assert passages[0, MATCHED_A] == copied
    else:
        assert sorted(passages[:, MATCHED_A].tolist()) != [copied]


@given(st.lists(st.tuples(*[st.integers(0, 60)] * 4, st.integers(0, 40)), max_size=6))
def test_compiled_echoes_equal_the_reference(spans):
    from dedup.edit_kernels import _echoes_kernel
    from dedup.edits import _echo_reference

    rows = [[a, a + da, b, b + db, m, m] for a, da, b, db, m in spans]
    array = np.array(rows, dtype=np.int64).reshape(-1, 6)
    expected = [_echo_reference(rows, x) for x in range(len(rows))]
    assert _echoes_kernel(array).tolist() == expected


def test_an_echo_is_inside_in_one_document_only():
    from dedup.edits import _echo_reference

    strong = [0, 100, 0, 100, 90, 90]
    echo = [50, 80, 300, 330, 25, 25]  # inside in a, elsewhere in b
    repeat = [70, 104, 30, 64, 25, 25]  # inside in b, half inside in a, another diagonal
    continuation = [60, 130, 55, 125, 40, 40]  # half inside in both, and reaching past
    assert _echo_reference([strong, echo], 1)
    assert _echo_reference([strong, repeat], 1)
    assert not _echo_reference([strong, continuation], 1)
    assert not _echo_reference([strong, echo], 0)  # the stronger one stays
