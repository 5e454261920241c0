from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup.normalize import fold_char, fold_codepoints, normalize, to_codepoints, words

TEXTS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200)


@pytest.mark.parametrize(
    ("char", "folded"),
    [
        ("A", "a"),
        ("’", "'"),
        ("“", '"'),
        ("—", "-"),
        ("é", "e"),
        ("ﬁ", "fi"),
        ("ß", "ss"),
        ("Ａ", "a"),
        ("\u00ad", ""),  # soft hyphen
        ("\u200b", ""),  # zero-width space
        ("\u00a0", " "),
        ("…", "..."),
    ],
)
def test_fold_char(char, folded):
    assert fold_char(char) == folded


def test_normalize_folds_case_quotes_and_space():
    assert normalize("  Don’t   “Quote”\n\nHere ").text == 'don\'t "quote" here'


def test_decomposed_and_precomposed_accents_match():
    assert normalize("cafe\u0301").text == normalize("café").text == "cafe"


def test_offset_map_points_at_source_characters():
    text = "A  ﬁne\tday"
    norm = normalize(text)
    assert norm.text == "a fine day"
    assert norm.offset_map.tolist() == [0, 1, 3, 3, 4, 5, 6, 7, 8, 9, 10]
    # "fine" maps back to the ligature and the two letters after it
    assert norm.original_span(2, 6) == (3, 6)
    assert text[3:6] == "ﬁne"


@given(TEXTS)
def test_normalize_is_idempotent(text):
    once = normalize(text).text
    assert normalize(once).text == once


@given(TEXTS)
def test_offset_map_is_monotone_and_complete(text):
    norm = normalize(text)
    offsets = norm.offset_map
    assert len(offsets) == len(norm.text) + 1
    assert np.all(np.diff(offsets) >= 0)
    assert offsets[-1] == len(text)
    assert offsets.min(initial=0) >= 0


@given(TEXTS)
def test_every_normalised_char_comes_from_its_mapped_char(text):
    norm = normalize(text)
    for i, char in enumerate(norm.text):
        source = text[norm.offset_map[i]]
        assert (char == " " and source.isspace()) or char in fold_char(source)


@given(TEXTS)
def test_fold_codepoints_matches_per_char_fold(text):
    folded, _classes, _source = fold_codepoints(to_codepoints(text))
    expected = "".join(fold_char(c) for c in text)
    assert folded.tobytes().decode("utf-32-le") == expected


def test_words_split_cjk_per_character():
    assert words("東京 Tower") == ["東", "京", "tower"]
