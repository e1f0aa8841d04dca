"""``labkit models``: the model registry with prices."""

from __future__ import annotations

import argparse

from labkit.cli.common import Subparsers


def _models(args: argparse.Namespace) -> int:
    from labkit.llm import registry

    rows = registry.models().values()
    print(f"{'id':<24} {'provider':<8} {'kind':<10} {'context':>8} {'$/M in':>8} {'$/M out':>8}  price source")
    for m in rows:
        print(f"{m.id:<24} {m.provider:<8} {m.kind:<10} {m.context_length:>8} {m.input_usd_per_m:>8.3f} "
              f"{m.output_usd_per_m:>8.3f}  {m.price_note}")
    return 0


def register(sub: Subparsers) -> None:
    """Add ``labkit models`` to the ``labkit`` command."""
    p = sub.add_parser("models", help="list the model registry with prices")
    p.set_defaults(handler=_models)
