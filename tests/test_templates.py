"""dedup.templates: an outlet's recurring frames are taken out, topic words stay."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from dedup.clustering import StoryClusterer
from dedup.templates import MIN_DAYS, strip_templates, template_word_mask
from dedup.types import Record

COMPANIES = [
    "Acme Widgets", "Borealis Mining", "Cobalt Foods", "Delta Shipping", "Ember Software",
    "Fjord Textiles", "Granite Cement", "Harbor Airlines", "Iris Optics", "Jasper Brewing",
    "Kestrel Motors", "Lumen Energy",
]  # fmt: skip


def brief(company: str, k: int) -> str:
    """An earnings brief: the same frame each time, with the company and numbers changing."""
    return (
        f"{company} first quarter. Shr {k + 11} cts vs {k + 3} cts. Net {k + 1}.{k} mln vs "
        f"{k + 2}.5 mln. Revs {k + 40} mln vs {k + 38} mln. Note: per share results are "
        f"restated for the stock split."
    )


def briefs() -> list[Record]:
    return [
        Record(f"brief{k:02d}", brief(name, k), title=f"{name.upper()} 1ST QTR NET",
               outlet="Wire", date=date(1987, 3, 1 + k).isoformat())
        for k, name in enumerate(COMPANIES)
    ]  # fmt: skip


def days_of(records: list[Record]) -> np.ndarray:
    return np.array([date.fromisoformat(r.date).toordinal() if r.date else -1 for r in records])


def test_a_frame_used_on_many_days_is_taken_out_and_the_slots_stay():
    records = briefs()
    out, removed = strip_templates(
        [r.text for r in records], [r.outlet for r in records], days_of(records)
    )
    assert removed > 0
    for record, text in zip(records, out):
        words = text.lower().split()
        assert "shr" not in words and "revs" not in words and "restated" not in words
        company = record.title.split(" 1ST")[0].lower().split()
        assert all(word in words for word in company)  # the slot: what differs between briefs


def test_a_frame_seen_on_fewer_days_than_the_minimum_is_kept():
    records = briefs()[: MIN_DAYS - 1]
    texts = [r.text for r in records]
    out, removed = strip_templates(texts, [r.outlet for r in records], days_of(records))
    assert removed == 0
    assert out == texts


def test_undated_texts_are_left_as_they_are():
    records = briefs()
    texts = [r.text for r in records]
    out, removed = strip_templates(texts, [r.outlet for r in records], np.full(len(texts), -1))
    assert (out, removed) == (texts, 0)


def test_a_frame_is_learnt_per_outlet():
    # the same briefs spread over two outlets, each on fewer days than the minimum
    records = briefs()
    outlets = ["Wire" if k % 2 else "Other" for k in range(len(records))]
    _, removed = strip_templates([r.text for r in records], outlets, days_of(records))
    assert removed == 0


ADJECTIVES = "big small new old rising falling firm weak key main fresh rare".split()  # noqa: SIM905
NOUNS = "steel grain oil coal gold wool rice tin copper sugar zinc cocoa".split()  # noqa: SIM905


def test_a_word_mostly_used_outside_the_frame_stays():
    records = briefs()  # "share" is in their frame ("per share results are restated")
    pairs = list(zip(ADJECTIVES, NOUNS))
    texts = [f"{a} share of {n}" for a, n in pairs] + [f"{n} {a} share" for a, n in pairs]
    extra = [  # and in twice as many texts of the outlet, outside any frame
        Record(f"x{k}", text, outlet="Wire", date=date(1987, 4, 1 + k).isoformat())
        for k, text in enumerate(texts)
    ]
    everything = records + extra
    out, removed = strip_templates(
        [r.text for r in everything], [r.outlet for r in everything], days_of(everything)
    )
    assert removed > 0
    assert all("share" in text.lower().split() for text in out)  # in the frame too: a topic word
    assert all("restated" not in text.lower().split() for text in out[: len(records)])


def test_mask_marks_exactly_the_covered_words_of_template_words():
    # text 0..9: words 1 2 3 4 (a run) then a word of its own; each text on its own day
    ids = np.concatenate([[1, 2, 3, 9 + k] for k in range(10)]).astype(np.uint64)
    counts = np.full(10, 4)
    mask = template_word_mask(ids, counts, np.arange(10), 3, 8, 0.5)
    assert mask.reshape(10, 4).tolist() == [[True, True, True, False]] * 10


@pytest.mark.parametrize("learn", [True, False])
def test_briefs_of_different_companies_are_not_one_story_without_their_frame(learn):
    records = briefs()
    clusterer = StoryClusterer(learn_templates=learn).fit(records)
    if learn:
        assert clusterer.n_template_words_ > 0
        assert clusterer.n_clusters_ == len(records)  # every brief alone
    else:
        assert clusterer.n_template_words_ == 0
        assert clusterer.n_clusters_ < len(records)  # the frame ties them


def _reference_strip(texts: list[str], days: np.ndarray) -> list[str]:
    """One outlet's texts stripped word by word in plain Python (what strip_templates did
    before its kernels were vectorized): the reference the fast path must equal."""
    from dedup.shingle import tokenize

    tokens = tokenize(texts)
    counts = np.diff(tokens.doc_ptr)
    ids = tokens.hashes.copy()
    for doc, text in enumerate(texts):
        for t in range(int(tokens.doc_ptr[doc]), int(tokens.doc_ptr[doc + 1])):
            if any(c in "0123456789" for c in text[tokens.starts[t] : tokens.ends[t]]):
                ids[t] = np.uint64(0x5A0F5A0F5A0F5A0F)
    remove = template_word_mask(ids, counts, days, 3, MIN_DAYS, 0.5)
    out = []
    for doc, text in enumerate(texts):
        low, high = int(tokens.doc_ptr[doc]), int(tokens.doc_ptr[doc + 1])
        if not remove[low:high].any():
            out.append(text)
            continue
        kept = [t for t in range(low, high) if not remove[t]]
        out.append(" ".join(text[tokens.starts[t] : tokens.ends[t]] for t in kept))
    return out


def test_the_fast_rebuild_equals_the_word_by_word_reference():
    # accents and non-Latin letters (code point offsets), digits inside words (slots), a
    # text that is nothing but its frame (rebuilt empty), and texts left as they are
    records = briefs()
    texts = [r.text.replace("Note", "Nöte Ωmega x9y") for r in records]
    texts[3] = "Shr 5 cts vs 4 cts. Net 1.1 mln vs 2.5 mln."
    texts.append("Café déjà vu, nothing templated here at all 2024.")
    days = np.r_[days_of(records), days_of(records)[0]]
    out, removed = strip_templates(texts, ["Wire"] * len(texts), days)
    assert removed > 0
    assert out == _reference_strip(texts, days)
    assert out[-1] == texts[-1] and out[3] != texts[3]


def test_templates_learnt_on_one_corpus_take_the_frame_out_of_new_texts():
    from dedup.templates import apply_templates, learn_templates

    records = briefs()
    templates = learn_templates(
        [r.text for r in records], [r.outlet for r in records], days_of(records)
    )
    new = [brief("Zephyr Canning", 40), brief("Zephyr Canning", 41)]
    out, removed = apply_templates(new, ["Wire", "Other"], templates)
    assert removed > 0
    words = out[0].lower().split()
    assert "shr" not in words and "revs" not in words and "restated" not in words
    assert "zephyr" in words and "canning" in words
    assert out[1] == new[1]  # another outlet's text: its frame was not learnt there
