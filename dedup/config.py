"""One frozen settings object, validated in one place.

Every seed and threshold that can change an output lives here, so that ``run.json`` holds
everything needed to repeat a run. Settings that change only speed (workers, batch size)
are arguments of the API calls instead, because they never change a result.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from dedup.errors import ConfigError

MAX_SEED = 2**32 - 1
#: Hits anywhere in a pair that make it a candidate when heavy revisions are looked for
#: (:attr:`Config.fragment_hits`); chosen on the dev halves (docs/method-alignment.md).
FRAGMENT_HITS = 3

#: Wire agencies known by default (``Config.wire_agencies``): a name, then aliases after ``|``.
DEFAULT_WIRE_AGENCIES = (
    "AFP|Agence France-Presse|Agence France Presse",
    "Reuters|Thomson Reuters",
    "Associated Press|AP",
    "dpa|Deutsche Presse-Agentur",
    "Xinhua",
    "TASS|ITAR-TASS",
    "Anadolu|Anadolu Agency",
    "EFE",
    "ANSA",
    "PA Media|Press Association",
    "UPI|United Press International",
    "Bloomberg|Bloomberg News",
    "Kyodo|Kyodo News",
    "Yonhap",
)

#: Cleaning rules that ``Config.clean_skip`` can switch off (see dedup.rules).
CLEAN_RULES = ("self-duplicate", "comments", "teaser", "tags", "share", "learned")


@lru_cache(maxsize=64)
def optimal_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """LSH bands and rows for a Jaccard threshold: the ``(bands, rows)`` with
    ``bands * rows <= num_perm`` whose equally weighted false-positive and false-negative
    probability mass is least (the choice datasketch's ``MinHashLSH`` makes).

    A pair of Jaccard ``s`` shares a band with probability ``1 - (1 - s**rows)**bands``. The
    false-positive mass integrates it over ``[0, threshold]``, the false-negative mass its
    complement over ``[threshold, 1]``. Both integrands are polynomials of degree
    ``bands * rows <= num_perm``, so Gauss–Legendre quadrature with ``num_perm // 2 + 1``
    nodes integrates them exactly; every candidate is weighed at once. Ties keep the first
    in the order ``bands`` then ``rows`` ascending.
    """
    import numpy as np

    bands = np.concatenate([np.full(num_perm // b, b) for b in range(1, num_perm + 1)])
    rows = np.concatenate([np.arange(1, num_perm // b + 1) for b in range(1, num_perm + 1)])
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)

    def mass(low: float, high: float, hit: bool, part: slice) -> np.ndarray:
        s = (high - low) / 2 * nodes + (high + low) / 2  # nodes mapped onto [low, high]
        shared = 1 - (1 - s[None, :] ** rows[part, None]) ** bands[part, None]
        value = shared if hit else 1 - shared
        return (value * weights).sum(axis=1) * (high - low) / 2

    step = max(1, (1 << 22) // len(nodes))  # candidates weighed at once: 32 MB of floats
    error = np.empty(len(bands))
    for first in range(0, len(bands), step):
        part = slice(first, first + step)
        error[part] = 0.5 * mass(0.0, threshold, True, part) + 0.5 * mass(
            threshold, 1.0, False, part
        )
    best = int(np.argmin(error))  # the first of equal errors, as a scan in this order keeps
    return int(bands[best]), int(rows[best])


def setting(
    default: Any,
    low: float | None = None,
    high: float | None = None,
    help: str = "",
    *,
    low_open: bool = False,
) -> Any:
    """A Config field with its bounds and its help, written once: validation, the CLI's
    help and the docs read them from here."""
    metadata: dict[str, Any] = {"help": help}
    if low is not None and high is not None:
        metadata["bounds"] = (low, high, low_open)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Config:
    """Settings of a scan.

    Parameters
    ----------
    shingle_size : int
        Words per shingle (word n-gram). 5 by default.
    num_perm : int
        MinHash permutations of the document-level sketch.
    threshold : float
        Jaccard similarity of shingle sets above which two documents are near-duplicates;
        the document-level LSH is tuned for it.
    bands, rows : int or None
        LSH banding. Derived from ``threshold`` and ``num_perm`` when both are None; when
        given, ``bands * rows`` must equal ``num_perm``.
    seed : int
        Seed of the MinHash permutations (datasketch-compatible, 0 to 2**32 - 1).
    min_passage_words : int
        Shortest reported passage, in words copied exactly. Shorter shared runs (stock
        phrases such as "the UK-based Syrian Observatory for Human Rights") are not reuse.
    max_gap_words : int
        Largest edit (changed, inserted or dropped words) bridged inside one passage: the
        most points a word alignment may lose between two exact runs, or past a passage's
        end (see ``max_bridge_words``), so longer stretches pass when enough of their words
        still match.
    common_fraction, common_min_docs : float, int
        A passage key found in more than ``max(common_min_docs, common_fraction * n_docs)``
        documents is boilerplate or a stock phrase and links nothing by itself.
    boilerplate_min_docs, boilerplate_fraction, boilerplate_max_words : int, float, int
        ``clean`` learns a line of at most ``boilerplate_max_words`` words as boilerplate when
        it recurs at the same place (counted from the top or the bottom of the document) in at
        least ``max(boilerplate_min_docs, boilerplate_fraction * n)`` of the ``n`` documents of
        one outlet, or of the whole corpus.
    duplicate_copied : float
        ``clean --drop-duplicates`` treats two documents as near-duplicates when at least this
        share of the words of each is copied exactly from the other (or, for items too short
        for passages, when their Jaccard reaches it).
    clean_skip : tuple of str
        Cleaning rules switched off (names in ``CLEAN_RULES``).
    boilerplate_patterns : tuple of str
        The user's own regular expressions; every match is cut as ``boilerplate:user``.
    story_neighbors, story_min_lift, story_resolution, story_min_conductance
    story_window_days, story_title_weight
        ``stories``: neighbours per article in the similarity graph, the lift over background
        similarity an edge needs, the Leiden modularity resolution of each division, the share
        of the smaller part's link weight that keeps two parts one story, the date decay scale
        in days (0 ignores dates) and how many times a title counts (see
        ``dedup.clustering.StoryClusterer``).
    wire_agencies : tuple of str
        ``chains``: the news agencies whose copy others carry. Each entry is a name, optionally
        followed by ``|``-separated aliases (``"Associated Press|AP"``): an outlet or credit
        matching any of them counts as that agency.
    chain_contained_fraction : float
        ``chains``: when at least this share of one document's words lies in passages shared
        with another (and clearly less of the other's), the other holds nearly all of it plus
        more: the contained copy is taken as the source (weak evidence).
    max_bridge_words : int
        The aligner joins two exact runs of words with up to this many words between them
        (in each document) into one passage when a word-by-word alignment of the words
        between loses at most ``max_gap_words`` points (+1 per equal word, -1 per other
        word or word facing nothing, 0 per word one character off); it also extends a
        passage at its ends this many words at a time. See docs/method-alignment.md.
    min_exact_share : float
        A passage needs at least this share of its longer span copied exactly (besides
        ``min_passage_words`` words), so that an alignment through edits cannot make a few
        copied runs into a long, mostly different passage.
    min_fragment_words : int
        A pair with no passage of ``min_passage_words`` exactly copied words still keeps the
        shorter pieces the aligner found (each holding one exact run of ``shingle_size``
        words, with ``min_exact_share`` copied) when together they hold at least this many
        words aligned to an equal word: a heavy revision, reworded and reordered, keeps only
        short exact runs. Such pairs are also candidates with ``FRAGMENT_HITS`` shared
        passage keys anywhere (:attr:`fragment_hits`), not only two close together. 24 by
        default (chosen on the dev halves of Clough–Stevenson and of benchmarks/edited.py);
        0 keeps none. See docs/method-alignment.md.
    min_shuffled_sentences : int
        With N > 0, a pair the aligner found no passage in gets one where N or more
        sentences of one document in a row each stand, words reordered, as a run of words
        of the other, one after another (:mod:`dedup.bags`): a copy with the words of
        every sentence shuffled. 2 by default (chosen on the dev split of
        benchmarks/edited.py); 0 looks for none. Only a scan that holds the corpus in memory
        looks for them: a spilled or Ray scan and an index leave the setting aside (the
        route looks every sentence up among all the corpus's words at once). See
        docs/method-alignment.md.
    """

    shingle_size: int = setting(5, 1, 32, "Words per shingle.")
    num_perm: int = setting(128, 2, 4096, "MinHash permutations of the document sketch.")
    threshold: float = setting(
        0.5,
        0.0,
        1.0,
        "Jaccard similarity at which two documents are near-duplicates.",
        low_open=True,
    )
    bands: int | None = setting(
        None, help="LSH bands (with --rows; derived from --threshold when omitted)."
    )
    rows: int | None = setting(None, help="LSH rows per band (with --bands).")
    seed: int = setting(1, 0, MAX_SEED, "Seed of the MinHash permutations.")
    min_passage_words: int = setting(
        12, 1, 100_000, "Shortest reported passage, in words copied exactly."
    )
    max_gap_words: int = setting(5, 0, 1000, "Largest edit, in words, bridged inside one passage.")
    common_fraction: float = setting(
        0.01,
        0.0,
        1.0,
        "Passage keys in more than this share of the documents (and in more than "
        "--common-min-docs) are boilerplate and link nothing.",
        low_open=True,
    )
    common_min_docs: int = setting(
        100, 2, 10**12, "Passage keys in at most this many documents are never boilerplate."
    )
    boilerplate_min_docs: int = setting(
        5,
        2,
        10**12,
        "A line is learned as boilerplate only if it recurs in at least this many documents…",
    )
    boilerplate_fraction: float = setting(
        0.3,
        0.0,
        1.0,
        "…and in at least this share of its outlet's (or the corpus') documents.",
        low_open=True,
    )
    boilerplate_max_words: int = setting(
        30, 1, 10_000, "Longest line, in words, that can be learned as boilerplate."
    )
    duplicate_copied: float = setting(
        0.9,
        0.0,
        1.0,
        "With --drop-duplicates: documents with at least this share of the words of each "
        "copied exactly from the other are near-duplicates.",
        low_open=True,
    )
    clean_skip: tuple[str, ...] = setting((), help="Switch a cleaning rule off (repeatable).")
    boilerplate_patterns: tuple[str, ...] = setting(
        (), help="Your own boilerplate as a regular expression; every match is cut (repeatable)."
    )
    story_neighbors: int = setting(10, 1, 1000, "Most similar articles each article is linked to.")
    story_min_lift: float = setting(
        3.0, 0.0, 1000.0, "A link needs this many times the two articles' background similarity."
    )
    story_resolution: float = setting(
        1.0,
        0.0,
        1000.0,
        "Leiden modularity resolution of each division; higher proposes smaller parts.",
        low_open=True,
    )
    story_min_conductance: float = setting(
        0.03,
        0.0,
        1.0,
        "Two parts stay one story when the link weight between them is at least this share "
        "of the smaller part's; higher gives smaller stories.",
    )
    story_window_days: float = setting(
        7.0,
        0.0,
        100_000.0,
        "Similarity between dated articles is multiplied by exp(-days apart / this) before "
        "the lift test; 0 ignores dates.",
    )
    story_title_weight: int = setting(2, 0, 100, "How many times a title counts beside the text.")
    wire_agencies: tuple[str, ...] = setting(
        DEFAULT_WIRE_AGENCIES,
        help="Count NAME as a wire agency besides the built-in list; 'Name|Alias' gives "
        "aliases (repeatable).",
    )
    chain_contained_fraction: float = setting(
        0.8,
        0.0,
        1.0,
        "A copy with at least this share of its words in passages shared with a longer one "
        "is contained in it, which weakly makes it the source.",
        low_open=True,
    )
    max_bridge_words: int = setting(
        30,
        1,
        1000,
        "Most words between two exact runs (or past a passage's end) that a word alignment "
        "through edits may join into one passage.",
    )
    min_exact_share: float = setting(
        0.5, 0.0, 1.0, "Least share of a passage's longer span that must be copied exactly."
    )
    min_fragment_words: int = setting(
        24,
        0,
        1_000_000,
        "Least words copied exactly, in all, by the shorter aligned pieces of a pair with no "
        "passage of --min-passage-words (a heavy revision); 0 keeps no such pieces.",
    )
    min_shuffled_sentences: int = setting(
        2,
        0,
        1000,
        "Least sentences in a row, each with its words reordered, that make a passage in a "
        "pair with no other passage (a copy with shuffled words); 0 looks for none.",
    )
    _derived: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for spec in dataclasses.fields(self):
            bounds = spec.metadata.get("bounds")
            value = getattr(self, spec.name)
            if bounds is None or value is None:
                continue
            low, high, low_open = bounds
            if "float" in str(spec.type):
                _check_float(spec.name, value, low, high, low_open=low_open)
            else:
                _check_int(spec.name, value, low, high)
        if self.min_passage_words < self.shingle_size:
            raise ConfigError(
                "min_passage_words",
                f"must be at least shingle_size ({self.shingle_size}), "
                f"got {self.min_passage_words}",
            )
        object.__setattr__(self, "wire_agencies", _check_agencies(self.wire_agencies))
        object.__setattr__(self, "clean_skip", tuple(sorted(set(self.clean_skip))))
        for rule in self.clean_skip:
            if rule not in CLEAN_RULES:
                raise ConfigError(
                    "clean_skip", f"unknown rule {rule!r} (rules: {', '.join(CLEAN_RULES)})"
                )
        object.__setattr__(self, "boilerplate_patterns", tuple(self.boilerplate_patterns))
        for pattern in self.boilerplate_patterns:
            try:
                re.compile(pattern)
            except re.error as err:
                raise ConfigError(
                    "boilerplate_patterns", f"bad regular expression {pattern!r}: {err}"
                ) from None
        if (self.bands is None) != (self.rows is None):
            name = "rows" if self.rows is None else "bands"
            raise ConfigError(name, "give both bands and rows, or neither (derived from threshold)")
        if self.bands is None:
            bands, rows = optimal_bands(float(self.threshold), int(self.num_perm))
            object.__setattr__(self, "bands", bands)
            object.__setattr__(self, "rows", rows)
            object.__setattr__(self, "_derived", True)
        else:
            assert self.rows is not None
            _check_int("bands", self.bands, 1, self.num_perm)
            _check_int("rows", self.rows, 1, self.num_perm)
            if self.bands * self.rows != self.num_perm:
                raise ConfigError(
                    "bands",
                    f"bands × rows must equal num_perm: {self.bands} × {self.rows} = "
                    f"{self.bands * self.rows}, num_perm = {self.num_perm}",
                )

    @staticmethod
    def help(name: str) -> str:
        """The one-line help of the setting ``name`` (the CLI's and the docs')."""
        return str(_FIELDS[name].metadata["help"])

    @staticmethod
    def bounds(name: str) -> tuple[float, float, bool] | None:
        """``(low, high, low_open)`` of a numeric setting, or None."""
        return _FIELDS[name].metadata.get("bounds")

    @property
    def passage_shingles(self) -> int:
        """Shingles in an exact run of ``min_passage_words`` words."""
        return self.min_passage_words - self.shingle_size + 1

    @property
    def passage_window(self) -> int:
        """Shingles per winnowing window: half of :attr:`passage_shingles`, so that any
        exact run of the minimum length holds two disjoint windows (two hits)."""
        return max(1, self.passage_shingles // 2)

    @property
    def two_hit_distance(self) -> int:
        """Farthest apart (in shingles) two hits of one passage may be; 0 when a minimum
        passage is too short for two windows and one hit must do.

        Wide enough for two guarantees: an exact run of ``min_passage_words`` words gives two
        hits at most ``passage_shingles - 1`` apart; and two exact runs of
        ``passage_window + shingle_size - 1`` words (one key each) on either side of an edit
        of up to ``max_gap_words`` words give two hits at most
        ``2 * passage_shingles + max_gap_words + shingle_size`` apart.
        """
        if self.passage_shingles < 2:
            return 0
        return 2 * self.passage_shingles + self.max_gap_words + self.shingle_size

    @property
    def fragment_hits(self) -> int:
        """Hits (shared passage keys), anywhere in two documents, that make them a candidate
        pair without two hits close together: ``FRAGMENT_HITS`` when ``min_fragment_words``
        keeps the pieces of heavy revisions, whose exact runs are short and far apart; 0
        (two close hits only) otherwise."""
        return FRAGMENT_HITS if self.min_fragment_words > 0 else 0

    def common_limit(self, n_docs: int) -> int:
        """Most documents a passage key may occur in before it counts as boilerplate."""
        return max(self.common_min_docs, int(self.common_fraction * n_docs))

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self) if f.compare}
        out["bands_derived_from_threshold"] = self._derived
        return out

    def digest(self) -> str:
        """A short hash of every setting that can change an output."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def replace(self, **changes: Any) -> Config:
        """A copy with some settings changed (bands/rows re-derived unless given)."""
        current = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.compare}
        if self._derived and "bands" not in changes and "rows" not in changes:
            current["bands"] = current["rows"] = None
        current.update(changes)
        return Config(**current)


_FIELDS = {spec.name: spec for spec in dataclasses.fields(Config)}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _check_agencies(value: Any) -> tuple[str, ...]:
    """The wire agency list as a tuple of ``name|alias|…`` entries, checked."""
    if isinstance(value, str) or not isinstance(value, (tuple, list)):
        raise ConfigError("wire_agencies", f"must be a list of names, got {value!r}")
    entries = []
    for entry in value:
        if not isinstance(entry, str):
            raise ConfigError("wire_agencies", f"must be a list of names, got {entry!r}")
        names = [name.strip() for name in entry.split("|")]
        if not all(names) or any("\n" in name for name in names):
            raise ConfigError("wire_agencies", f"empty or multi-line agency name in {entry!r}")
        entries.append("|".join(names))
    return tuple(entries)


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(name, f"must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(name, f"must be between {low} and {high}, got {value}")


def _check_float(name: str, value: Any, low: float, high: float, *, low_open: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(name, f"must be a number, got {value!r}")
    too_low = value <= low if low_open else value < low
    if too_low or value > high or value != value:
        bracket = "(" if low_open else "["
        raise ConfigError(name, f"must be in {bracket}{low}, {high}], got {value}")
