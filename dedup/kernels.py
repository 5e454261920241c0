"""Compiled kernels, loaded when first run; plain versions for small inputs.

numba costs a process about a second of CPU before any kernel of its runs: importing numba,
readying its compiler at the first kernel (which imports ``scipy.linalg`` among much else),
and loading each kernel from its cache. A scan of a few articles needs none of that.

:func:`njit` is numba's decorator, deferred: a module that defines kernels with it does not
import numba; the kernel is compiled (or loaded from numba's cache, which is found as it
would be for ``numba.njit``: by the function's file and line) on its first call. Before it
is, the kernels a compiled kernel calls (``inline="always"`` helpers among them) are made
numba dispatchers in its module's globals, as numba needs them to be.

Inside :func:`run_plain` (:func:`dedup.plain_kernels.small_input` for a scan), a kernel not
compiled yet runs as Python instead: its :attr:`Kernel.plain` version (numpy, made for that
kernel, registered with :func:`plain_version`) or else its own Python function, with numpy's
overflow warnings off (the kernels' uint64 arithmetic wraps by design, as in numba). Both
give the same values as the compiled kernel, which ``tests/test_kernels.py`` checks, so the
output of a scan does not depend on which ran. A kernel numba has compiled in the process
runs compiled from then on.

numba's cache knows a kernel's own file, not the files of the kernels it calls: after a
change to ``edit_kernels.py`` alone, the cached ``align`` kernels that call it would run
the old code. :func:`forget_stale_cache` (before the first compilation in a process)
removes the cached kernels of ``dedup`` beside its sources when any file that defines
kernels has changed since they were cached.

numba's array functions check, as they load, whether scipy offers BLAS (for ``np.dot`` and
the like, which no kernel of ``dedup`` calls): importing ``scipy.linalg`` for it took about a
tenth of a second of CPU, a sixth of numba's start. A process that says so
(:func:`skip_blas_check`: the command line, which owns its process) loads them without it;
numba then uses its own loop for the inner products of ``np.cov`` and the like, and still
imports scipy if a kernel that calls BLAS is compiled.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

_SMALL: ContextVar[bool] = ContextVar("dedup_small_input", default=False)
_COMPILING = threading.RLock()  # one dispatcher per kernel, whichever thread calls it first
#: Kernels given a dispatcher by the :meth:`Kernel.compiled` call still running (with the
#: kernels it binds), shown to other threads only when every global they call is bound.
_MADE: list[Kernel] = []


class Kernel:
    """A function numba compiles on its first call (see the module's docstring)."""

    def __init__(self, py_func: Callable[..., Any], options: dict[str, Any]) -> None:
        self.py_func = py_func
        self.options = options
        self.plain: Callable[..., Any] | None = None
        self._dispatcher: Any = None  # seen by every thread
        self._made: Any = None  # seen by the thread binding it, until _dispatcher is set
        functools.update_wrapper(self, py_func)

    def compiled(self) -> Any:
        """numba's dispatcher of this kernel (made, and numba imported, on first use).

        The dispatcher is shown to other threads (``_dispatcher``) only once the globals of
        its module, and of the modules of the kernels it calls, are dispatchers too: a
        thread that compiled it earlier would find a :class:`Kernel` where it calls another
        kernel, which numba cannot type."""
        if self._dispatcher is not None:
            return self._dispatcher
        with _COMPILING:
            if self._dispatcher is not None:
                return self._dispatcher
            if self._made is None:  # else: being bound by this thread, further up
                outermost = not _MADE
                forget_stale_cache()
                _announce()
                import numba

                _load_array_functions()

                self._made = numba.njit(**self.options)(self.py_func)
                _MADE.append(self)
                try:
                    _bind(self.py_func.__globals__)
                finally:
                    if outermost:
                        for kernel in _MADE:
                            kernel._dispatcher = kernel._made
                        _MADE.clear()
            return self._made

    def __call__(self, *args: Any) -> Any:
        if self._dispatcher is None and _SMALL.get():
            return (self.plain or self.py_func)(*args)
        return self.compiled()(*args)


_NOTICE: list[Callable[[], None]] = []
_SKIP_BLAS_CHECK: list[bool] = []


def skip_blas_check() -> None:
    """Have numba's array functions load, with the first kernel, without importing
    ``scipy.linalg`` to look for BLAS (see the module's docstring). For a process whose
    threads import nothing else while the first kernel loads: for that moment
    ``scipy.linalg`` cannot be imported."""
    _SKIP_BLAS_CHECK[:] = [True]


def _load_array_functions() -> None:
    """Import ``numba.np.arraymath`` (numba would at its first kernel) with ``scipy.linalg``
    hidden when :func:`skip_blas_check` asked for it and it is not loaded already."""
    if not _SKIP_BLAS_CHECK or "scipy.linalg" in sys.modules:
        return
    if "numba.np.arraymath" in sys.modules:
        return
    sys.modules["scipy.linalg"] = None  # type: ignore[assignment]  # import fails: no BLAS
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        del sys.modules["scipy.linalg"]


def before_first_compile(notice: Callable[[], None] | None) -> None:
    """Have ``notice`` called once, before the first kernel of the process is compiled or
    loaded from numba's cache (the command line says there that a first run compiles); None
    removes it. A run that compiles no kernel (a small scan) never calls it."""
    _NOTICE.clear()
    if notice is not None:
        _NOTICE.append(notice)


def _announce() -> None:
    if _NOTICE:
        _NOTICE.pop()()


#: The file, in ``dedup``'s ``__pycache__``, naming the kernels' sources the cache was made from.
CACHE_STAMP = "dedup-kernels.sha256"
_CHECKED: list[bool] = []


def kernel_sources(package: Path) -> list[Path]:
    """The modules of ``package`` that define kernels (they import this module's njit)."""
    return [
        path
        for path in sorted(package.glob("*.py"))
        if "dedup.kernels import njit" in path.read_text(encoding="utf-8")
    ]


def forget_stale_cache(package: Path | None = None) -> bool:
    """Remove numba's cached kernels in ``package``'s ``__pycache__`` (``dedup``'s by
    default) when the kernels' sources differ from those they were cached from; once a
    process. True when it removed them. A cache it may not write is left as it is."""
    if package is None:
        if _CHECKED:
            return False
        _CHECKED.append(True)
        package = Path(__file__).parent
    cache = package / "__pycache__"
    try:
        sources = kernel_sources(package)
        digest = hashlib.sha256()
        for path in sources:
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        stamp = cache / CACHE_STAMP
        if stamp.is_file() and stamp.read_text(encoding="ascii") == digest.hexdigest():
            return False
        names = {path.stem for path in sources}
        cached = [path for path in cache.glob("*.nb[ic]") if path.name.split(".", 1)[0] in names]
        for path in cached:
            path.unlink(missing_ok=True)
        cache.mkdir(exist_ok=True)
        partial = cache / f"{CACHE_STAMP}.{os.getpid()}.tmp"
        partial.write_text(digest.hexdigest(), encoding="ascii")
        partial.replace(stamp)
        return bool(cached)
    except OSError:
        return False


def _bind(namespace: dict[str, Any]) -> None:
    """Make every :class:`Kernel` among a module's globals its numba dispatcher, so that
    the compiled kernels of that module find compiled functions where they call them."""
    for name, value in list(namespace.items()):
        if isinstance(value, Kernel):
            namespace[name] = value.compiled()


def njit(*args: Any, **options: Any) -> Any:
    """``numba.njit``, deferred until the kernel is first called (``@njit`` or
    ``@njit(cache=True, ...)``, the options numba's)."""
    if args and callable(args[0]):
        return Kernel(args[0], options)
    return lambda func: Kernel(func, options)


def plain_version(kernel: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as ``kernel``'s plain version (same arguments, same
    results), run in its place inside :func:`run_plain`."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        if isinstance(kernel, Kernel):
            kernel.plain = func
        return func

    return register


@contextmanager
def run_plain() -> Iterator[None]:
    """Within it, kernels not compiled yet run as plain Python and numpy (their
    :attr:`Kernel.plain` versions where registered), in this thread and in the threads
    :mod:`dedup.parallel` starts. :func:`dedup.plain_kernels.small_input` registers the
    versions of the words and signatures kernels and enters this."""
    import numpy as np

    token = _SMALL.set(True)
    try:
        # numpy's error state is a context variable too, so the threads inherit it
        with np.errstate(over="ignore"):
            yield
    finally:
        _SMALL.reset(token)
