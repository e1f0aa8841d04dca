"""What every ``labkit`` subcommand shares: the parser class, the handler type and argument checks.

A bad argument is refused while parsing, before any model, index or server is loaded, with one line on
stderr that names the argument, what it got and where to read more.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import NoReturn, TypeVar

Handler = Callable[[argparse.Namespace], int]
Subparsers = argparse._SubParsersAction
T = TypeVar("T", int, float)


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line on stderr (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _checked(text: str, parse: Callable[[str], T], ok: Callable[[T], bool], expected: str) -> T:
    """Parse an option's value and check its range; argparse turns the error into the one-line message.

    Args:
        text: the value as typed.
        parse: ``int`` or ``float``.
        ok: whether a parsed value is in range.
        expected: what a good value is, for the message, e.g. ``"a whole number >= 1"``.

    Returns:
        The parsed value.

    Raises:
        argparse.ArgumentTypeError: ``text`` does not parse, or is out of range.
    """
    try:
        value = parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not ok(value):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {value}")
    return value


def count(text: str) -> int:
    """A whole number >= 1, for options that count something (``--k``, ``--limit``, ``--workers``)."""
    return _checked(text, int, lambda n: n >= 1, "a whole number >= 1")


def port(text: str) -> int:
    """A TCP port number, 0..65535 (0 lets the system pick a free one)."""
    return _checked(text, int, lambda n: 0 <= n <= 65535, "a port number in 0..65535")


def probability(text: str) -> float:
    """A number strictly between 0 and 1 (an interval's coverage)."""
    return _checked(text, float, lambda p: 0 < p < 1, "a number between 0 and 1 (exclusive), e.g. 0.95")
