"""Settings of the Python runtime a ``dedup`` command makes for its own process (the C
allocator's are in :mod:`dedup.cli.allocator`).

* Fewer garbage collections (:func:`fewer_collections`). Python runs its cycle collector
  every 700 new container objects, and each run of the older generations walks every
  object they hold: the hundreds of thousands that importing numba, loading its cached
  kernels and reading the records make. A scan's data are numpy arrays and strings, which
  the collector does not track, so its runs find next to nothing; in a 10,000-article scan
  they took about 7 % of the CPU time (perf). The objects made before the command's work
  starts (the imports) are frozen out of the collector's reach, and it runs every
  ``COLLECT_EVERY`` new objects.
* One BLAS thread for a scan (:func:`one_blas_thread`): a scan makes no BLAS call, but numba
  imports ``scipy.linalg`` to check for one, and numpy and scipy each start a pool of
  OpenBLAS threads, which spin a while on a core before they sleep.

The command owns its process, so only the command line asks for these (a program that
imports ``dedup`` keeps its own settings).
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Iterator

#: New container objects between two runs of the youngest generation's collection.
COLLECT_EVERY = 50_000


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """While it lasts, the objects made before it are out of the cycle collector's reach
    and the collector runs every ``COLLECT_EVERY`` new objects (see the module's
    docstring); then both are as they were."""
    youngest, older, oldest = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(COLLECT_EVERY, older, oldest)
    try:
        yield
    finally:
        gc.set_threshold(youngest, older, oldest)
        gc.unfreeze()


def one_blas_thread() -> bool:
    """Have OpenBLAS start no thread of its own, unless the user said otherwise in the
    environment; returns whether it took (False once numpy is loaded: it reads the
    setting when it loads)."""
    if "numpy" in sys.modules:
        return False
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    return True
