"""Workers for the batch stages, with results in a fixed order.

:func:`map_ordered` runs ``task(*shared, *job)`` for every job, in a pool of threads when
more than one worker is asked for (the tasks are compiled kernels and numpy calls that
release the GIL), and yields the results in the order of the jobs, so that no output can
depend on which worker finished first.

An :class:`Engine` is where a stage's jobs run: :class:`LocalEngine` (those threads) or
:class:`RayEngine` (tasks on a Ray cluster, local or remote). The stages hand both the same
task functions, and both give the results in job order.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import socket
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

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


_WORKER_PROCESSES = {"allowed": False}


@contextlib.contextmanager
def worker_processes() -> Iterator[None]:
    """Let a stage inside the block start worker processes of its own (the stories' TF-IDF
    analysis, which holds the GIL). They are started with ``spawn``, which imports the
    caller's main script again in every child: only a script whose work sits under
    ``if __name__ == "__main__":`` may ask for them (``dedup``'s own command line does).
    Outside the block the same stages run in this process, with the same result."""
    was = _WORKER_PROCESSES["allowed"]
    _WORKER_PROCESSES["allowed"] = True
    try:
        yield
    finally:
        _WORKER_PROCESSES["allowed"] = was


def worker_processes_allowed() -> bool:
    """Whether :func:`worker_processes` is in force."""
    return _WORKER_PROCESSES["allowed"]


def resolve_workers(workers: int) -> int:
    """The number of workers ``workers`` asks for: 0 means every available core."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ConfigError(
            "workers", f"must be a whole number >= 0 (0 = all cores), got {workers!r}"
        )
    return workers or available_cores()


def map_ordered(
    task: Callable[..., object], shared: tuple, jobs: Sequence[tuple], workers: int
) -> Generator[Any, None, None]:
    """``task(*shared, *job)`` for every job, yielded in the order of ``jobs``.

    With one worker (or one job) everything runs here. Otherwise a pool of ``workers``
    threads runs the jobs: the stages' work is in compiled kernels and numpy calls that
    release the GIL, so threads run them in parallel, reading the shared inputs in place
    and handing results back without a copy. Results come back in submission order, never
    in completion order, so the output cannot depend on which thread finished first.
    """
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield task(*shared, *job)
        return
    pool = ThreadPoolExecutor(min(workers, len(jobs)), thread_name_prefix="dedup")
    try:
        # each task in a copy of this context (dedup.kernels.small_input reaches the threads)
        futures = [pool.submit(_in_context(), task, *shared, *job) for job in jobs]
        for future in futures:
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def map_streamed(
    task: Callable[..., object],
    shared: tuple,
    jobs: Iterable[tuple],
    workers: int,
    ahead: int,
) -> Generator[Any, None, None]:
    """:func:`map_ordered` of jobs that are still being made: ``jobs`` is consumed lazily
    (making the next job, such as reading the next records, goes on in this thread while
    the pool runs the earlier ones), at most ``ahead`` jobs wait or run at once, and each
    result is yielded, in job order, as soon as it and those before it are done.

    With one worker every job runs here, as it is made."""
    if workers <= 1:
        for job in jobs:
            yield task(*shared, *job)
        return
    pool = ThreadPoolExecutor(workers, thread_name_prefix="dedup")
    pending: deque = deque()
    try:
        for job in jobs:
            pending.append(pool.submit(_in_context(), task, *shared, *job))
            while pending and (pending[0].done() or len(pending) > max(1, ahead)):
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _in_context() -> Callable[..., Any]:
    """A runner of a task in a copy of the calling thread's context."""
    return contextvars.copy_context().run


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
    ) -> Generator[Any, None, None]: ...


@dataclass(frozen=True, slots=True)
class LocalEngine:
    """Threads of this process (:func:`map_ordered`); one worker runs everything here."""

    workers: int = 1
    objects_shared: bool = True  # threads read the texts in place

    def map_ordered(
        self, task: Callable[..., object], shared: tuple, jobs: Sequence[tuple]
    ) -> Generator[Any, None, None]:
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
    reads_shards = True  # a scan's workers read the input shards themselves (dedup.ray_scan)

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
                # "local": a fresh instance here, not a cluster `ray start` left running
                ray.init(address=self.address or "local", **options)
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
    ) -> Generator[Any, None, None]:
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
    threads (0: every core) as a :class:`LocalEngine`."""
    if hasattr(workers, "map_ordered"):
        # hasattr leaves int in the union for mypy (a subclass of int could have the method)
        return workers  # type: ignore[return-value]
    return LocalEngine(resolve_workers(workers))
