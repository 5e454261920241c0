"""The syndication benchmark's generator: networks of wire, subscribers, rewriters and
scrapers, and their exact truth (see syndication.py)."""

from __future__ import annotations

import collections
import itertools
import json
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from syndication_sources import (
    CONTROL_SHARE,
    DAYS,
    DROP_SHARE,
    FIRST_DAY,
    FLAT_COPY_SHARE,
    GRAM_WORDS,
    HOUSE_STYLE,
    LOCAL_LEAD_SHARE,
    MONTHS,
    OTHER_WORDS,
    REWRITER_CREDIT_SHARE,
    REWRITER_OUTLETS,
    REWRITER_OWN_PARAGRAPHS,
    REWRITER_PARAGRAPHS,
    REWRITER_TWO_SOURCES_SHARE,
    REWRITERS,
    SCRAPER_OUTLETS,
    SCRAPERS,
    SHARED_RUN_WORDS,
    STORIES,
    STRIKE_CREDIT_SHARE,
    SUBSCRIBER_OUTLETS,
    SUBSCRIBERS,
    SUBSTITUTIONS,
    TEASERS,
    TRIM_SHARE,
    WIRE_ABSENT_SHARE,
    WIRE_OUTLET,
    WORD,
    BasilArticle,
    ScraperOutlet,
    WireStory,
    _Article,
    _Block,
    _copy,
    _debris_block,
    _Fresh,
    _own_block,
    _render,
    basil_articles,
    wire_stories,
)

# --- the generator ----------------------------------------------------------------------------


class _Network:
    def __init__(self, seed: int, split: str) -> None:
        self.rng = np.random.default_rng([seed, 0 if split == "dev" else 1])
        self.fresh = _Fresh()
        self.wire_pool = list(wire_stories(split))
        self.rng.shuffle(self.wire_pool)
        # teasers name headlines of the site's other articles (Reuters titles not used here)
        self.headlines = [story.title for story in self.wire_pool[:200]]
        del self.wire_pool[:200]
        self.basil_pool = list(basil_articles(split))
        self.rng.shuffle(self.basil_pool)
        self.own_paragraphs = (
            (article, k) for article in self.basil_pool for k in range(len(article.paragraphs))
        )
        self.articles: list[_Article] = []
        self.edits = 0

    # draws
    def chance(self, share: float) -> bool:
        return bool(self.rng.random() < share)

    def between(self, low: int, high: int) -> int:
        return int(self.rng.integers(low, high, endpoint=True))

    def pick(self, items: Sequence):
        return items[int(self.rng.integers(len(items)))]

    def add(self, article: _Article) -> _Article:
        self.articles.append(article)
        return article

    # text sources
    def next_wire(self, moment: datetime | None = None) -> WireStory:
        """The next Reuters story sharing no 8-gram with the texts used so far (with its
        dateline on ``moment`` when given)."""
        while self.wire_pool:
            story = self.wire_pool.pop()
            dateline = [self.dateline(story, moment)] if moment else []
            # one text, so the 8-grams across its paragraph breaks are checked too
            if self.fresh.take(" ".join([*dateline, *story.paragraphs])):
                return story
        raise RuntimeError("out of Reuters stories: ask for fewer stories")

    @staticmethod
    def dateline(story: WireStory, moment: datetime) -> str:
        return f"{story.city}, {MONTHS[moment.month - 1]} {moment.day} (Reuters) -"

    def next_own(self) -> tuple[BasilArticle, int]:
        for article, k in self.own_paragraphs:
            if self.fresh.take(article.paragraphs[k]):
                return article, k
        raise RuntimeError("out of BASIL paragraphs: ask for fewer stories")

    def own_paragraph(self) -> _Block:
        article, k = self.next_own()
        return _own_block(article.paragraphs[k], ("o", article.id, k))

    def lead_sentence(self) -> _Block:
        article, k = self.next_own()
        sentence = re.split(r"(?<=[.!?”\"])\s+(?=[A-Z“\"])", article.paragraphs[k])[0]
        return _own_block(sentence, ("o", article.id, k))

    # edits
    def substitute(self, article_key: str, blocks: list[_Block], count: int) -> None:
        """``count`` house-style or other word substitutions in the copied (body) words."""
        places = [
            (b, k)
            for b, block in enumerate(blocks)
            if block.kind == "body"
            for k, origin in enumerate(block.origins)
            if origin is not None and origin[0] == "w" and not (origin[2] == 0 and origin[3] < 8)
        ]
        if not places:
            return
        house = [
            k
            for k, (b, w) in enumerate(places)
            if blocks[b].words[w].rstrip(".,;:)\"'").lower() in HOUSE_STYLE
        ]
        chosen = []
        for _ in range(min(count, len(places))):
            # mostly the outlet's house style ("pct" → "percent"), else another word
            pool = [k for k in house if k not in chosen] if self.chance(0.7) else []
            pool = pool or [k for k in range(len(places)) if k not in chosen]
            chosen.append(self.pick(pool))
        for index in sorted(chosen):
            b, k = places[index]
            word = blocks[b].words[k]
            core = word.rstrip(".,;:)\"'")
            tail = word[len(core) :]
            new = HOUSE_STYLE.get(core.lower())
            if new is None:
                new = self.pick([w for w in OTHER_WORDS if w != core.lower()])
            if core[:1].isupper():
                new = new.capitalize()
            blocks[b].words[k] = new + tail
            blocks[b].origins[k] = ("e", article_key, self.edits)
            self.edits += 1

    # the roles
    def story(self, number: int) -> None:
        day = FIRST_DAY + timedelta(days=int(self.rng.integers(DAYS)))
        moment = day + timedelta(minutes=int(self.rng.integers(6 * 60, 14 * 60)))
        story = self.next_wire(moment)
        dateline = self.dateline(story, moment).split()
        blocks = []
        for p, paragraph in enumerate(story.paragraphs):
            words = ([*dateline] if p == 0 else []) + paragraph.split()
            blocks.append(_Block(words, [("w", number, p, k) for k in range(len(words))]))
        wire = _Article(
            f"s{number}-wire", "wire", number, WIRE_OUTLET, moment, True, story.title, blocks
        )
        present = not self.chance(WIRE_ABSENT_SHARE)
        if present:
            self.add(wire)

        subscribers = []
        outlets = self.rng.choice(
            len(SUBSCRIBER_OUTLETS), self.between(*SUBSCRIBERS), replace=False
        )
        for n, outlet_index in enumerate(outlets.tolist()):
            subscribers.append(self.subscriber(wire, present, f"s{number}-sub{n}", outlet_index))
        outlets = self.rng.choice(len(REWRITER_OUTLETS), self.between(*REWRITERS), replace=False)
        for n, outlet_index in enumerate(outlets.tolist()):
            self.rewriter(wire, present, subscribers, f"s{number}-rew{n}", outlet_index)
        n_scrapers = min(self.between(*SCRAPERS), len(SCRAPER_OUTLETS))
        outlets = self.rng.choice(len(SCRAPER_OUTLETS), n_scrapers, replace=False)
        for n, outlet_index in enumerate(outlets.tolist()):
            self.scraper(
                self.pick(subscribers), SCRAPER_OUTLETS[outlet_index], f"s{number}-scr{n}", story
            )

    def later(self, moment: datetime, same_day_share: float = 0.6) -> datetime:
        """A moment after ``moment``: the same day (by half an hour or more) or 1–2 days on."""
        if self.chance(same_day_share):
            end_of_day = moment.replace(hour=23, minute=30)
            room = int((end_of_day - moment).total_seconds() // 60)
            if room > 30:
                return moment + timedelta(minutes=int(self.rng.integers(30, room + 1)))
        days = 1 if self.chance(0.8) else 2
        return moment.replace(hour=0, minute=0) + timedelta(
            days=days, minutes=int(self.rng.integers(6 * 60, 22 * 60))
        )

    def subscriber(self, wire: _Article, present: bool, key: str, outlet_index: int) -> _Article:
        name, timed, footer = SUBSCRIBER_OUTLETS[outlet_index]
        blocks = _copy(wire.blocks)
        if self.chance(TRIM_SHARE):
            keep = max(2, int(np.ceil(len(blocks) * self.rng.uniform(0.4, 0.8))))
            blocks = blocks[:keep]
        elif self.chance(DROP_SHARE / (1 - TRIM_SHARE)) and len(blocks) >= 3:
            del blocks[self.between(1, len(blocks) - 1)]
        self.substitute(key, blocks, self.between(*SUBSTITUTIONS))
        if self.chance(STRIKE_CREDIT_SHARE):
            first = blocks[0]
            where = first.words.index("(Reuters)")
            del first.words[where], first.origins[where]
        if self.chance(LOCAL_LEAD_SHARE):
            blocks.insert(0, self.lead_sentence())
        if footer:
            blocks.append(_debris_block(f"© 2016 {name}. All rights reserved.", "footer"))
        return self.add(
            _Article(
                key,
                "subscriber",
                wire.story,
                name,
                self.later(wire.moment),
                timed,
                wire.title,
                blocks,
                [wire.key] if present else [],
                absent_source=not present,
            )
        )

    def rewriter(
        self, wire: _Article, present: bool, subscribers: list[_Article], key: str, outlet: int
    ) -> None:
        name, timed = REWRITER_OUTLETS[outlet]
        first = wire if self.chance(0.6) else self.pick(subscribers)
        chosen = [first]
        if self.chance(REWRITER_TWO_SOURCES_SHARE):
            chosen.append(self.pick([c for c in (wire, *subscribers) if c is not first]))
        blocks = [self.own_paragraph() for _ in range(self.between(*REWRITER_OWN_PARAGRAPHS))]
        taken: set = set()
        used = []
        for source in chosen:
            body = [b for b in source.blocks if b.kind == "body"]
            count = min(self.between(*REWRITER_PARAGRAPHS), len(body))
            start = self.between(0, len(body) - count)
            # a paragraph the other source already gave (the same wire words) is not taken twice
            piece = [b for b in _copy(body[start : start + count]) if not taken & set(b.origins)]
            if not piece:
                continue
            for block in piece:
                taken |= set(block.origins)
            if self.chance(0.5):
                self.substitute(key, piece, 1)
            where = self.between(1, len(blocks))
            blocks[where:where] = piece
            used.append(source)
        if self.chance(REWRITER_CREDIT_SHARE):
            blocks.append(_own_block("Reuters contributed to this report.", ("o", key, "credit")))
        self.add(
            _Article(
                key,
                "rewriter",
                wire.story,
                name,
                self.later(max(s.moment for s in used), same_day_share=0.4),
                timed,
                self.pick(self.basil_pool).title or wire.title,
                blocks,
                [s.key for s in used if s is not wire or present],
                absent_source=not present and any(s is wire for s in used),
            )
        )

    def scraper_furniture(
        self, outlet: ScraperOutlet, body: list[_Block], tags: Sequence[str]
    ) -> list[_Block]:
        """The body with teasers between its paragraphs, a flat copy, tags, share buttons, a
        newsletter line and the comment form."""
        blocks = _copy(body)
        gaps = list(range(1, len(blocks)))
        count = min(self.between(*TEASERS), len(gaps))
        for where in sorted(self.rng.choice(gaps, count, replace=False).tolist(), reverse=True):
            headline = self.pick(self.headlines)
            blocks.insert(where, _debris_block(f"{outlet.teaser} {headline}", "teaser"))
        if self.chance(FLAT_COPY_SHARE):
            words = [w for b in body for w in b.words]
            origins = [o for b in body for o in b.origins]
            flat = _Block(words, origins, "flat-copy")
            if self.chance(0.5):
                blocks.insert(0, flat)
            else:
                blocks.append(flat)
        if tags:
            blocks.append(_debris_block("Tags: " + ", ".join(tags), "tags"))
        for k, line in enumerate(outlet.share):
            blocks.append(_debris_block(line, "share", "\n\n" if k == 0 else "\n"))
        blocks.append(_debris_block(outlet.newsletter, "newsletter"))
        for k, line in enumerate(outlet.comments):
            blocks.append(_debris_block(line, "comments", "\n\n" if k == 0 else "\n"))
        return blocks

    def scraper(self, source: _Article, outlet: ScraperOutlet, key: str, story: WireStory) -> None:
        body = [b for b in source.blocks if not b.debris]
        blocks = self.scraper_furniture(outlet, body, story.tags)
        self.add(
            _Article(
                key,
                "scraper",
                source.story,
                outlet.name,
                self.later(source.moment, 0.5),
                outlet.timed,
                source.title,
                blocks,
                [source.key],
            )
        )

    def control(self, number: int) -> None:
        day = FIRST_DAY + timedelta(days=int(self.rng.integers(DAYS)))
        moment = day + timedelta(minutes=int(self.rng.integers(6 * 60, 22 * 60)))
        story = self.next_wire()
        body = [_own_block(p, ("c", number, k), "body") for k, p in enumerate(story.paragraphs)]
        if self.chance(0.6):
            outlet = self.pick(SCRAPER_OUTLETS)
            blocks = self.scraper_furniture(outlet, body, story.tags)
            name, timed = outlet.name, outlet.timed
        else:
            name, timed, footer = self.pick(SUBSCRIBER_OUTLETS)
            blocks = body + (
                [_debris_block(f"© 2016 {name}. All rights reserved.", "footer")] if footer else []
            )
        self.add(
            _Article(f"control{number}", "control", -1, name, moment, timed, story.title, blocks)
        )


def generate_network(
    seed: int = 0, split: str = "dev", *, stories: int = STORIES, controls: int | None = None
) -> tuple[list[dict], dict]:
    """A corpus of ``stories`` syndication networks and ``controls`` unrelated articles.

    Parameters
    ----------
    seed : int
        Every draw comes from ``np.random.default_rng([seed, split])``: the same arguments
        give the same corpus on any machine.
    split : {"dev", "test"}
        Which half of Reuters-21578 and of BASIL the texts come from.
    stories : int
        Wire stories (networks); about 7 articles each.
    controls : int, optional
        Unrelated articles with outlet furniture (default: 40 % of ``stories``).

    Returns
    -------
    records : list of dict
        ``{"id", "outlet", "date", "title", "text"}`` sorted by id; ids are opaque.
    truth : dict
        See the module docstring.
    """
    if split not in ("dev", "test"):
        raise ValueError(f"split must be 'dev' or 'test', got {split!r}")
    network = _Network(seed, split)
    for number in range(stories):
        network.story(number)
    for number in range(round(CONTROL_SHARE * stories) if controls is None else controls):
        network.control(number)
    articles = network.articles
    order = network.rng.permutation(len(articles)).tolist()
    for position, index in enumerate(order):
        articles[index].id = f"a{position + 1:05d}"
    for article in articles:
        _render(article)
    records = [
        {"id": a.id, "outlet": a.outlet, "date": a.date, "title": a.title, "text": a.text}
        for a in sorted(articles, key=lambda a: a.id)
    ]
    truth = _truth(articles, seed, split, stories)
    return records, truth


# --- the truth --------------------------------------------------------------------------------


def date_orders(source_date: str, target_date: str) -> bool:
    """Whether printed dates order a pair: different days, or times on both."""
    if source_date[:10] != target_date[:10]:
        return True
    return "T" in source_date and "T" in target_date and source_date != target_date


def _shared_runs(a: _Article, b: _Article) -> list[tuple[int, int, int, int, int]]:
    """Maximal runs of words with the same origins, in the same order and with the same
    spaces between them, outside debris: ``(a_start, a_end, b_start, b_end, words)``, the
    words counted as ``[^\\W_]+`` matches."""
    where = {t[0]: i for i, t in enumerate(a.tokens) if t[0] is not None and not t[3]}
    runs: list[list[int]] = []  # [a_first, a_last, b_first, b_last]
    for j, (origin, _, _, debris) in enumerate(b.tokens):
        i = where.get(origin) if origin is not None and not debris else None
        if i is None:
            continue
        if runs and runs[-1][1] == i - 1 and runs[-1][3] == j - 1:
            gap_a = a.text[a.tokens[i - 1][2] : a.tokens[i][1]]
            gap_b = b.text[b.tokens[j - 1][2] : b.tokens[j][1]]
            if gap_a == gap_b:
                runs[-1][1], runs[-1][3] = i, j
                continue
        runs.append([i, i, j, j])
    out = []
    for i0, i1, j0, j1 in runs:
        start, end = a.tokens[i0][1], a.tokens[i1][2]
        # words as the 8-gram check counts them: "68.98" is two
        words = len(WORD.findall(a.text[start:end]))
        out.append((start, end, b.tokens[j0][1], b.tokens[j1][2], words))
    return out


def _grams(article: _Article) -> dict[str, bool]:
    """Word 8-grams (lower-cased ``[^\\W_]+`` words) of the text → whether one of its words
    lies in debris."""
    spans = sorted((s, e) for s, e, _ in article.debris)
    words = [(m.group().lower(), m.start()) for m in WORD.finditer(article.text.lower())]
    in_debris = [any(s <= start < e for s, e in spans) for _, start in words]
    out: dict[str, bool] = {}
    for k in range(len(words) - GRAM_WORDS + 1):
        gram = " ".join(w for w, _ in words[k : k + GRAM_WORDS])
        out[gram] = out.get(gram, False) or any(in_debris[k : k + GRAM_WORDS])
    return out


def gram_pairs(texts: dict[str, str]) -> set[tuple[str, str]]:
    """Every pair of ids whose texts share a word 8-gram (lower-cased ``[^\\W_]+`` words)."""
    holders: dict[str, set[str]] = collections.defaultdict(set)
    for doc, text in texts.items():
        words = WORD.findall(text.lower())
        for k in range(len(words) - GRAM_WORDS + 1):
            holders[" ".join(words[k : k + GRAM_WORDS])].add(doc)
    groups = {frozenset(docs) for docs in holders.values() if len(docs) > 1}
    return {pair for docs in groups for pair in itertools.combinations(sorted(docs), 2)}


def _truth(articles: list[_Article], seed: int, split: str, stories: int) -> dict:
    by_key = {a.key: a for a in articles}
    ancestors: dict[str, set[str]] = {}

    def ancestors_of(key: str) -> set[str]:
        if key not in ancestors:
            found = set()
            for source in by_key[key].sources:
                found |= {source} | ancestors_of(source)
            ancestors[key] = found
        return ancestors[key]

    edges = []
    for article in articles:
        for source_key in article.sources:
            source = by_key[source_key]
            runs = _shared_runs(source, article)
            for s0, s1, t0, t1, _ in runs:
                assert source.text[s0:s1] == article.text[t0:t1], (source.key, article.key)
            edges.append(
                {
                    "source": source.id,
                    "target": article.id,
                    "kind": f"{source.role}→{article.role}",
                    "date_orders": date_orders(source.date, article.date),
                    "copied_words": sum(r[4] for r in runs),
                    "spans": [
                        {"source_start": s0, "source_end": s1, "target_start": t0, "target_end": t1}
                        for s0, s1, t0, t1, _ in runs
                    ],
                }
            )
    pairs = []
    by_story: dict[int, list[_Article]] = collections.defaultdict(list)
    for article in articles:
        if article.story >= 0:
            by_story[article.story].append(article)
    for members in by_story.values():
        for a, b in itertools.combinations(sorted(members, key=lambda m: m.id), 2):
            runs = _shared_runs(a, b)
            longest = max((r[4] for r in runs), default=0)
            direct = a.key in b.sources or b.key in a.sources
            if longest < SHARED_RUN_WORDS and not direct:
                continue
            if direct:
                relation = "direct"
            elif a.key in ancestors_of(b.key) or b.key in ancestors_of(a.key):
                relation = "ancestor"
            else:
                relation = "sibling"
            pair = {
                "a": a.id,
                "b": b.id,
                "relation": relation,
                "shared_words": sum(r[4] for r in runs if r[4] >= SHARED_RUN_WORDS),
            }
            if relation == "sibling":
                pair["common_source_in_corpus"] = bool(ancestors_of(a.key) & ancestors_of(b.key))
            pairs.append(pair)
    true_pairs = {(p["a"], p["b"]) for p in pairs}

    # a pair sharing an 8-gram that is not a true pair shares boilerplate when the 8-gram
    # touches debris in both, else it is an accident (formulaic wire phrases meeting across
    # a paragraph break that an edit made)
    holders: dict[str, list[tuple[str, bool]]] = collections.defaultdict(list)
    for article in articles:
        for gram, debris in _grams(article).items():
            holders[gram].append((article.id, debris))
    boilerplate, accidental = set(), set()
    seen_groups: set[tuple] = set()
    for held in holders.values():
        if len(held) < 2:
            continue
        group = tuple(sorted(held))
        if group in seen_groups:
            continue
        seen_groups.add(group)
        for (a, debris_a), (b, debris_b) in itertools.combinations(group, 2):
            if a == b or (a, b) in true_pairs:
                continue
            (boilerplate if debris_a and debris_b else accidental).add((a, b))

    return {
        "generator": {
            "script": "benchmarks/syndication.py",
            "seed": seed,
            "split": split,
            "stories": stories,
            "articles": len(articles),
            "shared_run_words": SHARED_RUN_WORDS,
        },
        "articles": {
            a.id: {
                "role": a.role,
                "story": a.story,
                "outlet": a.outlet,
                "date": a.date,
                "sources": sorted(by_key[s].id for s in a.sources),
                "absent_source": a.absent_source,
                "debris": [{"start": s, "end": e, "kind": k} for s, e, k in a.debris],
            }
            for a in sorted(articles, key=lambda a: a.id)
        },
        "edges": sorted(edges, key=lambda e: (e["source"], e["target"])),
        "pairs": pairs,
        "boilerplate_pairs": sorted(boilerplate),
        "accidental_pairs": sorted(accidental),
    }


def write(records: list[dict], truth: dict, folder: Path) -> Path:
    """Write ``corpus.jsonl`` and ``truth.json`` into ``folder``; return the corpus path."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus = folder / "corpus.jsonl"
    with open(corpus, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    (folder / "truth.json").write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")
    return corpus


def load(folder: str | Path) -> tuple[list[dict], dict]:
    """Records and truth as written into ``folder``."""
    folder = Path(folder)
    with open(folder / "corpus.jsonl", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    return records, json.loads((folder / "truth.json").read_text(encoding="utf-8"))
