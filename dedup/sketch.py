"""MinHash signatures of whole documents, computed in numpy over batches.

The permutations are datasketch's ``"affine32"`` scheme (its default since 2.0): the low 32
bits of each shingle hash are mixed once with the MurmurHash3 32-bit finaliser, then
permutation ``k`` maps ``h`` to ``a_k * h + b_k mod 2**32`` with ``a_k`` odd, and ``a``/``b``
are drawn from ``numpy.random.RandomState(seed)`` exactly as datasketch draws them. A
signature here is therefore bit-for-bit the ``hashvalues`` of
``datasketch.MinHash(num_perm, seed, hashfunc=int)`` updated with the same 32-bit shingle
values, and :func:`to_datasketch` hands signatures to users who already hold a datasketch
index.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from dedup.kernels import njit

EMPTY = np.uint32(0xFFFFFFFF)  # datasketch's value for a permutation that saw nothing
SCHEME = "affine32"


@lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(a, b)``, each ndarray of uint32 of shape (num_perm,), as datasketch draws them."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint64).astype(np.uint32)
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


def fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser (as datasketch applies it), on a copy."""
    h = np.array(values, dtype=np.uint32, copy=True)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def shingle_values(shingles: np.ndarray) -> np.ndarray:
    """The 32-bit values MinHash sees: the low half of each 64-bit shingle hash.

    These are what a datasketch ``MinHash(hashfunc=int)`` must be updated with to reproduce
    a signature.
    """
    return (np.asarray(shingles, dtype=np.uint64) & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def compute_signatures(
    shingles: np.ndarray, shingle_ptr: np.ndarray, num_perm: int, seed: int
) -> np.ndarray:
    """MinHash signature of every document.

    Parameters
    ----------
    shingles : ndarray of uint64, shape (n_shingles,)
    shingle_ptr : ndarray of int64, shape (n_docs + 1,)
    num_perm, seed : int

    Returns
    -------
    signatures : ndarray of uint32, shape (n_docs, num_perm)
        ``EMPTY`` in every column of a document with no shingle.
    """
    shingles = np.ascontiguousarray(shingles, dtype=np.uint64)
    shingle_ptr = np.ascontiguousarray(shingle_ptr, dtype=np.int64)
    a, b = permutations(num_perm, seed)
    signatures = np.empty((len(shingle_ptr) - 1, num_perm), dtype=np.uint32)
    _signature_kernel(shingles, shingle_ptr, a, b, signatures)
    return signatures


@njit(cache=True, nogil=True, boundscheck=False)
def _signature_kernel(shingles, shingle_ptr, a, b, out):  # pragma: no cover - compiled
    """Row ``d`` of ``out``: the minimum over document ``d``'s shingles of each permutation
    of their :func:`fmix32`-mixed low 32 bits (the loop over permutations vectorises)."""
    low = np.uint64(0xFFFFFFFF)
    for d in range(len(shingle_ptr) - 1):
        row = out[d]
        row[:] = EMPTY
        for i in range(shingle_ptr[d], shingle_ptr[d + 1]):
            # fmix32 in 64-bit arithmetic, masked: numba widens uint32 products
            h = shingles[i] & low
            h ^= h >> np.uint64(16)
            h = (h * np.uint64(0x85EBCA6B)) & low
            h ^= h >> np.uint64(13)
            h = (h * np.uint64(0xC2B2AE35)) & low
            h ^= h >> np.uint64(16)
            value = np.uint32(h)
            for k in range(len(a)):
                permuted = np.uint32(np.uint32(a[k] * value) + b[k])
                if permuted < row[k]:
                    row[k] = permuted


def estimate_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """MinHash estimate of the Jaccard similarity of two documents' shingle sets."""
    sig_a = np.asarray(sig_a)
    sig_b = np.asarray(sig_b)
    if sig_a.shape != sig_b.shape:
        raise ValueError(f"signatures of different lengths: {sig_a.shape} and {sig_b.shape}")
    return float(np.count_nonzero(sig_a == sig_b)) / sig_a.shape[-1]


def to_datasketch(signatures: np.ndarray, seed: int) -> list:
    """Signatures as ``datasketch.LeanMinHash`` objects (scheme ``"affine32"``).

    Parameters
    ----------
    signatures : ndarray of uint32, shape (n_docs, num_perm)
    seed : int
        The seed the signatures were computed with (``Config.seed``).
    """
    from datasketch import LeanMinHash

    return [
        LeanMinHash(seed=seed, hashvalues=row, scheme=SCHEME)
        for row in np.asarray(signatures, dtype=np.uint32)
    ]
