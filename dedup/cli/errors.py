"""Errors into one line and an exit code, written once for every command.

Exit codes: 0 success; 1 bad input or state (one line naming the file and line); 2 bad
usage or settings (one line naming the option); 3 internal error (a bug: rerun with --debug
for the traceback); 130 interrupted.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from dedup.errors import ConfigError, DedupError, printable

EXIT_INPUT, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 1, 2, 3, 130
_SPECIAL_OPTIONS = {
    "clean_skip": "--skip",
    "boilerplate_patterns": "--pattern",
    "wire_agencies": "--agency",
}


class CliError(click.ClickException):
    """One line on stderr and an exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        # click types exit_code as a ClassVar but reads it off the instance, as here
        self.exit_code = exit_code  # type: ignore[misc]


def option_name(field_name: str) -> str:
    """The command-line option that sets a Config field."""
    return _SPECIAL_OPTIONS.get(field_name) or "--" + field_name.replace("_", "-")


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn our errors into one line and an exit code; keep tracebacks for --debug."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = kwargs.get("debug", False)
        try:
            return command(*args, **kwargs)
        except ConfigError as err:
            if debug:
                raise
            raise CliError(f"{option_name(err.field)}: {err.reason}", EXIT_USAGE) from None
        except DedupError as err:
            if debug:
                raise
            raise CliError(str(err), EXIT_INPUT) from None
        except KeyboardInterrupt:
            raise CliError(
                "interrupted; no output was left half-written", EXIT_INTERRUPTED
            ) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # the reader went away (| head): nothing more to say
            quiet_stdout()
            raise click.exceptions.Exit(0) from None
        except OSError as err:  # the system refused: a path, not a bug
            if debug:
                raise
            raise CliError(system_error_message(err), EXIT_INPUT) from None
        except Exception as err:
            if debug:
                raise
            raise CliError(
                f"internal error: {type(err).__name__}: {err} "
                "(a bug: rerun with --debug for the traceback and report it)",
                EXIT_INTERNAL,
            ) from None

    return wrapper


def quiet_stdout() -> None:
    """Point standard output at the null device, so that the interpreter's last flush into
    a closed pipe says nothing."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def system_error_message(err: OSError) -> str:
    """One line for an error of the operating system, naming the path it concerns."""
    reason = err.strerror or str(err)
    if err.filename is None:
        return f"{reason} ({type(err).__name__})"
    where = printable(os.fsdecode(err.filename))
    if err.filename2 is not None:
        where += f" -> {printable(os.fsdecode(err.filename2))}"
    return f"{where}: {reason}"
