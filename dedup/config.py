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

#: Cleaning rules that ``Config.clean_skip`` can switch off (see dedup.clean).
CLEAN_RULES = ("self-duplicate", "comments", "teaser", "tags", "share", "learned")


@lru_cache(maxsize=64)
def optimal_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """LSH bands and rows for a Jaccard threshold, as datasketch chooses them.

    Minimises the equally weighted false-positive and false-negative probability mass
    (datasketch's ``_optimal_param``); ``bands * rows`` may be a little below ``num_perm``.
    """
    from datasketch.lsh import _optimal_param

    bands, rows = _optimal_param(threshold, num_perm, 0.5, 0.5)
    return int(bands), int(rows)


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
        ``dedup.stories.StoryClusterer``).
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
    """

    shingle_size: int = 5
    num_perm: int = 128
    threshold: float = 0.5
    bands: int | None = None
    rows: int | None = None
    seed: int = 1
    min_passage_words: int = 12
    max_gap_words: int = 5
    common_fraction: float = 0.01
    common_min_docs: int = 100
    boilerplate_min_docs: int = 5
    boilerplate_fraction: float = 0.3
    boilerplate_max_words: int = 30
    duplicate_copied: float = 0.9
    clean_skip: tuple[str, ...] = ()
    boilerplate_patterns: tuple[str, ...] = ()
    story_neighbors: int = 10
    story_min_lift: float = 3.0
    story_resolution: float = 1.0
    story_min_conductance: float = 0.03
    story_window_days: float = 7.0
    story_title_weight: int = 2
    wire_agencies: tuple[str, ...] = DEFAULT_WIRE_AGENCIES
    chain_contained_fraction: float = 0.8
    max_bridge_words: int = 30
    min_exact_share: float = 0.5
    _derived: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_int("shingle_size", self.shingle_size, 1, 32)
        _check_int("num_perm", self.num_perm, 2, 4096)
        _check_float("threshold", self.threshold, 0.0, 1.0, low_open=True)
        _check_int("seed", self.seed, 0, MAX_SEED)
        _check_int("min_passage_words", self.min_passage_words, 1, 100_000)
        if self.min_passage_words < self.shingle_size:
            raise ConfigError(
                "min_passage_words",
                f"must be at least shingle_size ({self.shingle_size}), "
                f"got {self.min_passage_words}",
            )
        _check_int("max_gap_words", self.max_gap_words, 0, 1000)
        _check_float("common_fraction", self.common_fraction, 0.0, 1.0, low_open=True)
        _check_int("common_min_docs", self.common_min_docs, 2, 10**12)
        _check_int("boilerplate_min_docs", self.boilerplate_min_docs, 2, 10**12)
        _check_float("boilerplate_fraction", self.boilerplate_fraction, 0.0, 1.0, low_open=True)
        _check_int("boilerplate_max_words", self.boilerplate_max_words, 1, 10_000)
        _check_float("duplicate_copied", self.duplicate_copied, 0.0, 1.0, low_open=True)
        _check_int("story_neighbors", self.story_neighbors, 1, 1000)
        _check_float("story_min_lift", self.story_min_lift, 0.0, 1000.0)
        _check_float("story_resolution", self.story_resolution, 0.0, 1000.0, low_open=True)
        _check_float("story_min_conductance", self.story_min_conductance, 0.0, 1.0)
        _check_float("story_window_days", self.story_window_days, 0.0, 100_000.0)
        _check_int("story_title_weight", self.story_title_weight, 0, 100)
        object.__setattr__(self, "wire_agencies", _check_agencies(self.wire_agencies))
        _check_float(
            "chain_contained_fraction", self.chain_contained_fraction, 0.0, 1.0, low_open=True
        )
        _check_int("max_bridge_words", self.max_bridge_words, 1, 1000)
        _check_float("min_exact_share", self.min_exact_share, 0.0, 1.0)
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
            _check_int("bands", self.bands, 1, self.num_perm)
            _check_int("rows", self.rows, 1, self.num_perm)
            if self.bands * self.rows != self.num_perm:
                raise ConfigError(
                    "bands",
                    f"bands × rows must equal num_perm: {self.bands} × {self.rows} = "
                    f"{self.bands * self.rows}, num_perm = {self.num_perm}",
                )

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
