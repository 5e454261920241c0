"""Stop words in stories chosen by the text (dedup.story_words): each document's language,
the corpus's languages, and the stop list each gets."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from dedup import clustering
from dedup.cli import main
from dedup.clustering import StoryClusterer
from dedup.story_words import (
    StopWordTokenizer,
    corpus_languages,
    document_language,
    stop_list,
    stop_word_options,
)
from dedup.types import Record

# Two stories in German and two in Spanish, two reports each written apart (the same event,
# little shared wording), the story as the id's prefix.
MIXED_NEWS = {
    "flood-1": "Nach tagelangem Regen ist die Donau in Passau über die Ufer getreten. Die "
    "Feuerwehr hat in der Nacht mehr als zweihundert Menschen aus ihren Häusern gebracht, wie "
    "die Stadt am Dienstag mitteilte. Der Pegel lag am Morgen bei zehn Metern. Die Behörden "
    "rechnen damit, dass das Wasser erst am Wochenende zurückgeht, und haben die Altstadt für "
    "den Verkehr gesperrt.",
    "flood-2": "In Passau kämpfen die Helfer gegen das Hochwasser der Donau. Mit Sandsäcken "
    "und Pumpen versuchen die Feuerwehr und das Technische Hilfswerk, die Altstadt zu "
    "schützen. Ein Sprecher der Stadt sagte, der Pegel sei in der Nacht auf zehn Meter "
    "gestiegen. Mehr als zweihundert Bewohner mussten ihre Wohnungen verlassen; sie sind in "
    "einer Turnhalle untergebracht.",
    "budget-1": "Der Hamburger Senat hat am Dienstag den Haushalt für das kommende Jahr "
    "beschlossen. Die Finanzsenatorin sagte, die Stadt wolle mehr Geld in Schulen und in den "
    "Bau von Wohnungen stecken. Die Opposition in der Bürgerschaft kritisierte, dass die "
    "Schulden dadurch weiter steigen würden. Über den Entwurf soll das Parlament im Dezember "
    "abstimmen.",
    "budget-2": "Mehr Geld für Schulen und Wohnungsbau: Der Senat in Hamburg hat seinen "
    "Haushaltsentwurf vorgelegt. Die Bürgerschaft wird im Dezember darüber abstimmen. Kritik "
    "kam von der Opposition, die vor neuen Schulden warnte. Die Finanzsenatorin verteidigte "
    "den Plan und sagte, die Investitionen seien für die Zukunft der Stadt nötig.",
    "fire-1": "Un incendio forestal ha arrasado más de tres mil hectáreas en el interior de "
    "la provincia de Valencia, según informó el martes la Generalitat. Los bomberos trabajan "
    "desde el domingo para controlar las llamas, que obligaron a desalojar a cientos de "
    "vecinos de dos pueblos. El fuego se vio favorecido por el viento y por las altas "
    "temperaturas de los últimos días.",
    "fire-2": "Los vecinos de dos pueblos del interior de Valencia han tenido que abandonar "
    "sus casas por el incendio que arde desde el domingo. Según la Generalitat, las llamas "
    "han quemado ya tres mil hectáreas de monte. Más de cuatrocientos bomberos y varios "
    "helicópteros luchan contra el fuego, al que el viento y el calor de estos días han dado "
    "fuerza.",
    "strike-1": "Los médicos de atención primaria de Madrid han comenzado una huelga "
    "indefinida para pedir más personal y menos pacientes por consulta. Según el sindicato, "
    "el seguimiento fue del ochenta por ciento en la primera jornada. La consejería de "
    "Sanidad aseguró que los servicios mínimos se cumplieron en todos los centros de salud y "
    "pidió a los médicos que vuelvan a negociar.",
    "strike-2": "Primer día de huelga de los médicos de familia en Madrid: el sindicato cifra "
    "el seguimiento en un ochenta por ciento, mientras la consejería de Sanidad asegura que "
    "los centros de salud funcionaron con servicios mínimos. Los facultativos reclaman más "
    "personal y un límite de pacientes por consulta. La consejería dijo que está dispuesta a "
    "negociar.",
}


def story_sets(labels, ids) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    for label, doc_id in zip(labels, ids):
        groups.setdefault(int(label), set()).add(doc_id)
    return {frozenset(group) for group in groups.values()}


TRUE_STORIES = {
    frozenset({f"{story}-1", f"{story}-2"}) for story in ("flood", "budget", "fire", "strike")
}


def test_each_language_is_identified():
    assert [document_language(MIXED_NEWS[k]) for k in ("flood-1", "fire-1")] == ["de", "es"]
    assert document_language("Talks resume in Paris as diplomats call for calm.") == "en"
    assert document_language("12 34 56") is None  # nothing to tell a language by
    assert document_language("\x00\ud800 ok") is None  # what CLD2 refuses is not an error


def test_corpus_languages_need_a_share_of_the_documents():
    assert corpus_languages(["de"] * 3 + ["es"] * 5 + [None]) == ["es", "de"]
    assert corpus_languages(["en"] * 40 + ["da"]) == ["en"]  # one in 41: under 5 %
    assert corpus_languages([None, None]) == ["en"]


def test_stop_lists_are_whole_lower_case_words():
    assert stop_list("en") is ENGLISH_STOP_WORDS
    assert {"und", "der", "die", "nicht"} <= stop_list("de")
    assert {"de", "la", "que", "los"} <= stop_list("es")
    assert "krieg" not in stop_list("de") and "huelga" not in stop_list("es")
    assert stop_list("zh") == frozenset() and stop_list("xx") == frozenset()
    for language in ("de", "es", "fr", "ru", "el", "ar"):
        assert all(word == word.lower() and " " not in word for word in stop_list(language))


def test_an_english_corpus_keeps_the_english_list():
    texts = [MIXED_NEWS["flood-1"]] + [
        "Diplomats meeting in Paris on Saturday called for an immediate end to the violence."
    ] * 3
    assert stop_word_options(texts[1:]) == {"stop_words": "english"}
    assert stop_word_options(["12 34", "56 78"]) == {"stop_words": "english"}


def test_a_corpus_in_one_other_language_gets_that_list():
    options = stop_word_options([MIXED_NEWS["flood-1"], MIXED_NEWS["budget-2"]])
    assert set(options) == {"stop_words"}
    assert set(options["stop_words"]) == stop_list("de")


def test_a_mixed_corpus_drops_each_documents_own_stop_words():
    options = stop_word_options(list(MIXED_NEWS.values()))
    tokenizer = options["tokenizer"]
    assert isinstance(tokenizer, StopWordTokenizer) and options["stop_words"] is None
    assert sorted(tokenizer.languages) == ["de", "es"]
    german = tokenizer(MIXED_NEWS["flood-1"].lower())
    assert "donau" in german and "die" not in german and "der" not in german
    spanish = tokenizer(MIXED_NEWS["fire-1"].lower())
    assert "incendio" in spanish and "de" not in spanish and "los" not in spanish
    # the same words and word pairs as the vectorizer's own stop_words on one language
    ours = TfidfVectorizer(ngram_range=(1, 2), **options).fit([MIXED_NEWS["flood-1"]])
    theirs = TfidfVectorizer(ngram_range=(1, 2), stop_words=sorted(stop_list("de")))
    theirs.fit([MIXED_NEWS["flood-1"]])
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())


def fitted(records: list[Record]) -> StoryClusterer:
    return StoryClusterer(random_state=0).fit(records)


def similarities(model: StoryClusterer) -> tuple[list[float], list[float]]:
    """Cosine similarity of the TF-IDF vectors of each pair of reports of one story, and
    of each pair of reports of different stories."""
    ids = list(MIXED_NEWS)
    vectors = model.vectorizer_.transform(list(MIXED_NEWS.values()))
    cosine = (vectors @ vectors.T).toarray()
    same, apart = [], []
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            story_i, story_j = ids[i].rsplit("-", 1)[0], ids[j].rsplit("-", 1)[0]
            (same if story_i == story_j else apart).append(float(cosine[i, j]))
    return same, apart


RECORDS = [Record(doc_id, text) for doc_id, text in MIXED_NEWS.items()]


def test_mixed_language_stories_come_out_right():
    model = fitted(RECORDS)
    assert story_sets(model.labels_, [r.id for r in RECORDS]) == TRUE_STORIES


def test_own_stop_words_set_the_stories_further_apart(monkeypatch):
    """With each language's stop words, reports of different stories in one language share
    far less than with English stop words for every language (as before), where their
    function words tie them; reports of one story stay as close or closer."""
    same, apart = similarities(fitted(RECORDS))
    monkeypatch.setattr(clustering, "stop_word_options", lambda texts: {"stop_words": "english"})
    same_english, apart_english = similarities(fitted(RECORDS))
    assert max(apart) < max(apart_english) / 2
    assert min(same) >= min(same_english)


@pytest.mark.parametrize("language", ["de", "es"])
def test_tokenizer_falls_back_to_the_main_language(language):
    tokenizer = StopWordTokenizer([language, "fr"])
    assert tokenizer("12 34 de die") == [w for w in ["12", "34", "de", "die"]
                                         if w not in stop_list(language)]  # fmt: skip


def story_labels(tmp_path) -> dict[tuple[str, ...], list[str]]:
    """`dedup stories` on the mixed corpus: each story's members and its label's terms."""
    source = tmp_path / "mixed.jsonl"
    rows = [{"id": doc_id, "text": text} for doc_id, text in MIXED_NEWS.items()]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["stories", str(source), "-q", "-o", str(out)])
    assert result.exit_code == 0, result.output
    stories = [json.loads(line) for line in (out / "stories.jsonl").read_text().splitlines()]
    return {tuple(story["members"]): story["label"].split(", ") for story in stories}


def test_story_labels_are_words_of_the_story_not_of_the_language(tmp_path):
    labels = story_labels(tmp_path)
    assert {frozenset(members) for members in labels} == TRUE_STORIES
    for members, terms in labels.items():
        language = document_language(MIXED_NEWS[members[0]])
        assert not any(word in stop_list(language) for term in terms for word in term.split())
    assert "donau" in labels[("flood-1", "flood-2")]


def test_with_english_stop_words_the_labels_were_function_words(tmp_path, monkeypatch):
    """What the test above guards against: "die, der, das, und" as a German story's label."""
    monkeypatch.setattr(clustering, "stop_word_options", lambda texts: {"stop_words": "english"})
    labels = story_labels(tmp_path)
    assert {"die", "der", "und"} <= set(labels[("flood-1", "flood-2")])
