"""Stop words of the stories stage, chosen by the text: the words of each document's own
language that say nothing about its story are left out of its TF-IDF terms.

Each document's language is identified by CLD2 (``pycld2``, Apache-2.0) on the start of its
lower-cased text (:data:`DETECT_CHARS` characters); only an identification CLD2 calls
reliable counts. The languages of at least :data:`MIN_SHARE` of the documents are the
corpus's languages; a document in none of them (or not identified) is taken to be in the
most common one. Each language's stop words are the lists of the ``stop-words`` package
(BSD-3-Clause), and scikit-learn's own English list for English, so an English corpus gets
exactly the terms it got when English was the only choice. Languages without a list, and
Chinese and Japanese (written without spaces: the vectorizer's words there are whole runs of
characters, not words), have none. A corpus in which no language is identified is taken as
English, as before.

:func:`stop_word_options` gives the ``TfidfVectorizer`` parameters: the one list of a corpus
in one language (``stop_words``), or for a corpus in several a tokenizer that takes each
document's words less its own language's stop words (the vectorizer's own token pattern, and
stop words dropped before word pairs are made, exactly as ``stop_words`` does).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

#: Characters of a document's (lower-cased) start that its language is identified from.
DETECT_CHARS = 1024
#: The share of the documents a language needs to be one of the corpus's languages.
MIN_SHARE = 0.05
#: The vectorizer's default token pattern: words of two or more word characters.
TOKEN = re.compile(r"(?u)\b\w\w+\b")
# CLD2's codes that the stop-words package names otherwise
_CODES = {"iw": "he", "no": "nb"}
# written without spaces: a stop list's words are never the vectorizer's tokens there
_WITHOUT_SPACES = frozenset({"zh", "ja"})
# what CLD2 refuses as not UTF-8: control characters (but tab and line breaks), lone surrogates
_UNREADABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def document_language(text: str) -> str | None:
    """The language of ``text`` (an ISO 639-1 code such as ``"de"``), or None when CLD2
    does not identify it reliably."""
    import pycld2

    sample = _UNREADABLE.sub(" ", text.lower()[:DETECT_CHARS])
    try:
        reliable, _bytes, found = pycld2.detect(sample)
    except pycld2.error:
        return None
    code = found[0][1].split("-")[0]
    if not reliable or code == "un":
        return None
    return _CODES.get(code, code)


@functools.cache
def stop_list(language: str) -> frozenset[str]:
    """The stop words of ``language`` (an ISO 639-1 code) as the vectorizer sees words:
    lower case, each a whole token (empty when the language has no list)."""
    if language == "en":
        return ENGLISH_STOP_WORDS
    import stop_words

    if language in _WITHOUT_SPACES or language not in stop_words.LANGUAGE_MAPPING:
        return frozenset()
    words = (word.strip().lower() for word in stop_words.get_stop_words(language))
    return frozenset(word for word in words if TOKEN.fullmatch(word))


def corpus_languages(languages: Sequence[str | None]) -> list[str]:
    """The languages of at least :data:`MIN_SHARE` of the documents, the most common first
    (ties in code order); ``["en"]`` when none is identified."""
    counts = Counter(language for language in languages if language is not None)
    enough = MIN_SHARE * len(languages)
    present = sorted((-n, code) for code, n in counts.items() if n >= enough)
    return [code for _n, code in present] or ["en"]


class StopWordTokenizer:
    """The vectorizer's words of a document less the stop words of its language (one of
    ``languages``, else the first of them)."""

    def __init__(self, languages: Sequence[str]) -> None:
        self.languages = list(languages)

    def __call__(self, text: str) -> list[str]:
        language = document_language(text)
        if language not in self.languages:
            language = self.languages[0]
        stop = stop_list(language)
        return [word for word in TOKEN.findall(text) if word not in stop]


def stop_word_options(texts: Sequence[str]) -> dict[str, Any]:
    """The ``TfidfVectorizer`` parameters that leave out each document's stop words.

    Parameters
    ----------
    texts : sequence of str, length n_documents
        The texts the vectorizer is fitted on.

    Returns
    -------
    dict
        ``{"stop_words": "english"}`` for an English corpus (or one in no identified
        language), ``{"stop_words": [...]}`` (or None) for a corpus in one other language,
        and ``{"stop_words": None, "tokenizer": StopWordTokenizer, "token_pattern": None}``
        for a corpus in several.
    """
    languages = corpus_languages([document_language(text) for text in texts])
    if len(languages) > 1:
        return {
            "stop_words": None,
            "tokenizer": StopWordTokenizer(languages),
            "token_pattern": None,
        }
    if languages == ["en"]:
        return {"stop_words": "english"}
    return {"stop_words": sorted(stop_list(languages[0])) or None}
