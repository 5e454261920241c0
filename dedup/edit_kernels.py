"""Compiled kernels of the alignment through edits (:mod:`dedup.edits` holds the reference
one-pair path they equal, and the scores and columns both use)."""

from __future__ import annotations

import numpy as np

from dedup.edits import (
    _CODE_LIMIT,
    _DEL_W,
    _DIAG,
    _EXACT_W,
    _INDEL,
    _INS_W,
    _LEFT,
    _MASK64,
    _MATCH,
    _MISMATCH,
    _NEAR,
    _NEAR_W,
    _NEG,
    _SEED_W,
    _SUB_W,
    _UP,
    A_HI,
    A_LO,
    B_HI,
    B_LO,
    DELETED,
    EDITED,
    EXACT,
    INSERTED,
    KIND,
    MATCHED_A,
    MATCHED_B,
    MAX_PIECES,
    NEAR_MATCHED,
    NEAR_MIN_CHARS,
    PIECES,
    REORDERED,
    SUBSTITUTED,
)
from dedup.kernels import njit

_INV_M1 = np.uint64(pow(0xBF58476D1CE4E5B9, -1, 1 << 64))
_INV_M2 = np.uint64(pow(0x94D049BB133111EB, -1, 1 << 64))
_U31, _U62, _U27, _U54, _U30, _U60 = (np.uint64(s) for s in (31, 62, 27, 54, 30, 60))
_LOW = np.uint64(_CODE_LIMIT)
_HIGH = np.uint64(_MASK64 - _CODE_LIMIT)


@njit(inline="always")
def _unmix(z):  # pragma: no cover - compiled
    z ^= (z >> _U31) ^ (z >> _U62)
    z *= _INV_M2
    z ^= (z >> _U27) ^ (z >> _U54)
    z *= _INV_M1
    return z ^ (z >> _U30) ^ (z >> _U60)


@njit(cache=True, nogil=True)
def _near_kernel(hash_a, hash_b, chars, inverse_keys):  # pragma: no cover - compiled
    """:func:`near_words`."""
    difference = _unmix(hash_a) - _unmix(hash_b)
    if difference == np.uint64(0):
        return False
    for r in range(min(chars + 2, len(inverse_keys))):
        change = difference * inverse_keys[r]
        if change < _LOW or change > _HIGH:
            return True
    return False


@njit(inline="always")
def _word_score(wa, wb, ca, cb, i, j, inverse_keys):  # pragma: no cover - compiled
    if wa[i] == wb[j]:
        return _MATCH
    if (
        ca[i] >= NEAR_MIN_CHARS
        and cb[j] >= NEAR_MIN_CHARS
        and _near_kernel(wa[i], wb[j], max(ca[i], cb[j]), inverse_keys)
    ):
        return _NEAR
    return _MISMATCH


@njit(inline="always")
def _move(diag, up, left):  # pragma: no cover - compiled
    if diag >= up and diag >= left:
        return diag, _DIAG
    if up >= left:
        return up, _UP
    return left, _LEFT


@njit(cache=True, nogil=True, boundscheck=False)
def _trace_kernel(
    wa, wb, ca, cb, a0, b0, step, i, j, trace, inverse_keys, stats
):  # pragma: no cover
    """Add the statistics of the path ending at cell ``(i, j)`` to ``stats``; word ``k`` of
    the table is ``a0 + k - 1`` (``step`` 1) or ``a0 - k`` (``step`` -1)."""
    while i > 0 or j > 0:
        move = trace[i, j]
        if move == _DIAG:
            wi = a0 + i - 1 if step > 0 else a0 - i
            wj = b0 + j - 1 if step > 0 else b0 - j
            s = _word_score(wa, wb, ca, cb, wi, wj, inverse_keys)
            if s == _MATCH:
                stats[_EXACT_W] += 1
            elif s == _NEAR:
                stats[_NEAR_W] += 1
            else:
                stats[_SUB_W] += 1
            i -= 1
            j -= 1
        elif move == _UP:
            stats[_DEL_W] += 1
            i -= 1
        else:
            stats[_INS_W] += 1
            j -= 1


@njit(cache=True, nogil=True, boundscheck=False)
def _fill_gap_kernel(
    wa, wb, ca, cb, a_lo, a_hi, b_lo, b_hi, inverse_keys, table, trace, stats
):  # pragma: no cover - compiled
    """:func:`fill_gap_reference`: the score; the path's statistics into ``stats``."""
    n_a, n_b = a_hi - a_lo, b_hi - b_lo
    table[0, 0] = 0
    for i in range(n_a + 1):
        for j in range(n_b + 1):
            if i == 0 and j == 0:
                continue
            diag = up = left = _NEG
            if i > 0 and j > 0:
                diag = table[i - 1, j - 1] + _word_score(
                    wa, wb, ca, cb, a_lo + i - 1, b_lo + j - 1, inverse_keys
                )
            if i > 0:
                up = table[i - 1, j] + _INDEL
            if j > 0:
                left = table[i, j - 1] + _INDEL
            table[i, j], trace[i, j] = _move(diag, up, left)
    stats[:] = 0
    _trace_kernel(wa, wb, ca, cb, a_lo, b_lo, 1, n_a, n_b, trace, inverse_keys, stats)
    return table[n_a, n_b]


@njit(cache=True, nogil=True, boundscheck=False)
def _extend_kernel(
    wa, wb, ca, cb, a0, b0, reach_a, reach_b, step, max_drop, inverse_keys, table, trace, stats
):  # pragma: no cover - compiled
    """:func:`extend_reference`: words taken in ``a`` and ``b``; the path's statistics are
    added to ``stats``."""
    best, best_i, best_j = 0, 0, 0
    for i in range(reach_a + 1):
        floor = best - max_drop
        alive = False
        for j in range(reach_b + 1):
            if i == 0 and j == 0:
                table[0, 0] = 0
                alive = True
                continue
            diag = up = left = _NEG
            if i > 0 and j > 0 and table[i - 1, j - 1] > _NEG:
                wi = a0 + i - 1 if step > 0 else a0 - i
                wj = b0 + j - 1 if step > 0 else b0 - j
                diag = table[i - 1, j - 1] + _word_score(wa, wb, ca, cb, wi, wj, inverse_keys)
            if i > 0 and table[i - 1, j] > _NEG:
                up = table[i - 1, j] + _INDEL
            if j > 0 and table[i, j - 1] > _NEG:
                left = table[i, j - 1] + _INDEL
            value, move = _move(diag, up, left)
            if value < floor:
                table[i, j] = _NEG
                continue
            table[i, j] = value
            trace[i, j] = move
            alive = True
        for j in range(reach_b + 1):
            if table[i, j] > best:
                best, best_i, best_j = table[i, j], i, j
        if not alive:
            break
    _trace_kernel(wa, wb, ca, cb, a0, b0, step, best_i, best_j, trace, inverse_keys, stats)
    return best_i, best_j


@njit(cache=True, nogil=True, boundscheck=False)
def _drop_nested_kernel(boxes, kept):  # pragma: no cover - compiled
    """:func:`_drop_nested_reference` over the chains ``kept`` (indices into ``boxes``)."""
    out = np.empty(len(kept), dtype=np.int64)
    n = 0
    for x in range(len(kept)):
        c = kept[x]
        inside = False
        for y in range(len(kept)):
            o = kept[y]
            if y == x:
                continue
            if (
                boxes[o, 0] <= boxes[c, 0]
                and boxes[c, 1] <= boxes[o, 1]
                and boxes[o, 2] <= boxes[c, 2]
                and boxes[c, 3] <= boxes[o, 3]
            ):
                same = (
                    boxes[o, 0] == boxes[c, 0]
                    and boxes[o, 1] == boxes[c, 1]
                    and boxes[o, 2] == boxes[c, 2]
                    and boxes[o, 3] == boxes[c, 3]
                )
                if not same or y < x:
                    inside = True
                    break
        if not inside:
            out[n] = c
            n += 1
    return out[:n]


@njit(cache=True, nogil=True, boundscheck=False)
def _edit_kernel(
    segments, wa, wb, ca, cb, min_words, max_gap, max_bridge, min_share, min_fragment,
    inverse_keys, table, trace,
):  # fmt: skip  # pragma: no cover - compiled
    """:func:`edited_passages_reference` of one pair."""
    n = len(segments)
    n_a, n_b = len(wa), len(wb)
    boxes = np.empty((n, 4), dtype=np.int64)
    last = np.empty((n, 4), dtype=np.int64)
    stats = np.zeros((n, 6), dtype=np.int64)
    active = np.empty(n, dtype=np.int64)
    gap_stats = np.zeros(6, dtype=np.int64)
    best_stats = np.zeros(6, dtype=np.int64)
    n_chains = n_active = 0
    for t in range(n):
        a_lo, a_hi, b_lo, b_hi = segments[t, 0], segments[t, 1], segments[t, 2], segments[t, 3]
        best, best_score, best_shift, best_trim = -1, 0, 0, 0
        kept = 0
        for u in range(n_active):
            label = active[u]
            s_a_hi, s_b_lo, s_b_hi = last[label, 1], last[label, 2], last[label, 3]
            if s_a_hi + max_bridge < a_lo:
                continue
            active[kept] = label
            kept += 1
            if not (a_hi > s_a_hi and b_hi > s_b_hi and b_lo >= s_b_lo):
                continue
            trim = max(0, s_a_hi - a_lo, s_b_hi - b_lo)
            gap_a, gap_b = a_lo + trim - s_a_hi, b_lo + trim - s_b_hi
            if gap_a > max_bridge or gap_b > max_bridge:
                continue
            shift = abs(gap_a - gap_b)
            bound = min(gap_a, gap_b) - shift
            if bound < -max_gap or (best >= 0 and bound < best_score):
                continue
            score = _fill_gap_kernel(
                wa, wb, ca, cb, s_a_hi, a_lo + trim, s_b_hi, b_lo + trim,
                inverse_keys, table, trace, gap_stats,
            )  # fmt: skip
            if score < -max_gap:
                continue
            if best < 0 or score > best_score or (score == best_score and shift < best_shift):
                best, best_score, best_shift, best_trim = label, score, shift, trim
                best_stats[:] = gap_stats
        n_active = kept
        if best < 0:
            boxes[n_chains, 0], boxes[n_chains, 1] = a_lo, a_hi
            boxes[n_chains, 2], boxes[n_chains, 3] = b_lo, b_hi
            last[n_chains] = boxes[n_chains]
            stats[n_chains, _EXACT_W] = a_hi - a_lo
            stats[n_chains, _SEED_W] = a_hi - a_lo
            active[n_active] = n_chains
            n_active += 1
            n_chains += 1
            continue
        stats[best] += best_stats
        stats[best, _EXACT_W] += a_hi - a_lo - best_trim
        stats[best, _SEED_W] += a_hi - a_lo - best_trim
        last[best, 0], last[best, 1] = a_lo + best_trim, a_hi
        last[best, 2], last[best, 3] = b_lo + best_trim, b_hi
        boxes[best, 1], boxes[best, 3] = a_hi, b_hi
    chains = _drop_shadowed_kernel(
        boxes, stats, _drop_nested_kernel(boxes, np.arange(n_chains)), min_words
    )
    # each chain extended at both ends, never into another chain
    for x in range(len(chains)):
        c = chains[x]
        for step in (-1, 1):
            if step < 0:
                limit_a, limit_b = 0, 0
                for y in range(len(chains)):
                    o = chains[y]
                    if o != c and boxes[o, 0] < boxes[c, 0]:
                        limit_a = max(limit_a, min(boxes[o, 1], boxes[c, 0]))
                    if o != c and boxes[o, 2] < boxes[c, 2]:
                        limit_b = max(limit_b, min(boxes[o, 3], boxes[c, 2]))
                start_a, start_b = boxes[c, 0], boxes[c, 2]
                reach_a, reach_b = start_a - limit_a, start_b - limit_b
            else:
                limit_a, limit_b = n_a, n_b
                for y in range(len(chains)):
                    o = chains[y]
                    if o != c and boxes[o, 1] > boxes[c, 1]:
                        limit_a = min(limit_a, max(boxes[o, 0], boxes[c, 1]))
                    if o != c and boxes[o, 3] > boxes[c, 3]:
                        limit_b = min(limit_b, max(boxes[o, 2], boxes[c, 3]))
                start_a, start_b = boxes[c, 1], boxes[c, 3]
                reach_a, reach_b = limit_a - start_a, limit_b - start_b
            while reach_a > 0 and reach_b > 0:
                took_a, took_b = _extend_kernel(
                    wa, wb, ca, cb, start_a, start_b,
                    min(reach_a, max_bridge), min(reach_b, max_bridge), step, max_gap,
                    inverse_keys, table, trace, stats[c],
                )  # fmt: skip
                start_a += step * took_a
                start_b += step * took_b
                reach_a -= took_a
                reach_b -= took_b
                if took_a < max_bridge and took_b < max_bridge:
                    break
            if step < 0:
                boxes[c, 0], boxes[c, 2] = start_a, start_b
            else:
                boxes[c, 1], boxes[c, 3] = start_a, start_b
    chains = _drop_shadowed_kernel(boxes, stats, _drop_nested_kernel(boxes, chains), min_words)
    span = max(n_b, 1) + 1
    chains = chains[np.argsort(boxes[chains, 0] * span + boxes[chains, 2], kind="mergesort")]
    # runs of chains next to each other in a whose spans in b make one block: a passage
    m = len(chains)
    passages = np.zeros((m, 6), dtype=np.int64)
    edits = np.zeros((m, 6), dtype=np.int64)
    full = np.zeros(m, dtype=np.bool_)
    n_out = 0
    b_spans = np.empty((MAX_PIECES, 2), dtype=np.int64)
    k = 0
    while k < m:
        group_end, reach = k, boxes[chains[k], 1]
        for e in range(k + 1, min(m, k + MAX_PIECES)):
            if not reach - max_gap <= boxes[chains[e], 0] <= reach + max_gap:
                break
            reach = max(reach, boxes[chains[e], 1])
            count = e - k + 1
            for q in range(count):
                b_spans[q, 0] = boxes[chains[k + q], 2]
                b_spans[q, 1] = boxes[chains[k + q], 3]
            if _tiles_kernel(b_spans[:count], max_gap, max_gap):  # _one_block
                group_end = e
        row = passages[n_out]
        edit = edits[n_out]
        _joined_kernel(boxes, stats, chains[k : group_end + 1], row, edit)
        seeds = 0
        for q in range(k, group_end + 1):
            seeds += stats[chains[q], _SEED_W]
        k = group_end + 1
        length = max(row[A_HI] - row[A_LO], row[B_HI] - row[B_LO])
        if row[MATCHED_A] >= min_share * length:
            full[n_out] = seeds >= min_words
            n_out += 1
    # the passages of min_words exact words or, with none, the pieces of a heavy revision
    keep = full[:n_out]
    if not keep.any() and min_fragment > 0 and passages[:n_out, MATCHED_A].sum() >= min_fragment:
        keep = np.ones(n_out, dtype=np.bool_)
    passages, edits = passages[:n_out][keep], edits[:n_out][keep]
    keep = ~_echoes_kernel(passages)
    passages, edits = passages[keep], edits[keep]
    order = np.argsort(passages[:, A_LO] * span + passages[:, B_LO], kind="mergesort")
    return _tiled_kernel(passages[order], edits[order], max_gap, max_bridge, min_share)


@njit(cache=True, nogil=True, boundscheck=False)
def _tiles_kernel(spans, max_overlap, max_hole):  # pragma: no cover - compiled
    """:func:`_tiles` of ``[lo, hi]`` rows."""
    order = np.argsort(spans[:, 0] * (spans[:, 1].max() + 1) + spans[:, 1], kind="mergesort")
    reach = spans[order[0], 1]
    for q in range(1, len(order)):
        lo, hi = spans[order[q], 0], spans[order[q], 1]
        if not reach - max_overlap <= lo <= reach + max_hole:
            return False
        reach = max(reach, hi)
    return True


@njit(cache=True, nogil=True, boundscheck=False)
def _tiled_kernel(passages, edits, max_gap, max_bridge, min_share):  # pragma: no cover - compiled
    """:func:`_tiled_reference`."""
    m = len(passages)
    rows = np.zeros((m, 6), dtype=np.int64)
    kinds = np.zeros((m, 6), dtype=np.int64)
    n_out = 0
    k = 0
    while k < m:
        last, reach = k, passages[k, A_HI]
        for e in range(k + 1, min(m, k + MAX_PIECES)):
            if not reach - max_gap <= passages[e, A_LO] <= reach + max_bridge:
                break
            reach = max(reach, passages[e, A_HI])
            in_order = True
            a_lo, a_hi = passages[k, A_LO], passages[k, A_HI]
            b_lo, b_hi = passages[k, B_LO], passages[k, B_HI]
            matched = passages[k, MATCHED_A]
            for q in range(k + 1, e + 1):
                a_lo, a_hi = min(a_lo, passages[q, A_LO]), max(a_hi, passages[q, A_HI])
                b_lo, b_hi = min(b_lo, passages[q, B_LO]), max(b_hi, passages[q, B_HI])
                matched += passages[q, MATCHED_A]
                if passages[q, B_LO] < passages[q - 1, B_LO] or (
                    passages[q, B_HI] < passages[q - 1, B_HI]
                ):
                    in_order = False
            copied = matched >= min_share * max(a_hi - a_lo, b_hi - b_lo)
            if (
                copied
                and not in_order
                and _tiles_kernel(passages[k : e + 1, B_LO : B_HI + 1], max_gap, max_bridge)
            ):
                last = e
        if last == k:
            rows[n_out] = passages[k]
            kinds[n_out] = edits[k]
        else:
            a_lo, a_hi = passages[k, A_LO], passages[k, A_HI]
            b_lo, b_hi = passages[k, B_LO], passages[k, B_HI]
            matched = 0
            for q in range(k, last + 1):
                a_lo, a_hi = min(a_lo, passages[q, A_LO]), max(a_hi, passages[q, A_HI])
                b_lo, b_hi = min(b_lo, passages[q, B_LO]), max(b_hi, passages[q, B_HI])
                matched += passages[q, MATCHED_A]
                kinds[n_out] += edits[q]
            matched = min(matched, a_hi - a_lo, b_hi - b_lo)
            rows[n_out, A_LO], rows[n_out, A_HI] = a_lo, a_hi
            rows[n_out, B_LO], rows[n_out, B_HI] = b_lo, b_hi
            rows[n_out, MATCHED_A], rows[n_out, MATCHED_B] = matched, matched
            kinds[n_out, KIND] = REORDERED
        n_out += 1
        k = last + 1
    return rows[:n_out].copy(), kinds[:n_out].copy()


@njit(cache=True, nogil=True, boundscheck=False)
def _echoes_kernel(passages):  # pragma: no cover - compiled
    """:func:`_echo_reference` of every passage."""
    n = len(passages)
    echo = np.zeros(n, dtype=np.bool_)
    for x in range(n):
        for y in range(n):
            if y == x or passages[y, MATCHED_A] <= passages[x, MATCHED_A]:
                continue
            after = passages[x, A_HI] > passages[y, A_HI] and passages[x, B_HI] > passages[y, B_HI]
            before = passages[x, A_LO] < passages[y, A_LO] and passages[x, B_LO] < passages[y, B_LO]
            if after or before:
                continue
            for lo in (A_LO, B_LO):
                hi = lo + 1
                overlap = min(passages[x, hi], passages[y, hi]) - max(
                    passages[x, lo], passages[y, lo]
                )
                if 2 * overlap >= passages[x, hi] - passages[x, lo]:
                    echo[x] = True
    return echo


@njit(cache=True, nogil=True, boundscheck=False)
def _drop_shadowed_kernel(boxes, stats, kept, min_words):  # pragma: no cover - compiled
    """:func:`_drop_shadowed_reference` over the chains ``kept``."""
    out = np.empty(len(kept), dtype=np.int64)
    n = 0
    for x in range(len(kept)):
        c = kept[x]
        shadowed = False
        if stats[c, _SEED_W] < min_words:
            for y in range(len(kept)):
                o = kept[y]
                exact, other_exact = stats[c, _EXACT_W], stats[o, _EXACT_W]
                if y == x or other_exact < exact or (other_exact == exact and y > x):
                    continue
                for lo in (0, 2):
                    overlap = min(boxes[c, lo + 1], boxes[o, lo + 1]) - max(
                        boxes[c, lo], boxes[o, lo]
                    )
                    if 2 * overlap >= boxes[c, lo + 1] - boxes[c, lo]:
                        shadowed = True
        if not shadowed:
            out[n] = c
            n += 1
    return out[:n]


@njit(cache=True, nogil=True, boundscheck=False)
def _joined_kernel(boxes, stats, pieces, row, edit):  # pragma: no cover - compiled
    """:func:`_joined_reference` into ``row`` and ``edit``."""
    total = np.zeros(6, dtype=np.int64)
    in_order = True
    for q in range(len(pieces)):
        total += stats[pieces[q]]
        if q > 0:
            earlier, later = pieces[q - 1], pieces[q]
            if not (boxes[later, 2] >= boxes[earlier, 2] and boxes[later, 3] >= boxes[earlier, 3]):
                in_order = False
    if in_order:
        for q in range(1, len(pieces)):
            earlier, later = pieces[q - 1], pieces[q]
            gap_a = max(0, boxes[later, 0] - boxes[earlier, 1])
            gap_b = max(0, boxes[later, 2] - boxes[earlier, 3])
            both = min(gap_a, gap_b)
            total[_SUB_W] += both
            total[_DEL_W] += gap_a - both
            total[_INS_W] += gap_b - both
    a_lo, a_hi = boxes[pieces[0], 0], boxes[pieces[0], 1]
    b_lo, b_hi = boxes[pieces[0], 2], boxes[pieces[0], 3]
    for q in range(1, len(pieces)):
        a_lo, a_hi = min(a_lo, boxes[pieces[q], 0]), max(a_hi, boxes[pieces[q], 1])
        b_lo, b_hi = min(b_lo, boxes[pieces[q], 2]), max(b_hi, boxes[pieces[q], 3])
    exact = min(total[_EXACT_W], a_hi - a_lo, b_hi - b_lo)
    edited = total[_NEAR_W] + total[_SUB_W] + total[_DEL_W] + total[_INS_W]
    row[A_LO], row[A_HI], row[B_LO], row[B_HI] = a_lo, a_hi, b_lo, b_hi
    row[MATCHED_A], row[MATCHED_B] = exact, exact
    if not in_order:
        edit[KIND] = REORDERED
    elif edited > 0:
        edit[KIND] = EDITED
    else:
        edit[KIND] = EXACT
    edit[SUBSTITUTED] = total[_NEAR_W] + total[_SUB_W]
    edit[INSERTED] = total[_INS_W]
    edit[DELETED] = total[_DEL_W]
    edit[NEAR_MATCHED] = total[_NEAR_W]
    edit[PIECES] = len(pieces)
