"""The ``dedup`` command: a thin layer over the Python API (:mod:`dedup.api`).

One module per command (scan, clean, stories, chains, report, index). What they share is in
three: the options and settings (:mod:`dedup.cli.options`), the error ritual
(:mod:`dedup.cli.errors`), and the progress bars and the run of a job (:mod:`dedup.cli.common`).
Each module imports what its job needs when the command runs, so ``dedup --help`` loads
none of it.
"""

from __future__ import annotations

from dedup.cli import chains, clean, index, report, scan, stories  # noqa: F401 - they register
from dedup.cli.common import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CliError,
    main,
    option_name,
)

__all__ = [
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "CliError",
    "main",
    "option_name",
]

if __name__ == "__main__":  # pragma: no cover
    main()
