"""Credit lines and agency outlets: which wire agency a text credits, and which outlets are
wire agencies (the evidence of ``dedup chains`` that names where copy came from)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dedup.config import DEFAULT_WIRE_AGENCIES

#: A credit line naming "agencies" or "wires" without saying which.
GENERIC_AGENCIES = "News Agencies"
_GENERIC = re.compile(r"(?i)^(?:news\s+|wire\s+)?(?:agenc(?:y|ies)|wires?|wire\s+services)$")


@dataclass(frozen=True, slots=True)
class Credit:
    """One agency credit found in a text.

    ``agency`` is the normalised name (the first name of its ``wire_agencies`` entry, or
    ``News Agencies``); ``kind`` is ``credit line`` (a source line, dateline or
    contributor line) or ``body mention`` (the agency named in running text); ``text`` is the
    matched text as printed, ``text == document[start:end]``.
    """

    agency: str
    kind: str
    text: str
    start: int
    end: int


def _alias_table(agencies: Sequence[str]) -> dict[str, str]:
    """Alias as written → agency name (the first name of its entry)."""
    table: dict[str, str] = {}
    for entry in agencies:
        names = entry.split("|")
        for alias in names:
            table.setdefault(alias, names[0])
    return table


def _alias_pattern(aliases: Iterable[str]) -> str:
    """One regex alternative per alias, longest first, case-sensitive for acronyms.

    An alias without lowercase letters ("AP", "AFP", "EFE") must match as written, since
    "ap" or "Efe" are other words; other names match in any case.
    """
    parts = []
    for alias in sorted(aliases, key=lambda a: (-len(a), a)):
        escaped = r"\s+".join(re.escape(word) for word in alias.split())
        parts.append(escaped if alias.upper() == alias else f"(?i:{escaped})")
    return "|".join(parts) or r"(?!x)x"


def _agency_of(name: str, table: dict[str, str]) -> str | None:
    """The agency a credited name stands for, or None (e.g. "Al Jazeera")."""
    name = " ".join(name.strip(" .()[]\"'").split())
    if _GENERIC.match(name):
        return GENERIC_AGENCIES
    if name.startswith(("The ", "the ")):
        name = name[4:]
    for alias, agency in table.items():
        same = name == alias if alias.upper() == alias else name.casefold() == alias.casefold()
        if same:
            return agency
    return None


_SOURCE_LINE = re.compile(
    r"^[ \t]*(?:Sources?|Credits?|With)[ \t]*:[ \t]*(?P<names>[^\n]+?)[ \t]*$", re.MULTILINE
)
_CONTRIBUTED = re.compile(
    r"(?P<who>(?:[\w.\-]+[ \t]+){0,4}?[\w.\-]+)[ \t]+contributed[ \t]+to[ \t]+this[ \t]+report"
)


def find_credits(text: str, agencies: Sequence[str] = DEFAULT_WIRE_AGENCIES) -> tuple[Credit, ...]:
    """Every agency credit in ``text``, credit lines first claimed, sorted by offset.

    Parameters
    ----------
    text : str
        A document's original text.
    agencies : sequence of str
        ``name|alias|…`` entries, as ``Config.wire_agencies``.

    Returns
    -------
    tuple of Credit, sorted by (start, agency)
    """
    table = _alias_table(agencies)
    names = _alias_pattern(table)
    found: list[Credit] = []
    claimed: list[tuple[int, int]] = []

    def add(agency: str, kind: str, start: int, end: int) -> None:
        found.append(Credit(agency, kind, text[start:end], start, end))
        claimed.append((start, end))

    for match in _SOURCE_LINE.finditer(text):
        credited = [_agency_of(n, table) for n in re.split(r",|;|/|&|\band\b", match["names"])]
        for credited_agency in dict.fromkeys(a for a in credited if a):
            add(
                credited_agency,
                "credit line",
                match.start("names") - _label_width(match),
                match.end(),
            )
    for match in _CONTRIBUTED.finditer(text) if "contributed" in text else ():
        # the longest trailing run of words that names an agency: "The AP contributed"
        words = match["who"].split()
        for first in range(len(words)):
            agency = _agency_of(" ".join(words[first:]), table)
            if agency:
                add(agency, "credit line", match.start("who"), match.end())
                break
    if not _names_any(text, table):
        # no agency named anywhere: no dateline, sign-off or mention to look for
        return tuple(sorted(found, key=lambda c: (c.start, c.agency, c.kind)))
    # datelines and sign-offs: "PARIS (AFP) -", "(Reuters)", a line "— AFP"
    dateline = re.compile(
        rf"\((?:{names})\)|^[ \t]*[-–—]?[ \t]*(?:{names})[ \t]*$|©[ \t]*(?:{names})", re.MULTILINE
    )
    for match in dateline.finditer(text):
        if not _inside(match.start(), match.end(), claimed):
            agency = _agency_of(re.sub(r"^[-–—©\s(]+|[)\s]+$", "", match[0]), table)
            if agency:
                add(agency, "credit line", match.start(), match.end())
    mention = re.compile(rf"(?<!\w)(?:{names})(?!\w)")
    for match in mention.finditer(text):
        if not _inside(match.start(), match.end(), claimed):
            agency = _agency_of(match[0], table)
            if agency:
                start, end = _clause_around(text, match.start(), match.end())
                found.append(Credit(agency, "body mention", text[start:end], start, end))
    return tuple(sorted(found, key=lambda c: (c.start, c.agency, c.kind)))


def _names_any(text: str, table: dict[str, str]) -> bool:
    """Whether a word of ``text`` starts some alias (as written for acronyms, in any case
    for other names): a quick test before the slower searches."""
    words = set(re.findall(r"[^\W_]+", text))
    folded = {w.casefold() for w in words}
    for alias in table:
        head = re.findall(r"[^\W_]+", alias)[:1]
        if not head:
            return True  # an alias without a word: let the searches decide
        if head[0] in words if alias.upper() == alias else head[0].casefold() in folded:
            return True
    return False


def _label_width(match: re.Match[str]) -> int:
    """Characters from the start of a "Source:" line to its names (to keep the label)."""
    return match.start("names") - match.start() - (len(match[0]) - len(match[0].lstrip()))


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(lo <= start and end <= hi for lo, hi in spans)


def _clause_around(text: str, start: int, end: int, words: int = 2) -> tuple[int, int]:
    """``start:end`` widened by up to ``words`` words on each side, within its line and
    sentence, so the evidence shows how the agency is named ("telling AFP on Friday")."""
    left = start
    for _ in range(words):
        match = re.search(r"[\w’'\-]+[ \t]*$", text[max(0, left - 60) : left])
        if not match or "." in text[max(0, left - 60) + match.start() : left].strip()[-1:]:
            break
        left = max(0, left - 60) + match.start()
    right = end
    for _ in range(words):
        match = re.match(r"[ \t]*[\w’'\-]+", text[right : right + 60])
        if not match:
            break
        right += match.end()
    return left, right


def credit_lines(text: str, agencies: Sequence[str] = DEFAULT_WIRE_AGENCIES) -> tuple[str, ...]:
    """The agencies ``text`` credits in a credit line, normalised ("AFP", "News Agencies").

    An agency named only in running text ("telling AFP on Friday") is not a credit line;
    :func:`find_credits` returns those too, with the matched text.

    Returns
    -------
    tuple of str, sorted
    """
    return tuple(
        sorted({c.agency for c in find_credits(text, agencies) if c.kind == "credit line"})
    )


def outlet_agency(outlet: str | None, agencies: Sequence[str]) -> str | None:
    """The wire agency an outlet is, by name or alias ("AP" → "Associated Press")."""
    if not outlet:
        return None
    table = _alias_table(agencies)
    agency = _agency_of(outlet, table)
    if agency and agency != GENERIC_AGENCIES:
        return agency
    # "Reuters UK", "AFP English": the agency's name followed by an edition
    head = outlet.split()[0]
    agency = _agency_of(head, table)
    return agency if agency and agency != GENERIC_AGENCIES else None
