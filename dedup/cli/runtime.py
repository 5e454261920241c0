"""Settings of the Python runtime a ``dedup`` command makes for its own process (the C
allocator's are in :mod:`dedup.cli.allocator`).

* No garbage collection while a scan runs (:func:`collector_paused`). Python runs its cycle
  collector every 700 new container objects, and each run of the older generations walks
  every object they hold: the hundreds of thousands that importing numba, loading its
  cached kernels and reading the records make. In a 10,000-article scan those runs took
  about 7 % of the CPU time (perf) and found next to nothing: a scan leaves about 1,300
  objects in reference cycles (from the imports) whatever the corpus' size (200, 10,000 or
  30,000 generated articles, in memory or spilled; 1,665 for Reuters-21578), which the
  collector frees when the scan is over.
* One BLAS thread for a scan (:func:`one_blas_thread`): a scan makes no BLAS call, but numba
  imports ``scipy.linalg`` to check for one, and numpy and scipy each start a pool of
  OpenBLAS threads, which spin a while on a core before they sleep.
* No BLAS check at all (:func:`no_blas_check`): numba's array functions load without
  importing ``scipy.linalg`` (about a tenth of a second of CPU at the first kernel;
  :func:`dedup.kernels.skip_blas_check`).

The command owns its process, so only the command line asks for these (a program that
imports ``dedup`` keeps its own settings).
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No run of the cycle collector while it lasts (see the module's docstring); then the
    collector is as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def one_blas_thread() -> bool:
    """Have OpenBLAS start no thread of its own, unless the user said otherwise in the
    environment; returns whether it took (False once numpy is loaded: it reads the
    setting when it loads)."""
    if "numpy" in sys.modules:
        return False
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    return True


def no_blas_check() -> None:
    """Load numba's array functions without looking for scipy's BLAS (no kernel of a scan
    calls it): :func:`dedup.kernels.skip_blas_check`."""
    from dedup.kernels import skip_blas_check

    skip_blas_check()
