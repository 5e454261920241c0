"""Named points where a test can make the process fail, to check that nothing is lost.

Every step that writes a result calls :func:`fault_point` with a name such as
``write:pairs.jsonl`` (a file half-written in the staging folder), ``swap:pairs.jsonl``
(the set being moved into place) or ``index:commit``. With the environment variable
``DEDUP_FAULT`` set to ``NAME=ACTION``, the point called ``NAME`` does ``ACTION``:

* ``kill``: the process ends at once (``SIGKILL``), as a power cut or ``kill -9`` would
  end it: no ``finally`` block, no clean-up;
* ``enospc``: ``OSError(ENOSPC)``, as a full disk raises it;
* ``eacces``: ``PermissionError(EACCES)``.

Without the variable a point costs one dictionary look-up. Tests use this instead of
killing a process at a moment they try to catch, which a fast machine can miss.
"""

from __future__ import annotations

import errno
import os
import signal

ENV = "DEDUP_FAULT"
ACTIONS = ("kill", "enospc", "eacces")


def fault_point(name: str, path: str | os.PathLike | None = None) -> None:
    """Fail here if ``DEDUP_FAULT`` names this point (see the module docstring); an error
    raised names ``path`` (the file being written), or else the point."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    point, _, action = spec.rpartition("=")
    if point != name:
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    where = os.fspath(path) if path is not None else name
    if action == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), where)
    if action == "eacces":
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), where)
