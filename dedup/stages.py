"""What the stages share: the clock of a stage, and how arrays are cut into jobs and put back
together.
"""

from __future__ import annotations

import time

import numpy as np


def lap(clock: float) -> tuple[float, float]:
    now = time.perf_counter()
    return now - clock, now


def concat(chunks: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(chunks).astype(dtype, copy=False) if chunks else np.zeros(0, dtype)


def concat_clearing(chunks: list[np.ndarray], dtype: type) -> np.ndarray:
    """:func:`concat` of ``chunks``, which is emptied so the chunks can be freed at once."""
    whole = concat(chunks, dtype)
    chunks.clear()
    return whole


def cut_runs(ends: np.ndarray, size: int) -> list[tuple[int, int]]:
    """Consecutive runs ``[lo, hi)`` of items whose sizes add up to about ``size`` (at least
    one item each); ``ends`` is the running total of the sizes."""
    runs = []
    first, base = 0, 0
    while first < len(ends):
        last = max(first + 1, int(np.searchsorted(ends, base + size, "right")))
        runs.append((first, last))
        first, base = last, int(ends[last - 1])
    return runs
