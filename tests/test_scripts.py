"""Every script: words of scripts written without spaces, and folding that keeps the marks
a word needs while it still folds the accents of Latin, Greek and Cyrillic (issue #24)."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup.normalize import fold_char, normalize, segment_starts, to_codepoints, words
from dedup.pipeline import scan
from dedup.shingle import token_hash_of, tokenize
from dedup.types import Record

# One reused passage per language (at least 12 words), and two different settings for it.
PASSAGES = {
    "thai": (
        "รัฐบาลประกาศมาตรการช่วยเหลือเกษตรกรที่ได้รับผลกระทบจากน้ำท่วมในภาคเหนือ "
        "โดยจะจ่ายเงินชดเชยให้ครัวเรือนละห้าพันบาทภายในสิ้นเดือนนี้",
        ("สำนักข่าวในกรุงเทพฯ รายงานเมื่อเช้าวันนี้ว่า ", " ทั้งนี้ยังไม่มีความคืบหน้าเพิ่มเติม"),
        ("เมื่อวันจันทร์ที่ผ่านมา โฆษกกระทรวงเกษตรระบุ ",
         " ประชาชนจำนวนมากยังคงรอคอยความช่วยเหลือ"),
    ),
    "hindi": (
        "सरकार ने बाढ़ से प्रभावित किसानों की सहायता के लिए नए उपायों की घोषणा की है और "
        "प्रत्येक परिवार को इस महीने के अंत तक पाँच हज़ार रुपये का मुआवज़ा दिया जाएगा।",
        ("नई दिल्ली से हमारे संवाददाता के अनुसार ", " विपक्ष ने इस फ़ैसले की आलोचना की।"),
        ("सोमवार को कृषि मंत्रालय के प्रवक्ता ने कहा कि ", " लोग अब भी राहत का इंतज़ार कर रहे हैं।"),
    ),
    "arabic": (
        "أعلنت الحكومة عن إجراءات جديدة لمساعدة المزارعين المتضررين من الفيضانات في الشمال "
        "وستدفع تعويضات قدرها خمسة آلاف لكل أسرة قبل نهاية الشهر الجاري.",
        ("قال مراسلنا في العاصمة صباح اليوم إن ", " ولم تعلق المعارضة على القرار."),
        ("وصرح المتحدث باسم وزارة الزراعة يوم الاثنين بأن ", " وما زال كثيرون ينتظرون المساعدة."),
    ),
    "russian": (
        "Правительство объявило о новых мерах поддержки фермеров, пострадавших от наводнения "
        "на севере страны, и выплатит каждой семье компенсацию в размере пяти тысяч рублей до "
        "конца месяца.",
        ("Как сообщил наш корреспондент в столице, ", " Оппозиция пока не комментирует решение."),
        ("В понедельник представитель министерства сельского хозяйства заявил: ",
         " Многие жители всё ещё ждут помощи."),
    ),
    "chinese": (
        "政府宣布了帮助北方受洪水影响的农民的新措施，并将在本月底之前向每户家庭支付五千元的补偿金。",
        ("本报记者今天上午从首都报道，", "反对派尚未对这一决定发表评论。"),
        ("农业部发言人星期一对记者表示，", "许多居民仍在等待援助。"),
    ),
    "greek": (
        "Η κυβέρνηση ανακοίνωσε νέα μέτρα στήριξης για τους αγρότες που επλήγησαν από τις "
        "πλημμύρες στον βορρά και θα καταβάλει αποζημίωση πέντε χιλιάδων ευρώ σε κάθε "
        "νοικοκυριό έως το τέλος του μήνα.",
        ("Όπως μετέδωσε ο ανταποκριτής μας από την πρωτεύουσα, ",
         " Η αντιπολίτευση δεν έχει σχολιάσει ακόμη την απόφαση."),
        ("Ο εκπρόσωπος του υπουργείου γεωργίας δήλωσε τη Δευτέρα ότι ",
         " Πολλοί κάτοικοι περιμένουν ακόμη βοήθεια."),
    ),
}  # fmt: skip


@pytest.mark.parametrize("language", list(PASSAGES))
def test_reused_passage_is_one_passage_in_every_script(language):
    passage, (before_a, after_a), (before_b, after_b) = PASSAGES[language]
    assert len(words(passage)) >= 12
    texts = {"a": before_a + passage + after_a, "b": before_b + passage + after_b}
    result = scan([Record(doc_id, text) for doc_id, text in texts.items()])
    [cluster] = result.passages
    assert sorted(w.doc for w in cluster.witnesses) == ["a", "b"]
    for witness in cluster.witnesses:
        printed = texts[witness.doc][witness.start : witness.end]
        assert printed in passage  # the offsets slice the original text exactly
        assert len(printed) >= 0.9 * len(passage)
        assert normalize(printed).text == normalize(cluster.text).text


def icu_words(text: str) -> list[str]:
    """ICU's own word segments of ``text`` (icu4py, called directly), white space and
    punctuation left out."""
    from icu4py.breakers import WordBreaker

    return [w for w in WordBreaker(text, "th") if w.strip() and w not in "()"]


def test_thai_words_and_their_offsets():
    text = "รัฐบาลไทยประกาศมาตรการช่วยเหลือ วันนี้ (ABCไทย)"
    tokens = tokenize([text])
    printed = [text[s:e] for s, e in zip(tokens.starts.tolist(), tokens.ends.tolist())]
    assert printed[:6] == ["รัฐบาล", "ไทย", "ประกาศ", "มาตรการ", "ช่วย", "เหลือ"]
    # each run of Thai as ICU cuts it; ABC a word of its own against Thai (ICU joins them)
    runs = ["รัฐบาลไทยประกาศมาตรการช่วยเหลือ", "วันนี้"]
    assert printed == [*icu_words(runs[0]), *icu_words(runs[1]), "ABC", "ไทย"]
    assert icu_words("ABCไทย") == ["ABCไทย"]
    assert words(text) == [w.lower() for w in printed]


@pytest.mark.parametrize(
    "text",
    [
        "ລັດຖະບານລາວປະກາດມາດຕະການຊ່ວຍເຫຼືອ",  # Lao
        "រដ្ឋាភិបាលកម្ពុជាបានប្រកាស",  # Khmer
        "မြန်မာနိုင်ငံအစိုးရသည်",  # Myanmar
    ],
)
def test_lao_khmer_and_myanmar_are_cut_into_words(text):
    tokens = tokenize([text])
    printed = [text[s:e] for s, e in zip(tokens.starts.tolist(), tokens.ends.tolist())]
    assert printed == icu_words(text)
    assert len(printed) >= 3
    assert "".join(printed) == text


def test_distinct_hindi_words_stay_distinct():
    # these differ only in a virama, a vowel sign or a nasal mark: all nonspacing marks
    distinct = ["दिल्ली", "दिलली", "कि", "की", "के", "क", "हैं", "है", "सिंह", "सिह"]
    folded = [normalize(w).text for w in distinct]
    assert len(set(folded)) == len(distinct)
    assert folded[0] == "दिल्ली"
    hashes = tokenize([" ".join(distinct)]).hashes.tolist()
    assert len(hashes) == len(distinct) == len(set(hashes))


def test_thai_vowels_and_tone_marks_are_kept():
    variants = ("ที่", "ที", "ท", "ไม่", "ไม้", "ไม", "น้ำ", "นำ", "นา")
    for word in variants:  # compatibility decomposition only (sara am: nikhahit + sara aa)
        assert normalize(word).text == unicodedata.normalize("NFKD", word)
    assert len({normalize(w).text for w in variants}) == len(variants)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Café RÉSUMÉ naïve", "cafe resume naive"),
        ("Ελληνικά Ά", "ελληνικα α"),
        ("Ёлка Йод", "елка иод"),
        ("مَدْرَسَةٌ كتـــاب", "مدرسة كتاب"),  # harakat and tatweel
        ("שָׁלוֹם", "שלום"),  # Hebrew points
        ("がっこう", "かっこう"),  # kana voicing marks, dropped as before
    ],
)
def test_accents_and_optional_points_still_fold(a, b):
    assert normalize(a).text == normalize(b).text


def old_fold(char: str) -> str:
    """The fold before issue #24, which dropped every nonspacing mark."""
    from dedup.normalize import _QUOTES_DASHES as quotes

    def once(c: str) -> str:
        if c in quotes:
            return quotes[c]
        if c.isspace():
            return " "
        return "".join(
            p.casefold()
            for p in unicodedata.normalize("NFKD", c)
            if unicodedata.category(p) not in ("Mn", "Me", "Cf")
        )

    text = char
    for _ in range(8):
        folded = "".join(once(c) for c in text)
        if folded == text:
            break
        text = folded
    return text


LATIN_GREEK_CYRILLIC = [
    *range(0x0000, 0x0250),
    *range(0x0300, 0x0370),
    *range(0x0370, 0x0400),
    *range(0x0400, 0x0530),
    *range(0x1E00, 0x2000),
]


def test_latin_greek_and_cyrillic_fold_as_before():
    changed = [
        hex(code)
        for code in LATIN_GREEK_CYRILLIC
        if unicodedata.category(chr(code)) != "Cs" and fold_char(chr(code)) != old_fold(chr(code))
    ]
    assert changed == []


# --- the kernel against the reference, on every script ------------------------------------

MIXED = st.lists(
    st.sampled_from(
        [
            "รัฐบาลไทยประกาศ",
            "ที่ได้รับผลกระทบ",
            "ລັດຖະບານລາວ",
            "រដ្ឋាភិបាល",
            "မြန်မာနိုင်ငံ",
            "दिल्ली",
            "किसानों",
            "مَدْرَسَةٌ",
            "Ёлка",
            "Ελληνικά",
            "東京",
            "café",
            "ABC",
            "—",
            "😀",
            "\u200b",
            "\u00ad",
            " ",
            "",
        ]
    ),
    max_size=25,
).map("".join)


@given(st.lists(MIXED, min_size=1, max_size=4))
def test_tokens_are_the_reference_words_in_every_script(texts):
    tokens = tokenize(texts)
    for d, text in enumerate(texts):
        doc = tokens.doc(d)
        expected = words(text)
        assert doc.hashes.tolist() == [token_hash_of(w) for w in expected]
        for k, (start, end) in enumerate(zip(doc.starts.tolist(), doc.ends.tolist())):
            assert 0 <= start < end <= len(text)
            assert normalize(text[start:end]).text.replace(" ", "") == expected[k]


def test_segment_starts_are_empty_without_those_scripts():
    assert segment_starts(to_codepoints("Plain English, Ελληνικά, 東京.")).tolist() == []
    starts = segment_starts(to_codepoints("ab ไทยไทย"))
    assert starts.dtype == np.int64 and starts.tolist() == [3, 6, 9]
