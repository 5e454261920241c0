"""The negatives of benchmarks/edited.py: a drawn same-topic pair whose stories share an
exact run of 12 words is real carried-over wording, not scored as a false detection; the test
is a plain word n-gram test."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from edited_corpus import NEGATIVE_EXACT_RUN, shares_exact_run

WORDS = [
    "rubber",
    "pact",
    "talks",
    "resolve",
    "their",
    "differences",
    "Malaysia",
    "welcomes",
    "the",
    "accord",
]


def longest_run(a: str, b: str) -> int:
    """The longest run of equal words, by dynamic programming over every pair of positions."""
    x, y = re.findall(r"\w+", a.lower()), re.findall(r"\w+", b.lower())
    best, row = 0, [0] * (len(y) + 1)
    for i in range(len(x)):
        new = [0] * (len(y) + 1)
        for j in range(len(y)):
            if x[i] == y[j]:
                new[j + 1] = row[j] + 1
                best = max(best, new[j + 1])
        row = new
    return best


def test_a_carried_sentence_of_twelve_words_is_shared_eleven_is_not() -> None:
    carried = "negotiators at a United Nations conference on a new International Natural Rubber"
    assert len(carried.split()) == 12
    a = f"Tokyo, March 13 - {carried} Agreement said today."
    b = f"Malaysia welcomed it. {carried.upper()}, the chairman said."
    assert shares_exact_run(a, b, NEGATIVE_EXACT_RUN)
    shorter = " ".join(carried.split()[1:])
    assert not shares_exact_run(f"Tokyo - {shorter} said.", b.replace("NEGOTIATORS", "X"), 12)


@given(
    st.lists(st.sampled_from(WORDS), max_size=30),
    st.lists(st.sampled_from(WORDS), max_size=30),
    st.integers(1, 6),
)
def test_the_ngram_test_equals_the_longest_run(a: list[str], b: list[str], n: int) -> None:
    text_a, text_b = " ".join(a), ", ".join(b)
    assert shares_exact_run(text_a, text_b, n) == (longest_run(text_a, text_b) >= n)
