"""A deterministic news-like corpus with planted copies and passages, and its truth.

Words are drawn from a real English vocabulary with its real frequencies (the word counts
of the local labelled data: BASIL and Reuters-21578 texts), so the Zipf tail and the stock
phrases of news are there. Documents are 300–900 words in sentences and paragraphs.

Planted:
* near-duplicate copies: about 10 % of documents copy an earlier document with 1–10 % of
  its words substituted, deleted or inserted;
* shared passages: about 10 % of documents receive a passage of 60–150 words that 2–4
  otherwise unrelated documents carry, some with a one- or two-word edit.

The truth file gives every planted pair and every passage witness with exact character
offsets, checked when written.

    python benchmarks/generate.py --docs 10000 --seed 0 -o /tmp/gen10k
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
VOCABULARY_SIZE = 30_000


@lru_cache(maxsize=1)
def vocabulary() -> tuple[list[str], np.ndarray]:
    """Words and their probabilities, from the local labelled news data."""
    counts: collections.Counter[str] = collections.Counter()
    for name in ("basil/basil.jsonl.gz", "reuters21578/reuters21578.jsonl.gz"):
        with gzip.open(DATA / name, "rt", encoding="utf-8") as handle:
            for line in handle:
                counts.update(re.findall(r"[a-z]+(?:'[a-z]+)?", json.loads(line)["text"].lower()))
    words, freq = zip(*sorted(counts.most_common(VOCABULARY_SIZE), key=lambda x: (-x[1], x[0])))
    probabilities = np.array(freq, dtype=np.float64)
    return list(words), probabilities / probabilities.sum()


@dataclass
class Truth:
    near_duplicates: list[dict] = field(default_factory=list)
    passages: list[dict] = field(default_factory=list)


class _Writer:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.words, self.probabilities = vocabulary()

    def draw(self, n: int) -> list[str]:
        return [self.words[i] for i in self.rng.choice(len(self.words), n, p=self.probabilities)]

    def paragraphs(self, n_words: int) -> list[list[str]]:
        """Paragraphs of sentences, as word lists with punctuation attached."""
        words = self.draw(n_words)
        paragraphs, current, sentence_left, sentences_left = [], [], 0, 0
        for word in words:
            if sentence_left == 0:
                if sentences_left == 0 and current:
                    paragraphs.append(current)
                    current = []
                if sentences_left == 0:
                    sentences_left = int(self.rng.integers(2, 6))
                sentence_left = int(self.rng.integers(8, 31))
                sentences_left -= 1
                word = word.capitalize()
            sentence_left -= 1
            current.append(word + ("." if sentence_left == 0 else ""))
        if current:
            current[-1] = current[-1].rstrip(".") + "."
            paragraphs.append(current)
        return paragraphs

    def edit(self, words: list[str], rate: float) -> list[str]:
        out = []
        for word in words:
            roll = self.rng.random()
            if roll < rate / 3:
                out.append(self.draw(1)[0])  # substituted
            elif roll < 2 * rate / 3:
                continue  # deleted
            elif roll < rate:
                out.extend([word, self.draw(1)[0]])  # inserted after
            else:
                out.append(word)
        return out


def render(paragraphs: list[list[str]]) -> tuple[str, list[tuple[int, int]]]:
    """Text of the paragraphs and each paragraph's ``[start, end)``."""
    spans, parts, offset = [], [], 0
    for k, paragraph in enumerate(paragraphs):
        if k:
            parts.append("\n\n")
            offset += 2
        text = " ".join(paragraph)
        spans.append((offset, offset + len(text)))
        parts.append(text)
        offset += len(text)
    return "".join(parts), spans


def generate(n_docs: int, seed: int = 0) -> tuple[list[dict], Truth]:
    """Records (id, text, outlet, date) and the planted truth."""
    rng = np.random.default_rng(seed)
    writer = _Writer(rng)
    truth = Truth()
    bodies: list[list[list[str]]] = []
    kinds: list[str] = []
    for doc in range(n_docs):
        if doc > 10 and rng.random() < 0.10:
            base = int(rng.integers(0, doc))
            while kinds[base] != "plain":
                base = int(rng.integers(0, doc))
            rate = float(rng.uniform(0.01, 0.10))
            bodies.append([p for p in (writer.edit(par, rate) for par in bodies[base]) if p])
            kinds.append("copy")
            truth.near_duplicates.append({"a": _id(base), "b": _id(doc), "edit_rate": rate})
        else:
            bodies.append(writer.paragraphs(int(rng.integers(300, 901))))
            kinds.append("plain")

    # passages go into plain documents that are not the base of a copy
    bases = {int(pair["a"][1:]) for pair in truth.near_duplicates}
    hosts = np.array([d for d in range(n_docs) if kinds[d] == "plain" and d not in bases])
    rng.shuffle(hosts)
    planted: dict[int, list[tuple[int, list[str]]]] = collections.defaultdict(list)
    budget = int(0.10 * n_docs)
    cursor, passage = 0, 0
    while budget > 0 and cursor + 2 <= len(hosts):
        copies = min(int(rng.integers(2, 5)), budget, len(hosts) - cursor)
        if copies < 2:
            break
        text_words = [w for par in writer.paragraphs(int(rng.integers(60, 151))) for w in par]
        for host in hosts[cursor : cursor + copies]:
            words = text_words
            if rng.random() < 0.3:
                words = list(words)
                for _ in range(int(rng.integers(1, 3))):
                    words[int(rng.integers(5, len(words) - 5))] = writer.draw(1)[0]
            planted[int(host)].append((passage, words))
        truth.passages.append({"id": f"t{passage}", "words": len(text_words), "witnesses": []})
        cursor += copies
        budget -= copies
        passage += 1

    records = []
    for doc in range(n_docs):
        paragraphs = list(bodies[doc])
        inserted = []
        for number, words in planted.get(doc, []):
            where = int(rng.integers(1, len(paragraphs) + 1))
            paragraphs.insert(where, words)
            inserted = [(n, w + (w >= where)) for n, w in inserted] + [(number, where)]
        text, spans = render(paragraphs)
        for number, where in inserted:
            start, end = spans[where]
            assert text[start:end] == " ".join(paragraphs[where])
            truth.passages[number]["witnesses"].append(
                {"doc": _id(doc), "start": start, "end": end}
            )
        records.append(
            {
                "id": _id(doc),
                "text": text,
                "outlet": f"outlet{doc % 50:02d}",
                "date": f"2016-12-{1 + doc % 28:02d}",
            }
        )
    return records, truth


def _id(doc: int) -> str:
    return f"d{doc:07d}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--out", required=True, type=Path)
    args = parser.parse_args()
    records, truth = generate(args.docs, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "corpus.jsonl", "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    (args.out / "truth.json").write_text(
        json.dumps({"near_duplicates": truth.near_duplicates, "passages": truth.passages}),
        encoding="utf-8",
    )
    size = sum(len(r["text"].encode()) for r in records) / 1e6
    print(
        f"{len(records)} documents, {size:.1f} MB, {len(truth.near_duplicates)} planted copies, "
        f"{len(truth.passages)} planted passages → {args.out}"
    )


if __name__ == "__main__":
    main()
