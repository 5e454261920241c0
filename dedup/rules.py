"""Cut repeated bodies, repeated lines and boilerplate out of documents, recording every cut.

Rules, in the order they claim text (a later rule never cuts what an earlier one took, so
cuts never overlap and ``original == reconstruct(cleaned, cuts)``):

``comments``
    A comment-thread heading ("3 responses to …", "Leave a Reply", "Comments") in the last
    70 % of a document, and everything after it.
``teaser``, ``tags``, ``share`` (built-in patterns, ``boilerplate:<rule>``)
    Teaser lines ("READ MORE: …", "OPINION: …", a line ending in "Read more"), tag lists
    ("Topics  Aleppo   Syria …"), share prompts ("Share this:", "Share on Facebook").
``learned`` (``boilerplate:learned``)
    A line of at most ``boilerplate_max_words`` words that recurs at the same place (counted
    from the top or from the bottom of the document, or anywhere in the middle) in at least
    ``max(boilerplate_min_docs, boilerplate_fraction * n)`` of the ``n`` documents of one
    outlet or of the corpus: mastheads, sign-offs, footers.
user patterns (``boilerplate:user``)
    Every match of the user's own regular expressions.
``self-duplicate``
    Text a document prints twice: passages found by aligning the document with itself
    (:mod:`dedup.align`, at least ``min_passage_words`` words copied) and exactly repeated
    lines of four words or more. Of the copies of one text the one laid out in the most lines
    is kept (a body printed once as a flat paragraph and once in paragraphs keeps the
    paragraphs); on a tie one that is not a small part of a long line (a paragraph, not the
    same words inside a body printed flat), then the first; the others are cut.

Finally a line left with no word of its own is cut whole, with the blank lines after it, so
the cleaned text has no debris; those cuts take the reason of the cut beside them.

Everything here takes text and spans and returns spans; :mod:`dedup.pipeline` runs it over a
corpus.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.spans import cluster_spans


@dataclass(frozen=True, slots=True)
class Pattern:
    """A built-in boilerplate pattern; it runs only on texts holding one of its needles
    (compared case-insensitively when ``any_case``: the needles are then lower case)."""

    regex: re.Pattern[str]
    needles: tuple[str, ...]
    any_case: bool = False

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        haystack = text.lower() if self.any_case else text
        if any(needle in haystack for needle in self.needles):
            yield from self.regex.finditer(text)


_TEASER_WORDS = (
    "READ MORE",
    "READ ALSO",
    "ALSO READ",
    "MORE ON THIS",
    "RELATED",
    "OPINION",
    "ANALYSIS",
    "WATCH",
    "INSIDE STORY",
)
_TEASER_ANY_CASE = ("read more", "read also", "also read", "more on this")
#: Built-in boilerplate patterns by rule, each matching whole lines (or a line's end).
BUILTIN_PATTERNS: dict[str, tuple[Pattern, ...]] = {
    "teaser": (
        Pattern(
            re.compile(r"^[ \t]*(?:" + "|".join(_TEASER_WORDS) + r")[ \t]*:[^\n]*$", re.MULTILINE),
            _TEASER_WORDS,
        ),
        Pattern(re.compile(r"^[^\n]{0,200}\bRead more[ \t]*$", re.MULTILINE), ("Read more",)),
        # "Read more: <headline>" in any case; the other teaser words only in capitals,
        # since "Analysis: …" or "Watch: …" may open a paragraph of the article itself
        Pattern(
            re.compile(
                r"^[ \t]*(?:" + "|".join(_TEASER_ANY_CASE) + r")[ \t]*:[^\n]{1,200}$",
                re.MULTILINE | re.IGNORECASE,
            ),
            _TEASER_ANY_CASE,
            any_case=True,
        ),
    ),
    "tags": (
        Pattern(
            re.compile(
                r"(?:^|(?<=\s))(?:Topics|Tags|Related topics|Related tags)(?::|[ \t]{2,})[^\n]*$",
                re.MULTILINE,
            ),
            ("Topics", "Tags", "Related t"),
        ),
    ),
    "share": (
        Pattern(
            re.compile(
                r"^[ \t]*(?:Share this(?: article| story)?:?|Share on (?:Facebook|Twitter|X"
                r"|WhatsApp|LinkedIn|Reddit|Email)|Click to share[^\n]*|Share(?: via)? email)"
                r"[ \t]*$",
                re.MULTILINE | re.IGNORECASE,
            ),
            ("Share", "share", "SHARE"),
        ),
    ),
}
COMMENT_HEADING = re.compile(
    r"^[ \t]*(?:\d+[ \t]+(?:responses?|comments?|replies|reactions?)\b[^\n]*"
    r"|Leave a (?:Reply|Comment)|Add a comment|Post a comment|Comments|Join the conversation)"
    r"[ \t]*$",
    re.MULTILINE,
)
#: A credit or sign-off line ("Reuters contributed to this report.", "Reporting by …"):
#: content that says where the text came from, never learned as an outlet's furniture even
#: when an outlet prints it under most of its articles.
CREDIT_LINE = re.compile(
    r"(?i)\bcontributed[ \t]+to[ \t]+this[ \t]+(?:report|story|article)\b"
    r"|^[ \t]*(?:additional[ \t]+)?(?:reporting|writing|editing|compiled)[ \t]+by\b",
    re.MULTILINE,
)
#: A teaser line: a short label and a colon before another article's headline.
HEADLINE_TEASER = re.compile(
    r"^[ \t]*(?P<label>[^\W\d_][\w ]{0,30}?)[ \t]*:[ \t]*(?P<head>[^\n]{8,200}?)[ \t]*$",
    re.MULTILINE,
)
COMMENTS_AFTER = 0.3  # a comment heading counts only after this share of the text
REPEATED_LINE_WORDS = 4
EDGE_LINES = 10  # lines counted from the top or bottom for learned boilerplate


@dataclass(frozen=True, slots=True)
class Span:
    """``[start, end)`` of an original text, cut for ``reason``."""

    start: int
    end: int
    reason: str


# --- the rules ----------------------------------------------------------------------------


def comment_spans(text: str) -> list[Span]:
    """From the first comment-thread heading (past the first 30 % of the text) to the end."""
    for match in COMMENT_HEADING.finditer(text):
        if match.start() >= COMMENTS_AFTER * len(text):
            start = match.start()
            while start > 0 and text[start - 1] in " \t\r\n":
                start -= 1  # the blank lines before the thread go with it
            return [Span(start, len(text), "comments")]
    return []


def pattern_spans(
    text: str, rule: str, patterns: Iterable[Pattern | re.Pattern[str]]
) -> list[Span]:
    """Every non-empty match of the patterns, cut as ``boilerplate:<rule>``."""
    reason = f"boilerplate:{rule}"
    found = {
        (m.start(), m.end()): None
        for pattern in patterns
        for m in pattern.finditer(text)
        if m.end() > m.start()
    }  # two patterns may match one line ("READ MORE: …"): it is one span
    return [Span(start, end, reason) for start, end in found]


def line_bounds(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of every line, without its line break."""
    bounds, start = [], 0
    for match in re.finditer(r"\r\n|\n|\r", text):
        bounds.append((start, match.start()))
        start = match.end()
    bounds.append((start, len(text)))
    return bounds


@dataclass(frozen=True, slots=True)
class Lines:
    """A document's lines and their words, computed once for every line rule.

    ``words`` holds, for each line with at least one word, ``(start, end, n_words, key)``
    where ``key`` identifies the line's normalised words (the bytes of their hashes).
    """

    bounds: list[tuple[int, int]]
    words: list[tuple[int, int, int, bytes]]


def lines_of(text: str, word_starts: np.ndarray, word_hashes: np.ndarray) -> Lines:
    """Lines of ``text`` with the words (from the tokenizer) that start in each."""
    bounds = line_bounds(text)
    edges = np.array(bounds, dtype=np.int64).reshape(-1, 2)
    first = np.searchsorted(word_starts, edges[:, 0], side="left").tolist()
    last = np.searchsorted(word_starts, edges[:, 1], side="left").tolist()
    with_words = [
        (start, end, hi - lo, word_hashes[lo:hi].tobytes())
        for (start, end), lo, hi in zip(bounds, first, last)
        if hi > lo
    ]
    return Lines(bounds, with_words)


def line_keys(lines: Lines, max_words: int) -> list[tuple[int, int, tuple[str, bytes]]]:
    """Lines of 1 to ``max_words`` words with their place: ``(start, end, (place, key))``.

    The place is ``top:i`` for the ``i``-th line with words, ``bottom:j`` for the ``j``-th
    from the end (within ``EDGE_LINES``), else ``middle``.
    """
    count = len(lines.words)
    out = []
    for k, (start, end, n_words, key) in enumerate(lines.words):
        if n_words > max_words:
            continue
        from_bottom = count - 1 - k
        if k < EDGE_LINES:
            out.append((start, end, (f"top:{k}", key)))
        if from_bottom < EDGE_LINES:
            out.append((start, end, (f"bottom:{from_bottom}", key)))
        if k >= EDGE_LINES and from_bottom >= EDGE_LINES:
            out.append((start, end, ("middle", key)))
    return out


def learn_boilerplate(
    documents: Sequence[Lines],
    outlets: Sequence[str | None],
    *,
    min_docs: int,
    fraction: float,
    max_words: int,
) -> set[tuple[str, str, bytes]]:
    """Lines that recur at one place in many documents of one outlet, or of the corpus.

    Returns keys ``(scope, place, line key)``; scope is ``outlet:<name>`` or ``corpus``.
    """
    counts = BoilerplateCounts(max_words)
    for lines, outlet in zip(documents, outlets):
        counts.add(lines, outlet)
    return counts.learned(min_docs=min_docs, fraction=fraction)


class BoilerplateCounts:
    """In how many documents each short line recurs at each place, counted a document at a
    time (:func:`learn_boilerplate` over a corpus read in parts); holds the counts only."""

    def __init__(self, max_words: int) -> None:
        self.max_words = max_words
        self.doc_freq: dict[tuple[str, str, bytes], int] = defaultdict(int)
        self.scope_size: dict[str, int] = defaultdict(int)

    def add(self, lines: Lines, outlet: str | None) -> None:
        """Count the lines of one document of ``outlet``."""
        scopes = ["corpus"] + ([f"outlet:{outlet}"] if outlet else [])
        for scope in scopes:
            self.scope_size[scope] += 1
        seen = {key for _, _, key in line_keys(lines, self.max_words)}
        for place, line in seen:
            for scope in scopes:
                self.doc_freq[(scope, place, line)] += 1

    def learned(self, *, min_docs: int, fraction: float) -> set[tuple[str, str, bytes]]:
        """The keys ``(scope, place, line key)`` found in at least ``max(min_docs, fraction
        * documents of the scope)`` documents."""
        return {
            key
            for key, count in self.doc_freq.items()
            if count >= max(min_docs, fraction * self.scope_size[key[0]])
        }


def learned_spans(
    lines: Lines,
    outlet: str | None,
    learned: set[tuple[str, str, bytes]],
    max_words: int,
    text: str | None = None,
) -> list[Span]:
    """The lines of one document learned as boilerplate. Given the ``text``, credit lines
    (:data:`CREDIT_LINE`) are left alone: a wire credit that an outlet prints under many
    articles says where each text came from, and is content."""
    scopes = ["corpus"] + ([f"outlet:{outlet}"] if outlet else [])
    found = {
        (start, end)
        for start, end, (place, key) in line_keys(lines, max_words)
        if any((scope, place, key) in learned for scope in scopes)
        and (text is None or not CREDIT_LINE.search(text, start, end))
    }
    return [Span(start, end, "boilerplate:learned") for start, end in sorted(found)]


def normalise_title(title: str) -> str:
    """A headline compared in any case and spacing."""
    return " ".join(title.casefold().split())


def headline_teaser_spans(text: str, titles: set[str], own_title: str | None = None) -> list[Span]:
    """Lines ``<label>: <headline>`` whose headline is another document's title (``titles``
    normalised by :func:`normalise_title`), in any case: "Read more: …", "Watch: …"."""
    if not titles:
        return []
    own = normalise_title(own_title) if own_title else None
    out = []
    for match in HEADLINE_TEASER.finditer(text):
        head = normalise_title(match["head"])
        if head in titles and head != own:
            out.append(Span(match.start(), match.end(), "boilerplate:teaser"))
    return out


def furniture_spans(
    text: str,
    lines: Lines,
    outlet: str | None,
    *,
    learned: set[tuple[str, str, bytes]],
    max_words: int,
    user_patterns: Sequence[re.Pattern[str]] = (),
    skip: Iterable[str] = (),
    titles: set[str] | None = None,
    own_title: str | None = None,
) -> list[list[Span]]:
    """The boilerplate of one document, one list per rule in the order they claim text:
    comment threads, teasers (built-in and headline teasers), tags, share prompts, learned
    lines and the user's patterns. Everything ``clean`` cuts except self-duplicates."""
    skip = set(skip)
    found: list[list[Span]] = []
    if "comments" not in skip:
        found.append(comment_spans(text))
    for name, patterns in BUILTIN_PATTERNS.items():
        if name not in skip:
            spans = pattern_spans(text, name, patterns)
            if name == "teaser" and titles:
                spans += headline_teaser_spans(text, titles, own_title)
            found.append(spans)
    if learned:
        found.append(learned_spans(lines, outlet, learned, max_words, text))
    if user_patterns:
        found.append(pattern_spans(text, "user", user_patterns))
    return found


def self_duplicate_spans(text: str, copies: Sequence[tuple[int, int, int, int]]) -> list[Span]:
    """Cut all but one copy of each text a document repeats.

    Parameters
    ----------
    copies : sequence of ``(first_start, first_end, second_start, second_end)``
        Character spans of two copies of one text (from aligning the document with itself).
    """
    if not copies:
        return []
    starts = np.array([c[k] for c in copies for k in (0, 2)], dtype=np.int64)
    ends = np.array([c[k] for c in copies for k in (1, 3)], dtype=np.int64)
    links = np.arange(len(starts), dtype=np.int64).reshape(-1, 2)
    groups = cluster_spans(np.zeros(len(starts), dtype=np.int64), starts, ends, links)
    members: dict[int, list[int]] = defaultdict(list)
    for index, group in enumerate(groups.tolist()):
        members[group].append(index)
    cuts = []
    for indexes in members.values():
        spans = _merge_intervals([(int(starts[i]), int(ends[i])) for i in indexes])
        if len(spans) < 2:
            continue  # the copies overlap: nothing to choose between
        keep = max(spans, key=lambda s: (_line_breaks(text, s), not _in_flat_line(text, s), -s[0]))
        cuts += [Span(s, e, "self-duplicate") for s, e in spans if (s, e) != keep]
    return cuts


def repeated_line_spans(lines: Lines, min_words: int = REPEATED_LINE_WORDS) -> list[Span]:
    """Later copies of a line (of at least ``min_words`` words) the document already printed."""
    seen: set[bytes] = set()
    cuts = []
    for start, end, n_words, key in lines.words:
        if n_words < min_words:
            continue
        if key in seen:
            cuts.append(Span(start, end, "self-duplicate"))
        seen.add(key)
    return cuts


# --- putting the cuts together ------------------------------------------------------------


def combine(
    text: str, rules: Iterable[list[Span]], bounds: list[tuple[int, int]] | None = None
) -> list[Span]:
    """Non-overlapping cuts: each rule's spans minus what earlier rules already cut, then
    lines left with no word cut whole. Sorted by start. ``bounds`` are the text's lines
    (:func:`line_bounds`), when already known."""
    taken: list[Span] = []
    for spans in rules:
        for span in sorted(spans, key=lambda s: (s.start, s.end)):
            taken = _insert(taken, span)
    return _tidy(text, taken, bounds if bounds is not None else line_bounds(text))


def apply_cuts(text: str, cuts: Sequence[Span]) -> str:
    """The text with every cut removed (cuts sorted and non-overlapping)."""
    parts, position = [], 0
    for cut in cuts:
        parts.append(text[position : cut.start])
        position = cut.end
    parts.append(text[position:])
    return "".join(parts)


def reconstruct(cleaned: str, cuts: Sequence[tuple[int, str]]) -> str:
    """The original text from the cleaned text and the cuts' ``(start, removed text)``."""
    parts: list[str] = []
    original_position = cleaned_position = 0
    for start, removed in sorted(cuts):
        kept = start - original_position
        parts.append(cleaned[cleaned_position : cleaned_position + kept])
        parts.append(removed)
        cleaned_position += kept
        original_position = start + len(removed)
    parts.append(cleaned[cleaned_position:])
    return "".join(parts)


def _insert(taken: list[Span], span: Span) -> list[Span]:
    """Add the parts of ``span`` not yet covered."""
    pieces = [(span.start, span.end)]
    for other in taken:
        next_pieces = []
        for start, end in pieces:
            if other.end <= start or other.start >= end:
                next_pieces.append((start, end))
                continue
            if start < other.start:
                next_pieces.append((start, other.start))
            if other.end < end:
                next_pieces.append((other.end, end))
        pieces = next_pieces
    added = [Span(s, e, span.reason) for s, e in pieces if e > s]
    return sorted(taken + added, key=lambda s: s.start)


_WORD = re.compile(r"[^\W_]")


def _tidy(text: str, cuts: list[Span], bounds: list[tuple[int, int]]) -> list[Span]:
    """Cut whole any line that has a cut and no word left, with the blank lines after it."""
    if not cuts:
        return cuts
    extra: list[Span] = []
    covered = _coverage(cuts, len(text))
    for start, end in bounds:
        segment = covered[start:end]
        if start == end or not segment.any():
            continue
        left = "".join(text[start + i] for i in np.flatnonzero(~segment).tolist())
        if _WORD.search(left):
            continue
        reason = _reason_in(cuts, start, end)
        stop = end
        while stop < len(text) and text[stop] in " \t\r\n":
            stop += 1
        first = start
        if stop == len(text):
            while first > 0 and text[first - 1] in " \t\r\n":
                first -= 1
        extra.append(Span(first, stop, reason))
    for span in extra:
        cuts = _insert(cuts, span)
    return _join_adjacent(cuts)


def _coverage(cuts: list[Span], length: int) -> np.ndarray:
    covered = np.zeros(length, dtype=bool)
    for cut in cuts:
        covered[cut.start : cut.end] = True
    return covered


def _reason_in(cuts: list[Span], start: int, end: int) -> str:
    overlap = [(min(c.end, end) - max(c.start, start), c.reason) for c in cuts]
    return max(o for o in overlap if o[0] > 0)[1] if any(o[0] > 0 for o in overlap) else "tidy"


def _join_adjacent(cuts: list[Span]) -> list[Span]:
    joined: list[Span] = []
    for cut in cuts:
        if joined and joined[-1].end == cut.start and joined[-1].reason == cut.reason:
            joined[-1] = Span(joined[-1].start, cut.end, cut.reason)
        else:
            joined.append(cut)
    return joined


def _merge_intervals(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _line_breaks(text: str, span: tuple[int, int]) -> int:
    return text.count("\n", span[0], span[1])


def _in_flat_line(text: str, span: tuple[int, int]) -> bool:
    """The span's lines hold more text outside it than in it: the same words as a paragraph,
    printed inside a body laid out flat on one line."""
    start = text.rfind("\n", 0, span[0]) + 1
    end = text.find("\n", span[1])
    outside = (len(text) if end < 0 else end) - start - (span[1] - span[0])
    return outside > span[1] - span[0]
