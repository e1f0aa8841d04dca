"""The ``labkit`` command (also ``python -m labkit.cli``).

Each subcommand is one module here, named as the command (``labkit/cli/pii.py`` is ``labkit pii``), with
``register(subparsers)`` and its handlers. ``COMMANDS`` is the whole list. Heavy imports (torch,
sentence-transformers, the model server) happen inside the handlers, so ``labkit --help`` is fast.
"""

from labkit.cli.commands import COMMANDS, build_parser, main

__all__ = ["COMMANDS", "build_parser", "main"]
