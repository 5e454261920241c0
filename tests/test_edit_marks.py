"""The words an edited passage changed, and the report's pair view marking them (parsed
from the page, without a browser; tests/report/test_browser.py shows them in Chromium)."""

from __future__ import annotations

import re

from dedup import html
from dedup.config import Config
from dedup.edit_marks import changed_words
from dedup.pipeline import report
from dedup.types import Record
from tests.test_html import index_of

STORY = (
    "Government forces said on Sunday they had pushed the fighters back from the northern "
    "road after two days of heavy shelling, and aid workers said hundreds of families were "
    "still trapped in villages near the river without food, water or medical supplies."
)
#: The wire story as a second outlet printed it: one word substituted, one cut, one added.
EDITED = (STORY.replace("fighters", "rebels").replace("heavy shelling", "shelling") + " More soon")[
    : len(STORY) + 20
]
EDITED = EDITED.replace("medical supplies.", "urgent medical supplies.")


def where(text: str, word: str) -> list[int]:
    (found,) = [m.span() for m in re.finditer(rf"\b{word}\b", text)]
    return list(found)


def test_substituted_inserted_and_deleted_words_are_changed_in_each_text():
    a = "Wire: " + STORY + " Ends."
    b = "Local: " + EDITED + " Ends."
    span_a = (a.index("Government"), a.index("supplies") + len("supplies"))
    span_b = (b.index("Government"), b.index("supplies") + len("supplies"))
    changed_a, changed_b = changed_words(a, span_a, b, span_b)
    assert [a[s:e] for s, e in changed_a] == ["fighters", "heavy"]
    assert [b[s:e] for s, e in changed_b] == ["rebels", "urgent"]
    assert list(changed_a[0]) == where(a, "fighters")


def test_a_moved_sentence_is_not_changed_but_an_edit_inside_it_is():
    first = "The minister resigned on Friday after a week of protests in the capital."
    second = "Her deputy will lead the party until a congress elects a new leader in June."
    a = first + " " + second
    b = second.replace("deputy", "number two") + " " + first
    changed_a, changed_b = changed_words(a, (0, len(a)), b, (0, len(b)), reordered=True)
    assert [a[s:e] for s, e in changed_a] == ["deputy"]
    assert [b[s:e] for s, e in changed_b] == ["number two"]
    # in order only, the moved sentence would be marked as changed
    in_order, _ = changed_words(a, (0, len(a)), b, (0, len(b)))
    assert sum(e - s for s, e in in_order) > len(first) - 10


def test_a_verbatim_copy_has_no_changed_word():
    assert changed_words(STORY, (0, len(STORY)), STORY, (0, len(STORY))) == ([], [])


def test_the_pair_view_marks_the_substituted_word_in_both_texts():
    records = [Record("a", "Wire: " + STORY + " Ends."), Record("b", "Local: " + EDITED)]
    found = report(records, Config())
    page = html.render_report(found.records, found.scan, found.stories, found.chains)
    index = index_of(page)
    (pair,) = index["pairs"]
    (alignment,) = found.scan.pairs[0].alignments
    assert alignment.reuse_kind == "edited"
    assert (alignment.substituted_words, alignment.inserted_words) == (1, 1)
    assert alignment.deleted_words == 1
    texts = {r.id: r.text for r in records}
    changed_a = [texts["a"][s:e] for s, e in pair["changed_a"]]
    changed_b = [texts["b"][s:e] for s, e in pair["changed_b"]]
    assert changed_a == ["fighters", "heavy"]
    assert changed_b == ["rebels", "urgent"]
    assert pair["changed_a"][0] == where(texts["a"], "fighters")
    assert pair["changed_b"][0] == where(texts["b"], "rebels")
    # every changed word lies inside one of the pair's passages
    for marks, changed in (
        (pair["marks_a"], pair["changed_a"]),
        (pair["marks_b"], pair["changed_b"]),
    ):
        assert all(any(m[0] <= s and e <= m[1] for m in marks) for s, e in changed)
