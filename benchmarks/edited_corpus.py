"""The generator of benchmarks/edited.py: Reuters-21578 stories split in dev and test
halves, and the cases (an edited passage of a source story planted in an unrelated host,
with its exact truth) and negative pairs of one half. The edits are
benchmarks/edited_edits.py's.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import collections
import difflib
import gzip
import hashlib
import json
import re
from dataclasses import dataclass

import numpy as np
from edited_edits import HELD_OUT_LEVELS, LEVELS, Editor, Level, sentences, word_spans
from generate import DATA
from pan_measures import Annotation, DocumentPair

from dedup.types import Record

REUTERS = DATA / "reuters21578" / "reuters21578.jsonl.gz"
SPLITS = ("dev", "test")
MIN_DOC_WORDS = 120
PASSAGE_WORDS = (40, 200)  # inclusive, whitespace-separated words
REORDER_MIN_SENTENCES = 3
VOCABULARY_SIZE = 20_000
UNRELATED_NGRAM = 8  # a host shares no word n-gram of this size with its source
HOST_TRIES = 200
#: negatives share no run of this many words: such pairs are real, unplanted reuse (a story
#: re-written under a new title, a paragraph carried into a follow-up), not a false positive
NEGATIVE_MAX_RUN = 25
#: a drawn negative pair whose stories share an exact run of this many words is not scored:
#: it holds real wire wording carried from one story to the other, so flagging it is right,
#: and counting it as a false positive would be an error of the truth (its stories stay in
#: the corpus, so the scan and every case are the same as without the check)
NEGATIVE_EXACT_RUN = 12
PLAIN_WORD = re.compile(r"\w+")


# ------------------------------------------------------------------------------ the data


def split_of(reuters_id: str) -> str:
    """``dev`` or ``test``: a fixed half of Reuters-21578, by a hash of the story id."""
    return SPLITS[int(hashlib.sha256(reuters_id.encode()).hexdigest(), 16) % 2]


def ngrams(words: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]


@dataclass(frozen=True, slots=True)
class Story:
    id: str
    text: str
    title: str
    topics: tuple[str, ...]
    sentences: tuple[tuple[int, int, int], ...]
    grams: frozenset[tuple[str, ...]]  # word UNRELATED_NGRAM-grams


def load_stories(split: str) -> list[Story]:
    """The split's usable stories, in id order."""
    stories = []
    with gzip.open(REUTERS, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            text = row["text"]
            if (
                split_of(row["id"]) != split
                or row["text_type"] != "NORM"
                or row["exact_dup_group"]
                or len(text.split()) < MIN_DOC_WORDS
            ):
                continue
            found = sentences(text)
            if not found:
                continue
            words, _ = word_spans(text)
            stories.append(
                Story(
                    id=row["id"],
                    text=text,
                    title=" ".join((row.get("title") or "").lower().split()),
                    topics=tuple(row["topics"]),
                    sentences=tuple(found),
                    grams=frozenset(ngrams(words, UNRELATED_NGRAM)),
                )
            )
    stories.sort(key=lambda s: int(s.id))
    return stories


def reuters_vocabulary() -> tuple[list[str], np.ndarray]:
    """The ``VOCABULARY_SIZE`` most frequent lower-cased words of Reuters-21578 and their
    cumulative probabilities (ndarray of float64, shape (n_words,), last value 1.0)."""
    counts: collections.Counter[str] = collections.Counter()
    with gzip.open(REUTERS, "rt", encoding="utf-8") as handle:
        for line in handle:
            counts.update(re.findall(r"[a-z]+", json.loads(line)["text"].lower()))
    top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:VOCABULARY_SIZE]
    cumulative = np.cumsum(np.array([c for _, c in top], dtype=np.float64))
    return [w for w, _ in top], cumulative / cumulative[-1]


# ------------------------------------------------------------------------------ the cases


@dataclass(frozen=True, slots=True)
class Case:
    """A planted, edited passage and where it is: ``truth`` spans both documents."""

    number: int
    level: Level
    truth: Annotation
    source_story: str
    host_story: str
    passage_words: int
    edited: float  # share of the passage's words (characters for ocr) edited or moved
    source_passage: str
    edited_passage: str


@dataclass
class Benchmark:
    records: list[Record]
    cases: list[Case]
    negatives: list[DocumentPair]
    texts: dict[str, str]
    negatives_set_aside: int  # same-topic pairs passed over: they share real copy
    #: drawn negative pairs not scored: they share an exact run of NEGATIVE_EXACT_RUN words
    negatives_sharing_run: list[DocumentPair]


def _choose_passage(
    story: Story, rng: np.random.Generator, min_sentences: int, lead: bool = False
) -> tuple[int, int, int] | None:
    """``(start, end, words)`` of a run of whole sentences of 40-200 words (from the first
    one with ``lead``), or None."""
    target = int(rng.integers(PASSAGE_WORDS[0], PASSAGE_WORDS[1], endpoint=True))
    sents = story.sentences
    for first in [0] if lead else rng.permutation(len(sents)).tolist():
        words, last = 0, first
        while last < len(sents) and words < target:
            # only sentences that follow each other (nothing skipped between them)
            if last > first and story.text[sents[last - 1][1] : sents[last][0]].strip():
                break
            if words + sents[last][2] > PASSAGE_WORDS[1]:
                break
            words += sents[last][2]
            last += 1
        if words >= PASSAGE_WORDS[0] and last - first >= min_sentences:
            return sents[first][0], sents[last - 1][1], words
    return None


def _insert(host: Story, passage: str, rng: np.random.Generator) -> tuple[str, int, str]:
    """The host with ``passage`` before one of its sentences, where the passage starts, and
    the whitespace put after it."""
    where = host.sentences[int(rng.integers(0, len(host.sentences)))][0]
    before = host.text[:where]
    # a passage put at the start of a paragraph becomes a paragraph of its own
    separator = "\n    " if not before or before.endswith("\n    ") else " "
    return before + passage + separator + host.text[where:], where, separator


def build(split: str, seed: int, n_cases: int, n_negatives: int) -> Benchmark:
    """Every case and negative pair of a split, and the records to scan."""
    rng = np.random.default_rng([seed, SPLITS.index(split)])
    stories = load_stories(split)
    editor = Editor(rng, reuters_vocabulary())
    order = rng.permutation(len(stories)).tolist()
    used: set[int] = set()

    # negatives first: they need a partner on the same topics
    by_topics: dict[tuple[str, ...], list[int]] = collections.defaultdict(list)
    for k in order:
        if stories[k].topics:
            by_topics[stories[k].topics].append(k)
    negatives: list[tuple[int, int]] = []
    set_aside = 0
    for k in order:
        if len(negatives) == n_negatives:
            break
        if k in used or not stories[k].topics:
            continue
        for j in by_topics[stories[k].topics]:
            if j == k or j in used or stories[j].title == stories[k].title:
                continue
            if longest_shared_run(stories[k].text, stories[j].text) >= NEGATIVE_MAX_RUN:
                set_aside += 1  # the same story re-written, or a paragraph carried over
                continue
            used.update((k, j))
            negatives.append((k, j))
            break

    records: list[Record] = []
    texts: dict[str, str] = {}

    def add(doc_id: str, text: str) -> None:
        assert doc_id not in texts, doc_id
        texts[doc_id] = text
        records.append(Record(doc_id, text))

    negative_pairs, sharing_run = [], []
    for k, j in negatives:
        add(f"reuters-{stories[k].id}", stories[k].text)
        add(f"reuters-{stories[j].id}", stories[j].text)
        pair = (f"reuters-{stories[k].id}", f"reuters-{stories[j].id}")
        if shares_exact_run(stories[k].text, stories[j].text, NEGATIVE_EXACT_RUN):
            sharing_run.append(pair)
        else:
            negative_pairs.append(pair)

    cases: list[Case] = []
    cursor = 0
    for levels in [LEVELS] * n_cases + [HELD_OUT_LEVELS] * n_cases:
        for level in levels:
            min_sentences = REORDER_MIN_SENTENCES if level.kind == "reorder" else 1
            while True:  # the next unused story with a passage to give
                if cursor == len(order):
                    raise RuntimeError("the split has too few stories: lower --cases")
                source_index = order[cursor]
                cursor += 1
                if source_index in used:
                    continue
                source = stories[source_index]
                chosen = _choose_passage(
                    source, rng, min_sentences, lead=level.kind == "syndication"
                )
                if chosen is not None:
                    break
            used.add(source_index)
            start, end, words = chosen
            host_index = next(
                (
                    k
                    for k in order[cursor : cursor + HOST_TRIES]
                    if k not in used and not (stories[k].grams & source.grams)
                ),
                None,
            )
            if host_index is None:
                raise RuntimeError(f"no unrelated host left for story {source.id}")
            used.add(host_index)
            host = stories[host_index]
            passage = source.text[start:end]
            edited, share = editor.edit(passage, level)
            suspicious_text, where, separator = _insert(host, edited, rng)
            number = len(cases)
            source_id, suspicious_id = f"reuters-{source.id}", f"case-{number:04d}"
            truth = Annotation(suspicious_id, where, where + len(edited), source_id, start, end)
            # the truth slices to what was taken and inserted, and nothing else changed
            assert source.text[truth.source_start : truth.source_end] == passage
            assert suspicious_text[truth.suspicious_start : truth.suspicious_end] == edited
            rest = suspicious_text[truth.suspicious_end + len(separator) :]
            assert suspicious_text[: truth.suspicious_start] + rest == host.text, (number, level)
            add(source_id, source.text)
            add(suspicious_id, suspicious_text)
            cases.append(
                Case(number, level, truth, source.id, host.id, words, share, passage, edited)
            )
    return Benchmark(records, cases, negative_pairs, texts, set_aside, sharing_run)


def shares_exact_run(a: str, b: str, n: int) -> bool:
    """Whether ``a`` and ``b`` share a run of ``n`` words (lower-cased ``\\w+``): a plain
    test on sets of word ``n``-grams, independent of dedup's tokenizer and of difflib."""
    words_a = PLAIN_WORD.findall(a.lower())
    words_b = PLAIN_WORD.findall(b.lower())
    grams_a = {tuple(words_a[i : i + n]) for i in range(len(words_a) - n + 1)}
    return any(tuple(words_b[i : i + n]) in grams_a for i in range(len(words_b) - n + 1))


def longest_shared_run(a: str, b: str) -> int:
    """Words in the longest run of words (lower-cased ``\\w+``) that ``a`` and ``b`` share."""
    words_a, words_b = word_spans(a)[0], word_spans(b)[0]
    matcher = difflib.SequenceMatcher(None, words_a, words_b, autojunk=False)
    return matcher.find_longest_match(0, len(words_a), 0, len(words_b)).size
