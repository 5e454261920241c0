"""Alignment through edits: the reference one-pair path and what every aligner shares.

With the words of both documents at hand (their hashes, and their lengths in characters),
exact segments are only the seeds of a word-level local alignment (BLAST-style
seed-and-extend): segments are chained across gaps of up to ``max_bridge`` words when a
global alignment of the words between them loses at most ``max_gap`` points; each chain is
then extended at both ends while the alignment gains; and chains that tile one block of
each document out of order (moved sentences) become one ``REORDERED`` passage.

Scores, per aligned column: equal words +1, near-equal words (one character changed, both
at least NEAR_MIN_CHARS long) 0, other words -1, a word of one document facing nothing in
the other -1. A stretch of k changed or added words thus loses k points, the cost the
exact aligner charged for a gap of k words, and words still equal inside the stretch pay
for the edits around them. Near-equal words score 0, not +1: numbers one digit apart
("1986", "1987") are common in unrelated wire copy and should not hold a passage together.

Which passages exist is still decided by the exact runs (min_words words in segments, as
the exact aligner requires): the alignment changes where a passage starts and ends and
what is one passage, not whether two texts share one. It also drops a chain too short to
be kept on its own that lies half inside a stronger one in either document (a phrase
aligned to a second place), so a repeat does not cut or "reorder" the passage around it.

:mod:`dedup.edit_kernels` compiles the same steps for many pairs; :mod:`dedup.align` calls
either.
"""

from __future__ import annotations

import itertools

import numpy as np

#: Columns of the passage arrays every aligner returns (:func:`dedup.align.align_shingles`).
A_LO, A_HI, B_LO, B_HI, MATCHED_A, MATCHED_B = range(6)

#: Columns of the edit arrays (``return_edits=True``): the passage's kind, then its words
#: aligned to a different word (near-equal ones included), words of ``b`` facing nothing in
#: ``a``, words of ``a`` facing nothing in ``b``, near-equal words, and the pieces (runs in
#: order in both documents) it is made of.
KIND, SUBSTITUTED, INSERTED, DELETED, NEAR_MATCHED, PIECES = range(6)
#: Values of the ``KIND`` column: every word equal and in order; in order with edits; made
#: of pieces in a different order in the two documents.
EXACT, EDITED, REORDERED = 0, 1, 2

#: Words this long (in characters of the original text) or longer can be near-equal.
NEAR_MIN_CHARS = 4
#: Most pieces a reordered passage is looked for among.
MAX_PIECES = 64

_MATCH, _NEAR, _MISMATCH, _INDEL = 1, 0, -1, -1
_DIAG, _UP, _LEFT = 1, 2, 3  # traceback: both words, a word of a alone, a word of b alone
# statistics of an alignment path, in this order
_EXACT_W, _NEAR_W, _SUB_W, _DEL_W, _INS_W, _SEED_W = range(6)  # _SEED_W: in exact segments
_NEG = -(1 << 40)
_CODE_LIMIT = 1 << 21  # above every Unicode code point: the largest change of one character
_MASK64 = (1 << 64) - 1


def _inverse_keys(n: int = 64) -> np.ndarray:
    """Inverses mod 2**64 of the per-rank character keys of :func:`dedup.shingle.tokenize`
    (odd numbers, so invertible), by Newton's iteration.

    The keys are those of :func:`dedup.shingle.token_hash_of`, made in plain Python: the
    kernel that makes them for the tokenizer would load numba's compiler on import.
    """
    # the word hash's own keys: near words test against them
    from dedup.shingle import _CHAR_MUL, _RANK_MUL, _mix_int

    inverses = []
    for rank in range(n):
        key = _mix_int((rank * int(_RANK_MUL) + int(_CHAR_MUL)) & _MASK64) | 1
        inverse = key
        for _ in range(6):
            inverse = (inverse * (2 - key * inverse)) & _MASK64
        inverses.append(inverse)
    return np.array(inverses, dtype=np.uint64)


_INVERSE_KEYS = _inverse_keys()


def _unmix_int(z: int) -> int:
    """Inverse of SplitMix64's finaliser (``dedup.shingle.mix64``) on a Python int."""
    from dedup.shingle import _M1, _M2

    inv_m1, inv_m2 = pow(int(_M1), -1, 1 << 64), pow(int(_M2), -1, 1 << 64)
    z ^= (z >> 31) ^ (z >> 62)
    z = (z * inv_m2) & _MASK64
    z ^= (z >> 27) ^ (z >> 54)
    z = (z * inv_m1) & _MASK64
    return z ^ (z >> 30) ^ (z >> 60)


def near_words(hash_a: int, hash_b: int, chars: int) -> bool:
    """Whether two different words, given by their hashes, differ in exactly one character.

    A word's hash (:func:`dedup.shingle.token_hash_of`) mixes ``sum((code + 1) * key[rank])
    + length * L`` with an invertible mix; unmixed, two words of one length that differ only
    at rank ``r`` differ by ``(code_a - code_b) * key[r]``, so multiplying the difference by
    the inverse of ``key[r]`` gives a number smaller than any code point for that ``r``
    (and, for other words, such a small number once in about 2**42 tries). Ranks up to
    ``chars + 1`` are tried. Changes of length (a dropped or doubled letter, "rn" for "m")
    are not seen: those words count as different.
    """
    difference = (_unmix_int(int(hash_a)) - _unmix_int(int(hash_b))) & _MASK64
    for inverse in _INVERSE_KEYS[: min(chars + 2, len(_INVERSE_KEYS))].tolist():
        change = (difference * inverse) & _MASK64
        if change < _CODE_LIMIT or change > _MASK64 - _CODE_LIMIT:
            return difference != 0
    return False


def _score_reference(words_a, words_b, chars_a, chars_b, i: int, j: int) -> int:
    if words_a[i] == words_b[j]:
        return _MATCH
    if min(chars_a[i], chars_b[j]) >= NEAR_MIN_CHARS and near_words(
        words_a[i], words_b[j], max(chars_a[i], chars_b[j])
    ):
        return _NEAR
    return _MISMATCH


def _path_stats(trace, score, i: int, j: int) -> list[int]:
    """Counts ``[exact, near, substituted, a alone, b alone]`` of the path ending at
    ``(i, j)`` of a traceback table (``score(i, j)`` of the word pair of cell ``(i, j)``)."""
    stats = [0] * 6
    while i > 0 or j > 0:
        move = trace[i][j]
        if move == _DIAG:
            stats[{_MATCH: _EXACT_W, _NEAR: _NEAR_W, _MISMATCH: _SUB_W}[score(i, j)]] += 1
            i, j = i - 1, j - 1
        elif move == _UP:
            stats[_DEL_W] += 1
            i -= 1
        else:
            stats[_INS_W] += 1
            j -= 1
    return stats


def _best_move(diag: int, up: int, left: int) -> tuple[int, int]:
    """The best of the three moves into a cell, ties going to the diagonal, then up."""
    if diag >= up and diag >= left:
        return diag, _DIAG
    if up >= left:
        return up, _UP
    return left, _LEFT


def fill_gap_reference(words_a, words_b, chars_a, chars_b, a_lo, a_hi, b_lo, b_hi):
    """Global alignment of words ``a_lo:a_hi`` of ``a`` with ``b_lo:b_hi`` of ``b`` (the
    stretch between two exact segments): its score and ``[exact, near, substituted, a alone,
    b alone]`` words along the best path. Plain dynamic programming over the whole table."""
    n_a, n_b = a_hi - a_lo, b_hi - b_lo

    def score(i, j):
        return _score_reference(words_a, words_b, chars_a, chars_b, a_lo + i - 1, b_lo + j - 1)

    table = [[0] * (n_b + 1) for _ in range(n_a + 1)]
    trace = [[0] * (n_b + 1) for _ in range(n_a + 1)]
    for i in range(n_a + 1):
        for j in range(n_b + 1):
            if i == 0 and j == 0:
                continue
            diag = table[i - 1][j - 1] + score(i, j) if i and j else _NEG
            up = table[i - 1][j] + _INDEL if i else _NEG
            left = table[i][j - 1] + _INDEL if j else _NEG
            table[i][j], trace[i][j] = _best_move(diag, up, left)
    return table[n_a][n_b], _path_stats(trace, score, n_a, n_b)


def extend_reference(words_a, words_b, chars_a, chars_b, a0, b0, reach_a, reach_b, step, max_drop):
    """Best alignment from ``(a0, b0)`` onwards (``step`` 1: words ``a0, a0 + 1, …``;
    ``step`` -1: words ``a0 - 1, a0 - 2, …``), over at most ``reach_a`` and ``reach_b``
    words. Cells scoring more than ``max_drop`` below the best of the rows before them are
    dropped (X-drop). Returns the words taken in each document (0, 0 when nothing gains)
    and the path's statistics."""

    def word(start, k):
        return start + k - 1 if step > 0 else start - k

    def score(i, j):
        return _score_reference(words_a, words_b, chars_a, chars_b, word(a0, i), word(b0, j))

    table = [[_NEG] * (reach_b + 1) for _ in range(reach_a + 1)]
    trace = [[0] * (reach_b + 1) for _ in range(reach_a + 1)]
    best, best_i, best_j = 0, 0, 0
    for i in range(reach_a + 1):
        floor = best - max_drop  # the best of the rows before this one, less the drop
        alive = False
        for j in range(reach_b + 1):
            if i == 0 and j == 0:
                table[0][0], alive = 0, True
                continue
            diag = up = left = _NEG
            if i and j and table[i - 1][j - 1] > _NEG:
                diag = table[i - 1][j - 1] + score(i, j)
            if i and table[i - 1][j] > _NEG:
                up = table[i - 1][j] + _INDEL
            if j and table[i][j - 1] > _NEG:
                left = table[i][j - 1] + _INDEL
            value, move = _best_move(diag, up, left)
            if value < floor:
                continue
            table[i][j], trace[i][j], alive = value, move, True
        for j in range(reach_b + 1):
            if table[i][j] > best:
                best, best_i, best_j = table[i][j], i, j
        if not alive:
            break
    return best_i, best_j, _path_stats(trace, score, best_i, best_j)


def edited_passages_reference(
    segments: np.ndarray,
    words_a: np.ndarray,
    words_b: np.ndarray,
    chars_a: np.ndarray,
    chars_b: np.ndarray,
    *,
    min_words: int,
    max_gap: int,
    max_bridge: int,
    min_exact_share: float,
    min_fragment_words: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Passages of one pair of different documents through edits, from its exact segments
    (sorted by ``(a_lo, b_lo)``): the plain path of the compiled ``_edit_kernel``.

    Parameters
    ----------
    segments : ndarray of int64, shape (n_segments, 4)
        Exact runs ``[a_lo, a_hi, b_lo, b_hi]`` (:func:`diagonal_segments`).
    words_a, words_b : ndarray of uint64, shape (n_words_a,), (n_words_b,)
        Word hashes (:func:`dedup.shingle.tokenize`).
    chars_a, chars_b : ndarray of int64, same shapes
        Length of each word in characters of its original text.
    min_words, max_gap, max_bridge, min_exact_share, min_fragment_words
        As :func:`align_shingles` (``min_fragment_words`` 0 here by default: no pieces).

    Returns
    -------
    passages : ndarray of int64, shape (n_passages, 6)
        As :func:`align_shingles`; ``MATCHED_A`` and ``MATCHED_B`` are both the words
        aligned to an equal word.
    edits : ndarray of int64, shape (n_passages, 6)
        Columns ``KIND, SUBSTITUTED, INSERTED, DELETED, NEAR_MATCHED, PIECES``.
    """
    words = (words_a, words_b, chars_a, chars_b)
    n_a, n_b = len(words_a), len(words_b)
    # 1. chains: each segment continues the chain whose last segment it follows (within
    # max_bridge words in both) with the best-scoring gap, if that loses at most max_gap
    chains: list[dict] = []
    active: list[int] = []
    for a_lo, a_hi, b_lo, b_hi in segments.tolist():
        best, best_score, best_shift, best_stats, best_trim = -1, 0, 0, None, 0
        still_active = []
        for label in active:
            _, s_a_hi, s_b_lo, s_b_hi = chains[label]["last"]
            if s_a_hi + max_bridge < a_lo:
                continue  # nothing later can join it either
            still_active.append(label)
            if not (a_hi > s_a_hi and b_hi > s_b_hi and b_lo >= s_b_lo):
                continue
            trim = max(0, s_a_hi - a_lo, s_b_hi - b_lo)  # words both segments hold
            gap_a, gap_b = a_lo + trim - s_a_hi, b_lo + trim - s_b_hi
            if gap_a > max_bridge or gap_b > max_bridge:
                continue
            shift = abs(gap_a - gap_b)
            bound = min(gap_a, gap_b) - shift  # every word of the shorter side equal
            if bound < -max_gap or (best >= 0 and bound < best_score):
                continue
            score, stats = fill_gap_reference(*words, s_a_hi, a_lo + trim, s_b_hi, b_lo + trim)
            if score < -max_gap:
                continue
            if best < 0 or score > best_score or (score == best_score and shift < best_shift):
                best, best_score, best_shift, best_stats, best_trim = (
                    label,
                    score,
                    shift,
                    stats,
                    trim,
                )
        active = still_active
        if best < 0:
            active.append(len(chains))
            stats = [a_hi - a_lo, 0, 0, 0, 0, a_hi - a_lo]
            chains.append({"box": [a_lo, a_hi, b_lo, b_hi], "last": [a_lo, a_hi, b_lo, b_hi]})
            chains[-1]["stats"] = stats
            continue
        chain = chains[best]
        assert best_stats is not None  # set with best
        chain["stats"] = [x + y for x, y in zip(chain["stats"], best_stats)]
        chain["stats"][_EXACT_W] += a_hi - a_lo - best_trim
        chain["stats"][_SEED_W] += a_hi - a_lo - best_trim
        chain["last"] = [a_lo + best_trim, a_hi, b_lo + best_trim, b_hi]
        chain["box"][1], chain["box"][3] = a_hi, b_hi
    chains = _drop_shadowed_reference(_drop_nested_reference(chains), min_words)
    # 2. each chain extended at both ends, never into another chain: in each document, up to
    # the nearest chain reaching further that way
    for chain in chains:
        for step in (-1, 1):
            a_lo, a_hi, b_lo, b_hi = chain["box"]
            others = [c["box"] for c in chains if c is not chain]
            if step < 0:
                limit_a = max([0] + [min(o[1], a_lo) for o in others if o[0] < a_lo])
                limit_b = max([0] + [min(o[3], b_lo) for o in others if o[2] < b_lo])
                reach_a, reach_b, start_a, start_b = a_lo - limit_a, b_lo - limit_b, a_lo, b_lo
            else:
                limit_a = min([n_a] + [max(o[0], a_hi) for o in others if o[1] > a_hi])
                limit_b = min([n_b] + [max(o[2], b_hi) for o in others if o[3] > b_hi])
                reach_a, reach_b, start_a, start_b = limit_a - a_hi, limit_b - b_hi, a_hi, b_hi
            while reach_a > 0 and reach_b > 0:
                took_a, took_b, stats = extend_reference(
                    *words,
                    start_a,
                    start_b,
                    min(reach_a, max_bridge),
                    min(reach_b, max_bridge),
                    step,
                    max_gap,
                )
                chain["stats"] = [x + y for x, y in zip(chain["stats"], stats)]
                start_a, start_b = start_a + step * took_a, start_b + step * took_b
                reach_a, reach_b = reach_a - took_a, reach_b - took_b
                if took_a < max_bridge and took_b < max_bridge:
                    break  # it stopped inside the table: nothing further gains
            if step < 0:
                chain["box"][0], chain["box"][2] = start_a, start_b
            else:
                chain["box"][1], chain["box"][3] = start_a, start_b
    chains = _drop_shadowed_reference(_drop_nested_reference(chains), min_words)
    chains.sort(key=lambda c: (c["box"][0], c["box"][2]))
    # 3. runs of chains next to each other in a whose spans in b make one block: a passage
    passages, edits, full = [], [], []
    k = 0
    while k < len(chains):
        last, reach = k, chains[k]["box"][1]
        for e in range(k + 1, min(len(chains), k + MAX_PIECES)):
            if not reach - max_gap <= chains[e]["box"][0] <= reach + max_gap:
                break  # apart in a, or a repeat there (a piece moved is not copied twice)
            reach = max(reach, chains[e]["box"][1])
            if _one_block([c["box"] for c in chains[k : e + 1]], max_gap):
                last = e
        row, edit = _joined_reference(chains[k : last + 1])
        seeds = sum(c["stats"][_SEED_W] for c in chains[k : last + 1])
        k = last + 1
        length = max(row[A_HI] - row[A_LO], row[B_HI] - row[B_LO])
        # as the exact aligner: min_words words in exact runs; the alignment only joins and
        # extends them
        if row[MATCHED_A] >= min_exact_share * length:
            passages.append(row)
            edits.append(edit)
            full.append(seeds >= min_words)
    # 4. the passages of min_words exact words or, with none, the pieces of a heavy revision
    fragments = not any(full) and min_fragment_words > 0
    fragments = fragments and sum(row[MATCHED_A] for row in passages) >= min_fragment_words
    keep = [x for x in range(len(passages)) if full[x] or fragments]
    passages, edits = [passages[x] for x in keep], [edits[x] for x in keep]
    # 5. without the echoes: part of a passage aligned again to a second place
    keep = [x for x in range(len(passages)) if not _echo_reference(passages, x)]
    passages, edits = [passages[x] for x in keep], [edits[x] for x in keep]
    order = sorted(range(len(passages)), key=lambda x: (passages[x][A_LO], passages[x][B_LO]))
    # 6. passages that tile one block of each document out of order, holes and all: one
    # reordered passage
    return _tiled_reference(
        [passages[x] for x in order],
        [edits[x] for x in order],
        max_gap,
        max_bridge,
        min_exact_share,
    )


def _drop_nested_reference(chains: list[dict]) -> list[dict]:
    """Chains without those inside another one in both documents (a phrase the passage
    repeats), the first of equal ones kept."""
    kept = []
    for x, chain in enumerate(chains):
        a_lo, a_hi, b_lo, b_hi = chain["box"]
        inside = False
        for y, other in enumerate(chains):
            o_a_lo, o_a_hi, o_b_lo, o_b_hi = other["box"]
            around = o_a_lo <= a_lo and a_hi <= o_a_hi and o_b_lo <= b_lo and b_hi <= o_b_hi
            if y != x and around and (other["box"] != chain["box"] or y < x):
                inside = True
                break
        if not inside:
            kept.append(chain)
    return kept


def _drop_shadowed_reference(chains: list[dict], min_words: int) -> list[dict]:
    """Chains without the short ones (fewer than ``min_words`` words in exact segments) that
    lie half or more inside a stronger chain (more words copied, or as many and first) in
    one of the documents: the same words aligned to a second place, a stock phrase the
    text repeats, not a piece of its own."""
    kept = []
    for x, chain in enumerate(chains):
        shadowed = False
        if chain["stats"][_SEED_W] < min_words:
            for y, other in enumerate(chains):
                exact, other_exact = chain["stats"][_EXACT_W], other["stats"][_EXACT_W]
                if y == x or other_exact < exact or (other_exact == exact and y > x):
                    continue
                for lo, hi in ((0, 1), (2, 3)):
                    overlap = min(chain["box"][hi], other["box"][hi]) - max(
                        chain["box"][lo], other["box"][lo]
                    )
                    if 2 * overlap >= chain["box"][hi] - chain["box"][lo]:
                        shadowed = True
        if not shadowed:
            kept.append(chain)
    return kept


def _echo_reference(passages: list[list[int]], x: int) -> bool:
    """Whether passage ``x`` is an echo: half or more of its span in one document lies
    inside a passage with more words copied exactly, to which it is aligned elsewhere in
    the other document (a sentence the source repeats further on, or a stock phrase), so
    the same words would be reported twice. A passage that reaches past the other one on
    the same side in both documents continues it (a passage cut in two overlapping pieces
    by a rewritten clause), and is kept."""
    row = passages[x]
    for y, other in enumerate(passages):
        if y == x or other[MATCHED_A] <= row[MATCHED_A]:
            continue
        after = row[A_HI] > other[A_HI] and row[B_HI] > other[B_HI]
        before = row[A_LO] < other[A_LO] and row[B_LO] < other[B_LO]
        if after or before:
            continue
        for lo, hi in ((A_LO, A_HI), (B_LO, B_HI)):
            overlap = min(row[hi], other[hi]) - max(row[lo], other[lo])
            if 2 * overlap >= row[hi] - row[lo]:
                return True
    return False


def _tiles(spans: list[tuple[int, int]], max_overlap: int, max_hole: int) -> bool:
    """Whether these ``[lo, hi)`` spans, sorted, make one block: each starts at most
    ``max_hole`` words after the ones before it end, and overlaps them by at most
    ``max_overlap`` words."""
    spans = sorted(spans)
    reach = spans[0][1]
    for lo, hi in spans[1:]:
        if not reach - max_overlap <= lo <= reach + max_hole:
            return False
        reach = max(reach, hi)
    return True


def _in_order(rows: list[list[int]]) -> bool:
    """Whether rows sorted by their span in ``a`` are in order in ``b`` too."""
    return all(
        later[B_LO] >= earlier[B_LO] and later[B_HI] >= earlier[B_HI]
        for earlier, later in itertools.pairwise(rows)
    )


def _tiled_reference(
    passages: list[list[int]],
    edits: list[list[int]],
    max_gap: int,
    max_bridge: int,
    min_exact_share: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Passages (sorted by ``a``) joined where a run of them, next to each other in ``a``,
    tiles one block of each document out of order, with holes of up to ``max_bridge``
    words (a moved sentence too edited to align) and overlaps of up to ``max_gap``, and
    holds ``min_exact_share`` of its longer span in words copied exactly: one ``REORDERED``
    passage of the words of all. Runs in order are left as they are."""
    rows, kinds = [], []
    k = 0
    while k < len(passages):
        last, reach = k, passages[k][A_HI]
        for e in range(k + 1, min(len(passages), k + MAX_PIECES)):
            if not reach - max_gap <= passages[e][A_LO] <= reach + max_bridge:
                break
            reach = max(reach, passages[e][A_HI])
            run = passages[k : e + 1]
            spans = [(row[B_LO], row[B_HI]) for row in run]
            length = max(
                max(r[A_HI] for r in run) - min(r[A_LO] for r in run),
                max(r[B_HI] for r in run) - min(r[B_LO] for r in run),
            )
            copied = sum(r[MATCHED_A] for r in run) >= min_exact_share * length
            if copied and not _in_order(run) and _tiles(spans, max_gap, max_bridge):
                last = e
        run, run_edits = passages[k : last + 1], edits[k : last + 1]
        k = last + 1
        if len(run) == 1:
            rows.append(run[0])
            kinds.append(run_edits[0])
            continue
        a_lo, a_hi = min(r[A_LO] for r in run), max(r[A_HI] for r in run)
        b_lo, b_hi = min(r[B_LO] for r in run), max(r[B_HI] for r in run)
        matched = min(sum(r[MATCHED_A] for r in run), a_hi - a_lo, b_hi - b_lo)
        rows.append([a_lo, a_hi, b_lo, b_hi, matched, matched])
        edit = [sum(e[c] for e in run_edits) for c in range(6)]
        edit[KIND] = REORDERED
        kinds.append(edit)
    return (
        np.array(rows, dtype=np.int64).reshape(-1, 6),
        np.array(kinds, dtype=np.int64).reshape(-1, 6),
    )


def _one_block(boxes: list[list[int]], max_gap: int) -> bool:
    """Whether the spans in ``b`` of these boxes leave no hole of more than ``max_gap`` and
    overlap by at most ``max_gap`` words."""
    return _tiles([(box[2], box[3]) for box in boxes], max_gap, max_gap)


def _joined_reference(pieces: list[dict]) -> tuple[list[int], list[int]]:
    """A passage row and its edit row from chains in order of ``a``."""
    boxes = [piece["box"] for piece in pieces]
    stats = [sum(piece["stats"][k] for piece in pieces) for k in range(6)]
    in_order = all(
        later[2] >= earlier[2] and later[3] >= earlier[3]
        for earlier, later in itertools.pairwise(boxes)
    )
    if in_order:  # the words between two pieces count as edited
        for earlier, later in itertools.pairwise(boxes):
            gap_a, gap_b = max(0, later[0] - earlier[1]), max(0, later[2] - earlier[3])
            stats[_SUB_W] += min(gap_a, gap_b)
            stats[_DEL_W] += gap_a - min(gap_a, gap_b)
            stats[_INS_W] += gap_b - min(gap_a, gap_b)
    a_lo, a_hi = min(b[0] for b in boxes), max(b[1] for b in boxes)
    b_lo, b_hi = min(b[2] for b in boxes), max(b[3] for b in boxes)
    exact = min(stats[_EXACT_W], a_hi - a_lo, b_hi - b_lo)
    edited = stats[_NEAR_W] + stats[_SUB_W] + stats[_DEL_W] + stats[_INS_W]
    kind = REORDERED if not in_order else EDITED if edited else EXACT
    substituted = stats[_NEAR_W] + stats[_SUB_W]
    row = [a_lo, a_hi, b_lo, b_hi, exact, exact]
    return row, [kind, substituted, stats[_INS_W], stats[_DEL_W], stats[_NEAR_W], len(pieces)]
