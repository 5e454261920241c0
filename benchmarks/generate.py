"""A deterministic news-like corpus with planted copies and passages, and its truth.

Words are drawn from a real English vocabulary with its real frequencies (the lower-cased
word counts of the local labelled news data, BASIL and Reuters-21578 texts, top 30,000
words), so the Zipf tail and the frequent short phrases of news are there; the sentences are
not grammatical. Documents are 300–900 words in sentences of 8–30 words (capitalised, full
stop) and paragraphs of 2–5 sentences separated by blank lines.

Planted:

* near-duplicate copies: about 10 % of documents copy an earlier original document with
  k % of its words edited (k drawn in 1–10; each edit a substitution, a deletion or an
  insertion);
* shared passages: about 10 % of documents receive one passage of 60–150 words, inserted
  between two of their paragraphs; each passage is carried by 2–4 otherwise unrelated
  original documents, and about 30 % of its copies have one or two words substituted.

Copies are never made of a passage carrier, nor passages put into a copy or an original
that was copied, so the truth is exactly the planted pairs and passages. ``truth.json``
holds ``{"near_duplicates": [{"a", "b", "edit_rate"}], "passages": [{"id", "words",
"witnesses": [{"doc", "start", "end"}]}]}``: ``a`` is the original, ``b`` the copy,
``edit_rate`` the share of the original's words edited; witness offsets are half-open
``str`` indices into the final text (checked when generated).

    python benchmarks/generate.py --docs 10000 --seed 0 -o /tmp/gen10k

The vocabulary is read from ``$DEDUP_DATA`` (default: ``shared/data`` beside the work tree).
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

DATA = Path(
    os.environ.get("DEDUP_DATA", Path(__file__).resolve().parent.parent.parent / "shared" / "data")
)
VOCABULARY_SIZE = 30_000
VOCABULARY_SOURCES = ("basil/basil.jsonl.gz", "reuters21578/reuters21578.jsonl.gz")
WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")

DOC_WORDS = (300, 900)  # inclusive
SENTENCE_WORDS = (8, 30)
PARAGRAPH_SENTENCES = (2, 5)
COPY_SHARE = 0.10
COPY_EDIT_RATE = (0.01, 0.10)
PASSAGE_HOST_SHARE = 0.10
PASSAGE_WORDS = (60, 150)
PASSAGE_COPIES = (2, 4)
PASSAGE_EDITED_SHARE = 0.3


@lru_cache(maxsize=1)
def vocabulary() -> tuple[tuple[str, ...], np.ndarray]:
    """The most frequent lower-cased words of the local news data, and their cumulative
    probabilities (ndarray of float64, shape (n_words,), last value 1.0)."""
    counts: collections.Counter[str] = collections.Counter()
    for name in VOCABULARY_SOURCES:
        with gzip.open(DATA / name, "rt", encoding="utf-8") as handle:
            for line in handle:
                counts.update(WORD.findall(json.loads(line)["text"].lower()))
    # ties broken by the word, so the vocabulary does not depend on reading order
    top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:VOCABULARY_SIZE]
    words = tuple(word for word, _ in top)
    cumulative = np.cumsum(np.array([count for _, count in top], dtype=np.float64))
    return words, cumulative / cumulative[-1]


@dataclass
class Truth:
    """What was planted: see the module docstring for the fields."""

    near_duplicates: list[dict] = field(default_factory=list)
    passages: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"near_duplicates": self.near_duplicates, "passages": self.passages}


class _Writer:
    """Draws words, sentences and edits from one random generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.words, self.cumulative = vocabulary()

    def draw(self, n: int) -> list[str]:
        """``n`` words drawn independently by their corpus frequency."""
        picks = np.searchsorted(self.cumulative, self.rng.random(n), side="right")
        words = self.words
        return [words[i] for i in np.minimum(picks, len(words) - 1).tolist()]

    def paragraphs(self, n_words: int) -> list[list[str]]:
        """``n_words`` words in paragraphs of sentences (punctuation attached to words)."""
        lengths = self._sentence_lengths(n_words)
        words = self.draw(n_words)
        ends = np.cumsum(lengths).tolist()
        for start, end in zip([0, *ends[:-1]], ends):
            words[start] = words[start].capitalize()
            words[end - 1] += "."
        paragraphs, first = [], 0
        while first < len(lengths):
            sentences = int(self.rng.integers(*PARAGRAPH_SENTENCES, endpoint=True))
            last = min(first + sentences, len(ends))
            start = ends[first - 1] if first else 0
            paragraphs.append(words[start : ends[last - 1]])
            first = last
        return paragraphs

    def _sentence_lengths(self, n_words: int) -> list[int]:
        low, high = SENTENCE_WORDS
        lengths = self.rng.integers(low, high, endpoint=True, size=n_words // low + 1).tolist()
        total, count = 0, 0
        while total + lengths[count] < n_words:
            total += lengths[count]
            count += 1
        lengths = [*lengths[:count], n_words - total]
        if len(lengths) > 1 and lengths[-1] < low:
            # fold a short remainder into the sentence before it, split again if too long
            merged = lengths.pop() + lengths.pop()
            lengths += [merged] if merged < 2 * low else [merged // 2, merged - merged // 2]
        return lengths

    def edit(self, paragraphs: list[list[str]], rate: float) -> tuple[list[list[str]], int]:
        """A copy with ``round(rate * n_words)`` words edited at distinct places, each a
        substitution, a deletion or an insertion (after the word), and that number."""
        sizes = [len(p) for p in paragraphs]
        n_words = sum(sizes)
        n_edits = max(1, round(rate * n_words))
        places = self.rng.choice(n_words, n_edits, replace=False)
        kinds = self.rng.integers(0, 3, n_edits)  # 0 substitute, 1 delete, 2 insert
        fresh = iter(self.draw(n_edits))
        edits = dict(zip(places.tolist(), kinds.tolist()))
        out, position = [], 0
        for paragraph in paragraphs:
            copied = []
            for word in paragraph:
                kind = edits.get(position)
                position += 1
                if kind is None:
                    copied.append(word)
                elif kind == 0:
                    copied.append(next(fresh))
                elif kind == 2:
                    copied.extend((word, next(fresh)))
            if copied:
                out.append(copied)
        return out, n_edits


def render(paragraphs: list[list[str]]) -> tuple[str, list[tuple[int, int]]]:
    """Text of the paragraphs (words joined by spaces, paragraphs by a blank line) and each
    paragraph's ``[start, end)`` in it."""
    texts = [" ".join(paragraph) for paragraph in paragraphs]
    spans, offset = [], 0
    for text in texts:
        spans.append((offset, offset + len(text)))
        offset += len(text) + 2
    return "\n\n".join(texts), spans


def generate(n_docs: int, seed: int = 0) -> tuple[list[dict], Truth]:
    """Records ``{"id", "text", "outlet", "date"}`` and the planted truth.

    The same ``(n_docs, seed)`` gives the same corpus on any machine (numpy's
    ``default_rng``); memory and time are linear in ``n_docs``. ``stream`` gives the same
    records one at a time.
    """
    truth = Truth()
    with tempfile.TemporaryDirectory() as scratch:
        records = list(stream(n_docs, seed, truth, Path(scratch)))
    return records, truth


class _Bodies:
    """Rendered bodies kept in a scratch file, read back by document number."""

    def __init__(self, path: Path, n_docs: int) -> None:
        self.handle = open(path, "w+b")  # noqa: SIM115 (closed by close)
        self.starts = np.zeros(n_docs + 1, dtype=np.int64)
        self.count = 0

    def add(self, paragraphs: list[list[str]]) -> None:
        data = "\n\n".join(" ".join(paragraph) for paragraph in paragraphs).encode("utf-8")
        self.handle.write(data)
        self.count += 1
        self.starts[self.count] = self.starts[self.count - 1] + len(data)

    def text(self, doc: int) -> str:
        self.handle.flush()
        start, end = int(self.starts[doc]), int(self.starts[doc + 1])
        return os.pread(self.handle.fileno(), end - start, start).decode("utf-8")

    def paragraphs(self, doc: int) -> list[list[str]]:
        return [paragraph.split(" ") for paragraph in self.text(doc).split("\n\n")]

    def close(self) -> None:
        self.handle.close()


def stream(n_docs: int, seed: int, truth: Truth, scratch: Path) -> Iterator[dict]:
    """The records of ``generate(n_docs, seed)``, one at a time, filling ``truth`` as they
    come (complete once the last is yielded).

    The bodies are written to a file in ``scratch`` as they are made and read back (an
    original when it is copied, each in order at the end), so memory does not grow with the
    text: only a few numbers a document and the truth are held.
    """
    rng = np.random.default_rng(seed)
    writer = _Writer(rng)
    bodies = _Bodies(scratch / "bodies.txt", n_docs)
    try:
        yield from _stream(n_docs, rng, writer, truth, bodies)
    finally:
        bodies.close()


def _stream(
    n_docs: int, rng: np.random.Generator, writer: _Writer, truth: Truth, bodies: _Bodies
) -> Iterator[dict]:
    originals = np.zeros(n_docs, dtype=np.int64)  # documents written fresh, in order
    n_originals = 0
    copied = np.zeros(n_docs, dtype=bool)
    for doc in range(n_docs):
        if n_originals >= 10 and rng.random() < COPY_SHARE:
            base = int(originals[int(rng.integers(0, n_originals))])
            rate = float(rng.uniform(*COPY_EDIT_RATE))
            base_body = bodies.paragraphs(base)
            body, n_edits = writer.edit(base_body, rate)
            bodies.add(body)
            copied[base] = True
            n_base = sum(len(p) for p in base_body)
            truth.near_duplicates.append(
                {"a": _id(base), "b": _id(doc), "edit_rate": round(n_edits / n_base, 4)}
            )
        else:
            bodies.add(writer.paragraphs(int(rng.integers(*DOC_WORDS, endpoint=True))))
            originals[n_originals] = doc
            n_originals += 1

    # passages go into originals that were not copied, each host receiving one passage
    fresh = originals[:n_originals]
    hosts = fresh[~copied[fresh]]
    del originals, copied
    rng.shuffle(hosts)
    planted_number = np.full(n_docs, -1, dtype=np.int64)
    planted_text: dict[int, str] = {}  # a passage's words, by number, while copies remain
    budget = min(int(PASSAGE_HOST_SHARE * n_docs), len(hosts))
    cursor = 0
    edited: dict[int, str] = {}  # a host's own edited copy of its passage
    while budget - cursor >= PASSAGE_COPIES[0]:
        copies = min(int(rng.integers(*PASSAGE_COPIES, endpoint=True)), budget - cursor)
        passage_words = int(rng.integers(*PASSAGE_WORDS, endpoint=True))
        source = [w for paragraph in writer.paragraphs(passage_words) for w in paragraph]
        number = len(truth.passages)
        for host in hosts[cursor : cursor + copies].tolist():
            if rng.random() < PASSAGE_EDITED_SHARE:
                words = list(source)
                for _ in range(int(rng.integers(1, 2, endpoint=True))):
                    words[int(rng.integers(5, len(words) - 5))] = writer.draw(1)[0]
                edited[host] = " ".join(words)
            planted_number[host] = number
        planted_text[number] = " ".join(source)
        truth.passages.append({"id": f"t{number}", "words": len(source), "witnesses": []})
        cursor += copies

    for doc in range(n_docs):
        paragraphs = bodies.text(doc).split("\n\n")
        number = int(planted_number[doc])
        if number >= 0:
            passage = edited.pop(doc, None) or planted_text[number]
            where = int(rng.integers(1, len(paragraphs), endpoint=True))  # never first
            start = sum(len(paragraph) + 2 for paragraph in paragraphs[:where])
            paragraphs.insert(where, passage)
            text = "\n\n".join(paragraphs)
            end = start + len(passage)
            assert text[start:end] == passage, (doc, number)
            truth.passages[number]["witnesses"].append(
                {"doc": _id(doc), "start": start, "end": end}
            )
        else:
            text = "\n\n".join(paragraphs)
        yield {
            "id": _id(doc),
            "text": text,
            "outlet": f"outlet{doc % 50:02d}",
            "date": f"2016-12-{1 + doc % 28:02d}",
        }


def load(folder: str | Path) -> tuple[list[dict], dict]:
    """Records and truth as written by this script into ``folder``."""
    folder = Path(folder)
    with open(folder / "corpus.jsonl", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    return records, truth


def _id(doc: int) -> str:
    return f"d{doc:07d}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--out", required=True, type=Path, help="folder to write")
    args = parser.parse_args()
    clock = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    truth = Truth()
    n_records, size = 0, 0
    with (
        tempfile.TemporaryDirectory(dir=args.out) as scratch,
        open(args.out / "corpus.jsonl", "w", encoding="utf-8") as handle,
    ):
        for record in stream(args.docs, args.seed, truth, Path(scratch)):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            n_records += 1
            size += len(record["text"].encode())
    (args.out / "truth.json").write_text(json.dumps(truth.to_dict()), encoding="utf-8")
    seconds = time.perf_counter() - clock
    witnesses = sum(len(p["witnesses"]) for p in truth.passages)
    print(
        f"{n_records:,} documents, {size / 1e6:.1f} MB, {len(truth.near_duplicates):,} planted "
        f"copies, {len(truth.passages):,} planted passages in {witnesses:,} documents, "
        f"generated and written in {seconds:.1f} s → {args.out}"
    )


if __name__ == "__main__":
    main()
