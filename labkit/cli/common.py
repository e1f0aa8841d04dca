"""What every ``labkit`` subcommand shares: the parser class, the handler type and argument checks.

A bad argument is refused while parsing, before any model, index or server is loaded, with one line on
stderr that names the argument, what it got and where to read more.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import NoReturn

Handler = Callable[[argparse.Namespace], int]
Subparsers = argparse._SubParsersAction


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line on stderr (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def count(text: str) -> int:
    """A whole number >= 1, for options that count something (``--k``, ``--limit``, ``--workers``).

    Args:
        text: the option's value as typed.

    Returns:
        The number.

    Raises:
        argparse.ArgumentTypeError: not a whole number, or below 1.
    """
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {n}")
    return n


def port(text: str) -> int:
    """A TCP port number, 0..65535 (0 lets the system pick a free one).

    Args:
        text: the option's value as typed.

    Returns:
        The port.

    Raises:
        argparse.ArgumentTypeError: not a whole number in 0..65535.
    """
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number in 0..65535, got {text!r}") from None
    if not 0 <= n <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number in 0..65535, got {n}")
    return n


def probability(text: str) -> float:
    """A number strictly between 0 and 1 (an interval's coverage).

    Args:
        text: the option's value as typed.

    Returns:
        The number.

    Raises:
        argparse.ArgumentTypeError: not a number in (0, 1).
    """
    try:
        p = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, e.g. 0.95, got {text!r}") from None
    if not 0 < p < 1:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1 (exclusive), e.g. 0.95, got {p}")
    return p
