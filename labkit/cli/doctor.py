"""``labkit doctor``: check Python, packages, model files, and that the local model answers offline."""

from __future__ import annotations

import argparse

from labkit.cli.common import Subparsers


def _doctor(args: argparse.Namespace) -> int:
    from labkit import doctor

    checks = doctor.run_checks(start_server=not args.no_server)
    print(doctor.report(checks))
    failed = [c.name for c in checks if not c.ok]
    print(f"\n{len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def register(sub: Subparsers) -> None:
    """Add ``labkit doctor`` to the ``labkit`` command."""
    p = sub.add_parser("doctor", help="check Python, packages, model files, and that the local model answers offline")
    p.add_argument("--no-server", action="store_true", help="skip starting the embedded server")
    p.set_defaults(handler=_doctor)
