"""The ``labkit`` parser: the table of every subcommand, and ``main``, which runs one and turns bad input into one line."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from types import ModuleType

from labkit.cli import app, cache, capstone, doctor, ground, guard, models, pii, serve, traces
from labkit.cli import eval as eval_command  # bound as plain `eval` it would shadow the builtin
from labkit.cli.common import Handler, Parser
from labkit.errors import LabkitError

# Every subcommand, in the order `labkit --help` lists them.
COMMANDS: tuple[ModuleType, ...] = (doctor, serve, models, app, eval_command, guard, ground, pii, cache, traces,
                                    capstone)


def build_parser() -> argparse.ArgumentParser:
    """The ``labkit`` argument parser with every subcommand of ``COMMANDS``."""
    parser = Parser(prog="labkit", description="Stage 13 — Production course toolkit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one ``labkit`` command.

    Args:
        argv: the arguments after ``labkit`` (default: the process's own).

    Returns:
        The exit status: 0 done, 1 a check or gate failed, 2 bad input (one line on stderr), 130 interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # Bad input (a malformed file, a folder for a file, a file that is not a store): one line, no traceback.
        if isinstance(exc, (LabkitError, ValueError, OSError, sqlite3.DatabaseError)):
            print(f"labkit {args.command}: error: {' '.join(str(exc).split())}", file=sys.stderr)
            return 2
        raise
