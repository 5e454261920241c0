"""Text normalisation with a map back to the original characters.

Every code point is folded on its own, so the fold of a text is the concatenation of the
folds of its characters, and every normalised character knows the original character it
came from. The fold of one character is:

1. compatibility decomposition (NFKD: ligatures, full-width forms, "…" → "..."),
2. accents dropped: the combining diacritical marks that Latin, Greek and Cyrillic letters
   decompose into, and the optional vowel points of Arabic and Hebrew (and the Arabic
   tatweel, which only stretches a word), and the kana voicing marks (as before, so that
   Japanese folds as it did); every other combining mark is kept, as a word character,
   since the words of those scripts need it (Devanagari's virama and vowel signs, Thai's
   vowels and tone marks: "दिल्ली" stays "दिल्ली", not "दिलली"); enclosing marks and
   invisible format characters (soft hyphen, zero-width space, BOM) dropped,
3. case folded (``str.casefold``),
4. curly quotes, primes and dashes folded to ``'``, ``"`` and ``-``; any white space to " ",

repeated until nothing changes, so normalising twice is normalising once. Characters are then
classed as word characters (letters, digits, combining marks), ideographs (CJK ideographs and
kana: each is a word of its own, as those scripts put no space between words), white space,
or other (punctuation, symbols).

Thai, Lao, Khmer and Myanmar put no space between words either, but a letter of theirs is
no word: each run of those scripts is cut into words by ICU's dictionary word breaker
(:func:`segment_starts`, through icu4py), and the tokenizer ends a word where it says.

:func:`normalize` returns the normalised text (white space runs collapsed) and
``offset_map``; :func:`fold_codepoints` is the array kernel the tokenizer runs over batches.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass

import numpy as np

#: Character classes of folded characters.
OTHER, WORD, IDEO, SPACE = 0, 1, 2, 3

_QUOTES_DASHES = {
    **dict.fromkeys("‘’‚‛′‵`´", "'"),
    **dict.fromkeys("“”„‟″‶«»", '"'),
    **dict.fromkeys("‐‑‒–—―−⁃", "-"),
}
_DROP_CATEGORIES = {"Me", "Cf"}
# Nonspacing marks that are accents or optional vowel points (dropped); other nonspacing
# marks are parts of their words (kept).
_ACCENT_RANGES = (
    (0x0300, 0x036F),  # combining diacritical marks (é → e + U+0301)
    (0x0483, 0x0489),  # Cyrillic titlo and the like
    (0x0591, 0x05C7),  # Hebrew cantillation and vowel points
    (0x0610, 0x061A),  # Arabic honorific signs
    (0x064B, 0x065F),  # Arabic harakat (fatha, kasra, damma, shadda, sukun, ...)
    (0x0670, 0x0670),  # Arabic superscript alef
    (0x06D6, 0x06ED),  # Quranic annotation marks
    (0x1AB0, 0x1AFF),  # combining diacritical marks extended
    (0x1DC0, 0x1DFF),  # combining diacritical marks supplement
    (0x20D0, 0x20FF),  # combining marks for symbols
    (0x3099, 0x309A),  # kana voicing marks (が → か + U+3099), dropped as before
    (0xFE20, 0xFE2F),  # combining half marks
)
_DROP_CHARS = {"\u0640"}  # Arabic tatweel: stretches a word, is no part of it


def _dropped(part: str) -> bool:
    """Whether the fold drops this character of a decomposition."""
    category = unicodedata.category(part)
    if category in _DROP_CATEGORIES or part in _DROP_CHARS:
        return True
    if category == "Mn":
        code = ord(part)
        return any(low <= code <= high for low, high in _ACCENT_RANGES)
    return False


_IDEO_RANGES = (
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)


def _fold_once(char: str) -> str:
    if char in _QUOTES_DASHES:
        return _QUOTES_DASHES[char]
    if char.isspace():
        return " "
    out = []
    for part in unicodedata.normalize("NFKD", char):
        if _dropped(part):
            continue
        out.append(part.casefold())
    return "".join(out)


def fold_char(char: str) -> str:
    """Fold one character (see the module docstring); may return "" or several characters."""
    text = char
    for _ in range(8):
        folded = "".join(_fold_once(c) for c in text)
        if folded == text:
            return folded
        text = folded
    return text


def char_class(char: str) -> int:
    """Class of a folded character: WORD, IDEO, SPACE or OTHER."""
    code = ord(char)
    if any(low <= code <= high for low, high in _IDEO_RANGES):
        return IDEO
    if char.isspace():
        return SPACE
    category = unicodedata.category(char)
    if category[0] in "LN" or category in ("Mc", "Mn"):
        return WORD
    return OTHER


class _FoldTable:
    """Per-code-point fold over all of Unicode, filled on first sight of each code point.

    Dense arrays make the steady state a few gathers: ``first[c]`` and ``first_class[c]``
    are the first folded character of ``c`` and its class, ``length[c]`` the length of the
    fold (``UNKNOWN`` until computed). Folds longer than one character are kept whole in
    ``multi`` and, for compiled kernels, in flat arrays: the fold of ``c`` is
    ``multi_codepoints[multi_at[c]:multi_at[c] + length[c]]`` (classes in ``multi_classes``).
    """

    UNKNOWN = 255
    SIZE = 0x110000

    def __init__(self) -> None:
        self.first = np.zeros(self.SIZE, dtype=np.uint32)
        self.first_class = np.zeros(self.SIZE, dtype=np.uint8)
        self.length = np.full(self.SIZE, self.UNKNOWN, dtype=np.uint8)
        self.multi: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        self.multi_at = np.zeros(self.SIZE, dtype=np.int32)
        self.multi_codepoints = np.zeros(0, dtype=np.uint32)
        self.multi_classes = np.zeros(0, dtype=np.uint8)
        self._lock = threading.Lock()
        self.fill(np.arange(128, dtype=np.uint32))

    def fill(self, codes: np.ndarray) -> None:
        """Compute the entries of ``codes`` not known yet.

        Threads tokenizing at once may read the table while one fills it: fills take a
        lock, and each entry is published so that a reader never sees a half-made one
        (the multi-character arrays and the first character before the length, which is
        what marks an entry known; a kernel that finds a fold past the end of the arrays it
        was given asks again)."""
        with self._lock:
            self._fill(codes)

    def _fill(self, codes: np.ndarray) -> None:
        todo = [c for c in np.unique(codes).tolist() if self.length[c] == self.UNKNOWN]
        folds = {code: fold_char(chr(code)) for code in todo}
        multi = [code for code in todo if len(folds[code]) > 1]
        if multi:
            for code in multi:
                self.multi[code] = (
                    tuple(ord(c) for c in folds[code]),
                    tuple(char_class(c) for c in folds[code]),
                )
            at = np.cumsum([0] + [len(folds[c]) for c in multi]) + len(self.multi_codepoints)
            self.multi_codepoints = np.concatenate(
                [self.multi_codepoints, *(np.array(self.multi[c][0], np.uint32) for c in multi)]
            )
            self.multi_classes = np.concatenate(
                [self.multi_classes, *(np.array(self.multi[c][1], np.uint8) for c in multi)]
            )
            self.multi_at[multi] = at[:-1]
        for code in todo:
            folded = folds[code]
            if folded:
                self.first[code] = ord(folded[0])
                self.first_class[code] = char_class(folded[0])
            self.length[code] = min(len(folded), self.UNKNOWN - 1)

    def fill_unknown(self, codepoints: np.ndarray) -> None:
        """Fill the entries of every code point of ``codepoints`` not seen before."""
        lengths = self.length[codepoints]
        unknown = lengths == self.UNKNOWN
        if unknown.any():
            self.fill(codepoints[unknown])


FOLD_TABLE = _FoldTable()


def fold_codepoints(
    codepoints: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Fold an array of code points.

    Parameters
    ----------
    codepoints : ndarray of uint32, shape (n_chars,)

    Returns
    -------
    folded : ndarray of uint32, shape (n_folded,)
        Folded code points.
    classes : ndarray of uint8, shape (n_folded,)
        Class of each folded character (OTHER, WORD, IDEO, SPACE).
    source : ndarray of int64, shape (n_folded,), or None
        Index into ``codepoints`` of the character each folded character came from; None
        when every character folds to exactly one (then ``source`` is ``arange(n_chars)``).
    """
    codepoints = np.asarray(codepoints, dtype=np.uint32)
    lengths = FOLD_TABLE.length[codepoints]
    if (lengths == FOLD_TABLE.UNKNOWN).any():
        FOLD_TABLE.fill_unknown(codepoints)
        lengths = FOLD_TABLE.length[codepoints]
    folded = FOLD_TABLE.first[codepoints]
    classes = FOLD_TABLE.first_class[codepoints]
    if (lengths == 1).all():
        return folded, classes, None

    counts = lengths.astype(np.int64)
    source = np.repeat(np.arange(len(codepoints), dtype=np.int64), counts)
    folded = folded[source]
    classes = classes[source]
    long_positions = np.flatnonzero(counts > 1)
    if len(long_positions):
        first_out = np.cumsum(counts) - counts
        long_codes = codepoints[long_positions]
        for code in np.unique(long_codes).tolist():
            at = first_out[long_positions[long_codes == code]]
            cps, cls = FOLD_TABLE.multi[code]
            for k in range(1, len(cps)):
                folded[at + k] = cps[k]
                classes[at + k] = cls[k]
    return folded, classes, source


def to_codepoints(text: str) -> np.ndarray:
    """Code points of ``text`` as uint32 (lone surrogates kept as their own values)."""
    if text.isascii():
        # Python holds ASCII a byte a character: a copy under the GIL, then a widening
        # without it (encoding to UTF-32 holds the GIL for every character)
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8).astype(np.uint32)
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def from_codepoints(codepoints: np.ndarray) -> str:
    return np.asarray(codepoints, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")


@dataclass(frozen=True, slots=True)
class Normalized:
    """A normalised text and where each of its characters came from.

    ``offset_map`` has shape ``(len(text) + 1,)``, dtype int64, non-decreasing:
    ``offset_map[i]`` is the index in the original of the character that produced
    ``text[i]``, and ``offset_map[-1]`` is the length of the original.
    """

    text: str
    offset_map: np.ndarray

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` covering normalised ``[start, end)``."""
        if end <= start:
            position = int(self.offset_map[start])
            return position, position
        first = int(self.offset_map[start])
        last = int(self.offset_map[end - 1]) + 1
        return first, max(last, int(self.offset_map[end]))


def normalize(text: str) -> Normalized:
    """Fold ``text`` (see the module docstring) and collapse white space runs to one space,
    dropping white space at both ends."""
    codepoints = to_codepoints(text)
    folded, classes, source = fold_codepoints(codepoints)
    if source is None:
        source = np.arange(len(folded), dtype=np.int64)
    space = classes == SPACE
    keep = ~space
    keep[1:] |= space[1:] & ~space[:-1]  # the first space of each run
    kept = np.flatnonzero(keep)
    # drop a leading or trailing space
    if len(kept) and space[kept[0]]:
        kept = kept[1:]
    if len(kept) and space[kept[-1]]:
        kept = kept[:-1]
    offset_map = np.empty(len(kept) + 1, dtype=np.int64)
    offset_map[:-1] = source[kept]
    offset_map[-1] = len(codepoints)
    out = folded[kept]
    out[space[kept]] = ord(" ")
    return Normalized(from_codepoints(out), offset_map)


#: Scripts written without spaces between words whose letters are not words (unlike CJK
#: ideographs): Thai, Lao, Myanmar (and its extensions), Khmer (and its symbols).
SEGMENTED_RANGES = (
    (0x0E00, 0x0E7F),
    (0x0E80, 0x0EFF),
    (0x1000, 0x109F),
    (0x1780, 0x17FF),
    (0x19E0, 0x19FF),
    (0xA9E0, 0xA9FF),
    (0xAA60, 0xAA7F),
)
#: ``SEGMENTED[code]``: whether the code point belongs to one of those scripts.
SEGMENTED = np.zeros(0x110000, dtype=np.bool_)
for _low, _high in SEGMENTED_RANGES:
    SEGMENTED[_low : _high + 1] = True


def segment_starts(codepoints: np.ndarray) -> np.ndarray:
    """Where words start inside the runs of Thai, Lao, Khmer and Myanmar characters.

    Each maximal run of characters of those scripts is cut into words by ICU's word
    breaker (dictionary based; through icu4py), and the position of every word's first
    character is returned, with the position just after each run (so that a word of
    another script written against it is a word of its own).

    Parameters
    ----------
    codepoints : ndarray of uint32, shape (n_chars,)

    Returns
    -------
    ndarray of int64, shape (n_starts,)
        Sorted indices into ``codepoints``; empty when there is no such run (then ICU is
        not loaded).
    """
    codepoints = np.asarray(codepoints, dtype=np.uint32)
    inside = SEGMENTED[codepoints]
    if not inside.any():
        return np.zeros(0, dtype=np.int64)
    edges = np.flatnonzero(np.diff(np.concatenate(([False], inside, [False])).astype(np.int8)))
    breaker = _word_breaker()
    starts: list[int] = []
    for first, end in zip(edges[0::2].tolist(), edges[1::2].tolist()):
        run = from_codepoints(codepoints[first:end])
        # the scripts are in the BMP: ICU's UTF-16 offsets are str offsets here
        starts.extend(first + start for start, _end in breaker(run, "th").segments())
        starts.append(end)
    return np.array(sorted(set(starts)), dtype=np.int64)


def _word_breaker():
    try:
        from icu4py.breakers import WordBreaker
    except ImportError:
        raise ImportError(
            "cutting Thai, Lao, Khmer or Myanmar text into words needs icu4py "
            "(Python 3.11 or later): pip install icu4py"
        ) from None
    return WordBreaker


def words(text: str) -> list[str]:
    """The words of ``text`` after normalisation, in order: the reference the tokenizer
    (:func:`dedup.shingle.tokenize`) is tested against."""
    normalized = normalize(text)
    folded = normalized.text
    starts = set(segment_starts(to_codepoints(text)).tolist())
    offset_map = normalized.offset_map.tolist()
    out: list[str] = []
    current: list[str] = []
    for j, char in enumerate(folded):
        cls = char_class(char)
        if cls == WORD:
            first_of_its_char = j == 0 or offset_map[j - 1] != offset_map[j]
            if current and first_of_its_char and offset_map[j] in starts:
                out.append("".join(current))  # a word of a Thai (...) run ends here
                current = []
            current.append(char)
            continue
        if current:
            out.append("".join(current))
            current = []
        if cls == IDEO:
            out.append(char)
    if current:
        out.append("".join(current))
    return out
