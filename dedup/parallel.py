"""Worker processes for the batch stages, with results in a fixed order.

:func:`map_ordered` runs ``task(*shared, *job)`` for every job, in a pool of processes when
more than one worker is asked for, and yields the results in the order of the jobs, so that
no output can depend on which process finished first. Large array results come back through
shared memory rather than a pipe.

An :class:`Engine` is where a stage's jobs run: :class:`LocalEngine` (those processes) or
:class:`RayEngine` (tasks on a Ray cluster, local or remote). The stages hand both the same
task functions, and both give the results in job order.
"""

from __future__ import annotations

import gc
import logging
import mmap
import multiprocessing
import os
import socket
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import resource_tracker
from multiprocessing.shared_memory import SharedMemory
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from dedup.errors import ConfigError


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform tells it)."""
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13
    if counter is not None:
        return counter() or 1
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def resolve_workers(workers: int) -> int:
    """The number of worker processes ``workers`` asks for: 0 means every available core."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ConfigError(
            "workers", f"must be a whole number >= 0 (0 = all cores), got {workers!r}"
        )
    return workers or available_cores()


_SHARED: tuple = ()  # a worker process' read-only inputs, set once when it starts


def _share(*inputs: object) -> None:
    global _SHARED
    _SHARED = inputs


# On Windows a named block vanishes with its last handle, so results travel by pipe there.
_VIA_SHARED_MEMORY = os.name == "posix"


def _call_shared(task: Callable[..., object], job: tuple) -> object:
    result = task(*_SHARED, *job)
    return _to_shared_memory(result) if _VIA_SHARED_MEMORY else result


def _to_shared_memory(result: object) -> tuple[str, list[tuple]]:
    """A worker's result (an array, or a tuple of arrays and ints) copied into one block of
    shared memory: hundreds of MB of words would otherwise be pickled through a pipe, and
    cost the parent more than tokenizing them did."""
    items = result if isinstance(result, tuple) else (result,)
    arrays = [np.ascontiguousarray(x) if isinstance(x, np.ndarray) else x for x in items]
    size = sum(x.nbytes for x in arrays if isinstance(x, np.ndarray))
    block = SharedMemory(create=True, size=max(size, 1))
    buffer = _map_populated(block, writable=True)
    layout: list[tuple] = []
    offset = 0
    for x in arrays:
        if isinstance(x, np.ndarray):
            np.ndarray(x.shape, x.dtype, buffer=buffer, offset=offset)[...] = x
            layout.append(("array", x.dtype.str, x.shape, offset))
            offset += x.nbytes
        else:
            layout.append(("value", x))
    if isinstance(buffer, mmap.mmap):
        buffer.close()
    name = block.name
    block.close()
    return name, [("tuple" if isinstance(result, tuple) else "one",), *layout]


def _from_shared_memory(name: str, layout: list[tuple]) -> object:
    """The result :func:`_to_shared_memory` stored; the block's name is freed at once.

    On Linux the arrays are views of a mapping made with every page in place
    (``MAP_POPULATE``), alive as long as they are: faulting hundreds of MB in one 4 KiB page
    at a time, or copying them out, cost the parent more than the workers saved."""
    block = SharedMemory(name=name)
    try:
        buffer = _map_populated(block, writable=False)
        copy = not isinstance(buffer, mmap.mmap)
        items = []
        for entry in layout[1:]:
            if entry[0] == "array":
                view = np.ndarray(entry[2], np.dtype(entry[1]), buffer=buffer, offset=entry[3])
                items.append(view.copy() if copy else view)
            else:
                items.append(entry[1])
        del buffer
    finally:
        block.close()
        block.unlink()
    return tuple(items) if layout[0][0] == "tuple" else items[0]


def _map_populated(block: SharedMemory, *, writable: bool) -> object:
    """The block's bytes mapped again with every page in place (``MAP_POPULATE``, Linux), or
    its own buffer where that is not possible."""
    path = Path("/dev/shm") / block.name.lstrip("/")
    populate = getattr(mmap, "MAP_POPULATE", None)
    if populate is None or not path.exists():
        return block.buf
    prot = mmap.PROT_READ | (mmap.PROT_WRITE if writable else 0)
    with open(path, "r+b" if writable else "rb") as handle:
        return mmap.mmap(handle.fileno(), block.size, flags=mmap.MAP_SHARED | populate, prot=prot)


def map_ordered(
    task: Callable[..., object], shared: tuple, jobs: Sequence[tuple], workers: int
) -> Iterator:
    """``task(*shared, *job)`` for every job, yielded in the order of ``jobs``.

    With one worker (or one job) everything runs here. Otherwise a pool of ``workers``
    processes runs the jobs; ``shared`` reaches each process once when it starts (for free
    with ``fork``, which copies the parent's memory), and only the small jobs and the
    results travel. Results come back in submission order, never in completion order, so
    the output cannot depend on which process finished first.
    """
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield task(*shared, *job)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    # one tracker of shared memory for parent and workers: blocks a worker creates and the
    # parent frees are then neither reported as leaked nor removed when the worker exits
    resource_tracker.ensure_running()
    # the parent's objects out of the collector's reach while workers run: a collection in a
    # forked worker writes to every object it visits, and so copies every page of the heap
    gc.freeze()
    pool = ProcessPoolExecutor(
        min(workers, len(jobs)), mp_context=context, initializer=_share, initargs=shared
    )
    try:
        futures = [pool.submit(_call_shared, task, job) for job in jobs]
        for future in futures:
            result = future.result()
            yield _from_shared_memory(*result) if _VIA_SHARED_MEMORY else result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        gc.unfreeze()


class Engine(Protocol):
    """Where the batch stages run: :meth:`map_ordered` is :func:`map_ordered` there, and
    ``workers`` the number of parts a stage is split into so that every worker has one.
    ``objects_shared`` tells whether Python objects among the shared inputs (a list of
    texts) reach the tasks without a copy; where they do not, a stage sends each job its own
    part instead."""

    @property
    def workers(self) -> int: ...

    @property
    def objects_shared(self) -> bool: ...

    def map_ordered(
        self, task: Callable[..., object], shared: tuple, jobs: Sequence[tuple]
    ) -> Iterator: ...


@dataclass(frozen=True, slots=True)
class LocalEngine:
    """Processes on this machine (:func:`map_ordered`); one worker runs everything here."""

    workers: int = 1
    objects_shared: bool = True  # forked workers read the parent's memory

    def map_ordered(
        self, task: Callable[..., object], shared: tuple, jobs: Sequence[tuple]
    ) -> Iterator:
        return map_ordered(task, shared, jobs, self.workers)


RAY_IN_FLIGHT_PER_WORKER = 2  # tasks submitted ahead of the one awaited, per worker


class RayEngine:
    """Tasks on a Ray cluster: one started here on first use (``address=None``, with
    ``workers`` CPUs, 0 = every core), or an existing one (``"auto"``, ``"ray://host:port"``
    or a head node's ``host:port``).

    The same task functions run as Ray tasks. Each map puts ``shared`` in the object store
    once (arrays are read there without a copy by every worker of a node), keeps a bounded
    number of tasks in flight and yields the results in the order of the jobs, so the
    output is the one :class:`LocalEngine` gives. Ray is imported only when first used (the
    ``ray`` extra installs it). A process already connected to Ray keeps that connection,
    whatever ``address`` says; an address nothing answers at is refused at once.
    """

    objects_shared = False  # arrays are read in place, but other objects are unpickled per task

    def __init__(self, address: str | None = None, workers: int = 0) -> None:
        self.address = address
        self.requested = resolve_workers(workers) if workers else 0
        self._ray: Any = None
        self._remote: Any = None
        self._started = False

    def _connect(self) -> Any:
        if self._ray is not None:
            return self._ray
        try:
            import ray
        except ImportError as error:
            raise ConfigError(
                "engine", "ray is not installed (pip install 'dedup[ray]')"
            ) from error
        if not ray.is_initialized():
            _check_reachable(self.address)
            options: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "logging_level": logging.ERROR,
            }
            if self.address is None:
                options["num_cpus"] = self.requested or available_cores()
            try:
                ray.init(address=self.address, **options)
            except (ConnectionError, ValueError, RuntimeError) as error:
                where = self.address or "a local instance"
                raise ConfigError("ray-address", f"cannot start Ray on {where}: {error}") from error
            self._started = True
        self._ray = ray
        self._remote = ray.remote(_ray_call)
        return ray

    @property
    def workers(self) -> int:
        ray = self._connect()
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def map_ordered(
        self, task: Callable[..., object], shared: tuple, jobs: Sequence[tuple]
    ) -> Iterator:
        ray = self._connect()
        refs = [ray.put(value) for value in shared]
        ahead = self.workers * RAY_IN_FLIGHT_PER_WORKER
        pending: deque = deque()
        for job in jobs:
            pending.append(self._remote.remote(task, len(refs), *refs, *job))
            if len(pending) > ahead:
                yield ray.get(pending.popleft())
        while pending:
            yield ray.get(pending.popleft())

    def close(self) -> None:
        """Stop the Ray instance this engine started (a cluster it joined is left running)."""
        if self._ray is not None and self._started:
            self._ray.shutdown()
        self._ray = self._remote = None
        self._started = False

    def __enter__(self) -> RayEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


RAY_CONNECT_TIMEOUT_S = 5.0


def _check_reachable(address: str | None) -> None:
    """Refuse at once a cluster address nothing listens on: Ray itself would retry for
    minutes, printing warnings."""
    if address is None or address in ("auto", "local"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError("ray-address", f"expected HOST:PORT or ray://HOST:PORT, got {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=RAY_CONNECT_TIMEOUT_S).close()
    except OSError as error:
        raise ConfigError("ray-address", f"nothing answers at {address}: {error}") from error


def _ray_call(task: Callable[..., object], n_shared: int, *args: object) -> object:
    # the shared values are top-level arguments, so Ray hands them over resolved
    return task(*args)


def resolve_engine(workers: int | Engine) -> Engine:
    """The engine ``workers`` names: an :class:`Engine` as it is, a number of local
    processes (0: every core) as a :class:`LocalEngine`."""
    if hasattr(workers, "map_ordered"):
        return workers  # type: ignore[return-value]
    return LocalEngine(resolve_workers(workers))  # type: ignore[arg-type]
