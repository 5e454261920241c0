from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup.normalize import to_codepoints, words
from dedup.shingle import shingle_hashes, token_hash_of, tokenize

TEXTS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120)
WORDY = st.lists(
    st.sampled_from(
        ["Aleppo", "Kerry’s", "grace", "the", "ﬁne", "café", "東京", "—", "...", "a-b"]
    ),
    max_size=30,
).map(" ".join)


@given(st.one_of(TEXTS, WORDY))
def test_tokens_are_the_reference_words(text):
    tokens = tokenize([text])
    assert len(tokens.hashes) == len(words(text))
    assert tokens.hashes.tolist() == [token_hash_of(w) for w in words(text)]


@given(st.one_of(TEXTS, WORDY))
def test_offsets_map_back_to_the_same_words(text):
    tokens = tokenize([text])
    expected = words(text)
    for k, (start, end) in enumerate(zip(tokens.starts.tolist(), tokens.ends.tolist())):
        assert 0 <= start < end <= len(text)
        assert expected[k] in words(text[start:end])


def test_offsets_on_a_seed_sentence(seed_texts):
    text = seed_texts["000"]
    tokens = tokenize([text])
    printed = [text[s:e] for s, e in zip(tokens.starts[:4], tokens.ends[:4])]
    assert printed == ["Syria", "and", "Russia", "pressed"]
    kerry = text.index("don’t trust")
    k = int(np.searchsorted(tokens.starts, kerry))
    assert text[tokens.starts[k] : tokens.ends[k]] == "don"
    assert text[tokens.starts[k + 1] : tokens.ends[k + 1]] == "t"


@given(st.lists(st.one_of(TEXTS, WORDY), min_size=1, max_size=6), st.data())
def test_batching_does_not_change_tokens(texts, data):
    whole = tokenize(texts)
    cut = data.draw(st.integers(0, len(texts)))
    parts = [tokenize(texts[:cut]), tokenize(texts[cut:])]
    assert np.concatenate([p.hashes for p in parts]).tolist() == whole.hashes.tolist()
    for d in range(len(texts)):
        alone = tokenize([texts[d]])
        assert whole.doc(d).starts.tolist() == alone.starts.tolist()
        assert whole.doc(d).ends.tolist() == alone.ends.tolist()


def test_case_quotes_and_accents_do_not_change_hashes():
    a = tokenize(["Don’t stop CAFÉ"]).hashes
    b = tokenize(["don't stop cafe\u0301"]).hashes
    assert a.tolist() == b.tolist()


def test_shingle_counts_per_document():
    tokens = tokenize(["one two three four five six", "", "one two", "a b c d e"])
    shingles, ptr = shingle_hashes(tokens.hashes, tokens.doc_ptr, 5)
    assert ptr.tolist() == [0, 2, 2, 3, 4]
    assert len(shingles) == 4


@given(st.lists(st.integers(0, 5), min_size=5, max_size=40))
def test_shingles_equal_when_word_runs_equal(word_ids):
    text = " ".join(f"w{i}" for i in word_ids)
    tokens = tokenize([text])
    shingles, _ = shingle_hashes(tokens.hashes, tokens.doc_ptr, 3)
    runs = [tuple(word_ids[i : i + 3]) for i in range(len(word_ids) - 2)]
    for x in range(len(runs)):
        for y in range(len(runs)):
            assert (shingles[x] == shingles[y]) == (runs[x] == runs[y])


def test_short_document_gets_one_shingle_of_all_its_words():
    tokens = tokenize(["Shr 12 cts", "Shr 12 cts", "Shr 13 cts"])
    shingles, ptr = shingle_hashes(tokens.hashes, tokens.doc_ptr, 5)
    assert ptr.tolist() == [0, 1, 2, 3]
    assert shingles[0] == shingles[1] != shingles[2]


def test_tokenizer_matches_reference_words_on_seeds(seed_texts):
    for text in seed_texts.values():
        tokens = tokenize([text])
        assert tokens.hashes.tolist() == [token_hash_of(w) for w in words(text)]


def test_kernel_given_fold_arrays_older_than_the_lengths_asks_again():
    # what a thread sees when another fills the table between its reading the arrays and
    # the kernel reading the lengths: the kernel must not read past the arrays it was given
    from dedup.normalize import FOLD_TABLE as table
    from dedup.shingle import _UNSEEN, _rank_keys, _tokenize_kernel

    code = 0x3349  # ㍉ (squared "miri"): folds to two katakana
    tokenize([chr(code)])
    stale = int(table.multi_at[code])  # the arrays as they were before this fold was added
    codepoints = to_codepoints("ab " + chr(code))
    out = [np.empty(8, np.uint64), np.empty(8, np.int64), np.empty(8, np.int64)]
    found = _tokenize_kernel(
        codepoints, np.zeros(1, np.int64), np.array([len(codepoints)]),
        table.first, table.first_class, table.length, table.multi_at,
        table.multi_codepoints[:stale], table.multi_classes[:stale], _rank_keys(64),
        True, *out, np.zeros(1, np.int64),
    )  # fmt: skip
    assert found == _UNSEEN
    assert tokenize(["ab " + chr(code)]).hashes.tolist() == [
        token_hash_of(w) for w in ["ab", "ミ", "リ"]
    ]


@given(st.lists(st.one_of(TEXTS, WORDY, st.sampled_from(["½", "½½ ¼", "ﬁne ½x"])), max_size=5))
def test_word_counts_size_the_arrays_tokenize_into_fills(texts):
    """Counting first, then filling, gives what tokenize's one pass gives (arrays the size
    of the text, or counted first when characters fold into more words than they are long)."""
    from dedup.shingle import tokenize_into, word_counts

    whole = tokenize(texts)
    counts = word_counts(texts)
    assert counts.tolist() == np.diff(whole.doc_ptr).tolist()
    n = int(counts.sum())
    hashes, starts, ends = np.empty(n, np.uint64), np.empty(n, np.int64), np.empty(n, np.int64)
    tokenize_into(texts, hashes, starts, ends)
    assert hashes.tolist() == whole.hashes.tolist()
    assert starts.tolist() == whole.starts.tolist() and ends.tolist() == whole.ends.tolist()


def test_tokenize_into_arrays_of_the_wrong_size_is_refused():
    from dedup.shingle import tokenize_into

    room = [np.empty(1, np.uint64), np.empty(1, np.int64), np.empty(1, np.int64)]
    with pytest.raises(ValueError, match="1 places are too few"):
        tokenize_into(["three words here"], *room)
    room = [np.empty(5, np.uint64), np.empty(5, np.int64), np.empty(5, np.int64)]
    with pytest.raises(ValueError, match="5 places for 3 words"):
        tokenize_into(["three words here"], *room)


def test_a_character_that_folds_into_several_words_is_counted():
    tokens = tokenize(["½½"])  # 2 characters fold to "1⁄21⁄2": 3 words
    assert tokens.doc_ptr.tolist() == [0, 3]
