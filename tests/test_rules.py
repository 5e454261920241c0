"""Cleaning: rules, the reconstruct-from-cuts property, and the seed facts."""

from __future__ import annotations

import collections
import gzip
import itertools
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup import rules
from dedup.config import Config
from dedup.normalize import words
from dedup.pipeline import clean
from dedup.types import Record
from tests.conftest import SEED_IDS, SHARED_DATA

ID = SEED_IDS


@pytest.fixture(scope="module")
def cleaned(seed_records):
    result = clean(seed_records)
    return {doc.record.id[:3]: doc for doc in result.documents}


def eight_grams(text: str) -> collections.Counter:
    tokens = words(text)
    return collections.Counter(tuple(tokens[i : i + 8]) for i in range(len(tokens) - 7))


def sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?”\"])\s+|\n+", text)
    return [" ".join(words(p)) for p in parts if len(words(p)) >= 4]


# --- the seed facts -----------------------------------------------------------------------


def test_guardian_body_appears_once(cleaned, seed_texts):
    before = eight_grams(seed_texts["002"])
    after = eight_grams(cleaned["002"].text)
    assert sum(1 for c in before.values() if c > 1) == 952  # the count
    assert sum(1 for c in after.values() if c > 1) <= 5


def test_guardian_keeps_every_sentence_it_printed_once(cleaned, seed_texts):
    original = sentences(seed_texts["002"])
    counts = collections.Counter(original)
    boiler = " ".join(
        " ".join(words(c.text)) for c in cleaned["002"].cuts if c.reason.startswith("boilerplate")
    )
    kept = " ".join(words(cleaned["002"].text))
    for sentence in original:
        if sentence in boiler:
            continue
        assert sentence in kept, sentence
        if counts[sentence] == 1:
            assert kept.count(sentence) >= 1


def test_guardian_keeps_the_paragraphed_copy(cleaned):
    text = cleaned["002"].text
    assert text.startswith("Diplomats urge Russia and Assad to show grace in Aleppo victory\n\n")
    assert "\n\nKerry urged Russia to show “a little grace”" in text
    assert "Topics" not in text
    assert "Read more" not in text


def test_comment_thread_gone_article_intact(cleaned, seed_texts):
    text = cleaned["001"].text
    assert "Leave a Reply" not in text and "responses to" not in text
    assert "5thDrawer" not in text
    article = seed_texts["001"][: seed_texts["001"].index("3 responses to")].rstrip()
    assert text == article
    assert [c.reason for c in cleaned["001"].cuts] == ["comments"]


def test_read_more_teaser_gone(cleaned, seed_texts):
    text = cleaned["000"].text
    assert "READ MORE" not in text
    assert "What went wrong in east Aleppo?" not in text
    assert "Source: Al Jazeera, News Agencies" in text  # a credit line is not boilerplate


def test_repeated_caption_cut_once(cleaned):
    text = cleaned["004"].text
    caption = "More than 250 people have been killed in the ongoing bombardment of Aleppo"
    assert text.count(caption) == 1


def test_003_untouched(cleaned, seed_texts):
    assert cleaned["003"].text == seed_texts["003"] and not cleaned["003"].cuts


def test_every_cut_reconstructs_the_original(cleaned, seed_texts):
    for short, doc in cleaned.items():
        cuts = [(c.start, c.text) for c in doc.cuts]
        assert rules.reconstruct(doc.text, cuts) == seed_texts[short]
        for cut in doc.cuts:
            assert seed_texts[short][cut.start : cut.end] == cut.text


def test_cleaning_twice_cuts_nothing_more(cleaned):
    again = clean([Record(doc.record.id, doc.text) for doc in cleaned.values()])
    assert [d.cuts for d in again.documents] == [()] * 5


def test_skipping_rules(seed_records):
    config = Config(clean_skip=("self-duplicate", "comments", "teaser", "tags", "share"))
    result = clean(seed_records, config)
    assert all(doc.text == doc.record.text for doc in result.documents)


def test_user_pattern(seed_records):
    result = clean(seed_records, Config(boilerplate_patterns=(r"^Source: .*$",)))
    doc = next(d for d in result.documents if d.record.id == ID["000"])
    assert "Source: Al Jazeera" not in doc.text
    assert "boilerplate:user" in {c.reason for c in doc.cuts}


# --- rules on small texts -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("READ MORE: What went wrong in east Aleppo?", "teaser"),
        ("Aleppo bombing will continue until rebels leave, Russia says Read more", "teaser"),
        ("Topics  Aleppo   Syria   Russia", "tags"),
        ("Tags: politics, europe", "tags"),
        ("Share this:", "share"),
        ("Share on Facebook", "share"),
    ],
)
def test_builtin_patterns_match(line, rule):
    text = f"First paragraph of the story.\n\n{line}\n\nLast paragraph of the story."
    spans = rules.pattern_spans(text, rule, rules.BUILTIN_PATTERNS[rule])
    assert [text[s.start : s.end] for s in spans] == [line]


@pytest.mark.parametrize(
    "line",
    [
        "Opinion polls show the president ahead.",
        "Readers were told to read more about it.",
        "The topics discussed included trade.",
        "Shares of the company fell 3 pct.",
    ],
)
def test_builtin_patterns_leave_article_sentences(line):
    text = f"First paragraph.\n\n{line}\n\nLast paragraph."
    for rule, patterns in rules.BUILTIN_PATTERNS.items():
        assert rules.pattern_spans(text, rule, patterns) == [], rule


def test_comment_heading_early_in_text_is_not_a_thread():
    text = "Comments\n\n" + "The article body goes on and on. " * 20
    assert rules.comment_spans(text) == []


def test_learned_boilerplate_needs_many_documents_of_the_outlet():
    from dedup.pipeline import shingle_corpus

    footer = "Follow us on Twitter for the latest updates"
    texts = [f"Story number {k} about something.\n\n{footer}" for k in range(6)]
    texts.append(f"Another outlet's story.\n\n{footer}")
    outlets = ["A"] * 6 + ["B"]
    tokens = shingle_corpus(texts, 5).tokens
    documents = [
        rules.lines_of(t, tokens.doc(k).starts, tokens.doc(k).hashes) for k, t in enumerate(texts)
    ]
    learned = rules.learn_boilerplate(documents, outlets, min_docs=5, fraction=0.3, max_words=30)
    spans = rules.learned_spans(documents[0], "A", learned, 30)
    assert [texts[0][s.start : s.end] for s in spans] == [footer]
    few = rules.learn_boilerplate(
        documents[:4], outlets[:4], min_docs=5, fraction=0.3, max_words=30
    )
    assert few == set()


def test_self_duplicates_keep_the_copy_in_paragraphs():
    body = "One sentence here. Another sentence there. A third one too."
    flat = body
    paragraphed = body.replace(". ", ".\n\n")
    text = f"Title\n\n{flat}\n\n{paragraphed}"
    first = text.index(flat)
    second = text.index(paragraphed, first + 1)
    spans = rules.self_duplicate_spans(
        text, [(first, first + len(flat), second, second + len(paragraphed))]
    )
    assert [(s.start, s.end) for s in spans] == [(first, first + len(flat))]


def test_a_paragraph_is_kept_over_its_words_inside_a_flat_copy_printed_first():
    # the flat copy comes first and each paragraph matches a piece of it: no copy has more
    # line breaks, so the paragraph, a line of its own, is kept and the flat line is cut
    paragraphs = ["One sentence here and more.", "Another sentence there, and on.", "A third."]
    flat = " ".join(paragraphs)
    text = f"{flat}\n\n{paragraphs[0]}\n\nRead more: elsewhere\n\n{paragraphs[1]}"
    copies = []
    for paragraph in paragraphs[:2]:
        inside = flat.index(paragraph)
        alone = text.index(paragraph, len(flat))
        copies.append((inside, inside + len(paragraph), alone, alone + len(paragraph)))
    spans = rules.self_duplicate_spans(text, copies)
    assert sorted((s.start, s.end) for s in spans) == [(c[0], c[1]) for c in copies]


def test_combined_cuts_never_overlap():
    text = "aaaa bbbb cccc dddd eeee"
    first = [rules.Span(0, 14, "comments")]
    second = [rules.Span(5, 24, "self-duplicate")]
    cuts = rules.combine(text, [first, second])
    assert [(c.start, c.end, c.reason) for c in cuts] == [
        (0, 14, "comments"),
        (14, 24, "self-duplicate"),
    ]


SPANS = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 30)), max_size=6)


@given(st.text(alphabet="ab .\n", max_size=60), SPANS, SPANS)
def test_reconstruct_from_cuts_property(text, first, second):
    def spans(raw, reason):
        return [rules.Span(s, min(s + w, len(text)), reason) for s, w in raw if s < len(text) and w]

    cuts = rules.combine(text, [spans(first, "comments"), spans(second, "self-duplicate")])
    for a, b in itertools.pairwise(cuts):
        assert a.end <= b.start
    cleaned_text = rules.apply_cuts(text, cuts)
    assert rules.reconstruct(cleaned_text, [(c.start, text[c.start : c.end]) for c in cuts]) == text


# --- across documents ---------------------------------------------------------------------


def test_drop_duplicates_keeps_the_earliest(seed_records):
    base = seed_records[0]
    later = Record("zz-reprint", base.text.replace("Saturday", "Sat"), date="2016-12-11")
    earlier = Record("aa-original", base.text, date="2016-12-09")
    result = clean([*seed_records, later, earlier], drop_duplicates=True)
    drops = {d.dropped: d.kept for d in result.duplicates}
    assert drops == {ID["000"]: "aa-original", "zz-reprint": "aa-original"}
    dropped = next(d for d in result.documents if d.record.id == "zz-reprint")
    assert dropped.text == "" and dropped.duplicate_of == "aa-original"
    assert rules.reconstruct("", [(c.start, c.text) for c in dropped.cuts]) == later.text


def test_same_template_with_other_figures_is_not_a_duplicate():
    first = (
        "Cyprus Minerals Company said it is decreasing its electrolytic copper cathode price "
        "by 1.25 cents to 67.0 cents a pound, effective immediately, the company said today."
    )
    second = first.replace("1.25 cents", "one cent").replace("67.0", "66.0")
    result = clean([Record("a", first), Record("b", second)], drop_duplicates=True)
    assert result.duplicates == ()


REUTERS = SHARED_DATA / "reuters21578" / "reuters21578.jsonl.gz"


@pytest.mark.skipif(not REUTERS.exists(), reason="shared Reuters-21578 data not present")
def test_reuters_exact_duplicate_groups_keep_one_document():
    from dedup.ingest import read_corpus

    corpus = read_corpus([REUTERS])
    result = clean(corpus.records, drop_duplicates=True)
    kept = {d.record.id for d in result.documents if d.duplicate_of is None}
    groups = collections.defaultdict(list)
    with gzip.open(REUTERS, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row.get("exact_dup_group") and row["text"].strip():
                groups[row["exact_dup_group"]].append(row["id"])
    assert len(groups) == 282 and sum(map(len, groups.values())) == 566
    assert all(sum(i in kept for i in ids) <= 1 for ids in groups.values())
    dropped_in_groups = sum(1 for ids in groups.values() for i in ids if i not in kept)
    assert dropped_in_groups >= 566 - 282
    assert len(result.duplicates) > dropped_in_groups  # near-duplicates come on top


@pytest.mark.parametrize(
    "line", ["Read more: Oil prices fall again", "read more: Oil prices fall again"]
)
def test_read_more_teaser_in_any_case(line):
    text = f"First paragraph of the story.\n\n{line}\n\nLast paragraph of the story."
    spans = rules.pattern_spans(text, "teaser", rules.BUILTIN_PATTERNS["teaser"])
    assert [text[s.start : s.end] for s in spans] == [line]


def test_headline_teaser_names_another_articles_title():
    text = "Body.\n\nWatch: Thyssen Sees Good 1987 Profit\n\nWatch: the skies tonight for rain"
    titles = {rules.normalise_title("Thyssen sees good 1987 profit")}
    spans = rules.headline_teaser_spans(text, titles)
    assert [text[s.start : s.end] for s in spans] == ["Watch: Thyssen Sees Good 1987 Profit"]
    assert (
        rules.headline_teaser_spans(text, titles, own_title="Thyssen Sees Good 1987 Profit") == []
    )


def test_credit_line_is_never_learned_boilerplate():
    from dedup.pipeline import shingle_corpus

    credit = "Reuters contributed to this report."
    footer = "Follow us on Twitter for the latest updates"
    texts = [f"Story number {k} about something.\n\n{credit}\n\n{footer}" for k in range(6)]
    tokens = shingle_corpus(texts, 5).tokens
    documents = [
        rules.lines_of(t, tokens.doc(k).starts, tokens.doc(k).hashes) for k, t in enumerate(texts)
    ]
    learned = rules.learn_boilerplate(documents, ["A"] * 6, min_docs=5, fraction=0.3, max_words=30)
    spans = rules.learned_spans(documents[0], "A", learned, 30, texts[0])
    assert [texts[0][s.start : s.end] for s in spans] == [footer]
