"""The ``labkit`` command. Each subcommand lives in a small function; heavy imports happen inside."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

Handler = Callable[[argparse.Namespace], int]


def _doctor(args: argparse.Namespace) -> int:
    from labkit import doctor

    checks = doctor.run_checks(start_server=not args.no_server)
    print(doctor.report(checks))
    failed = [c.name for c in checks if not c.ok]
    print(f"\n{len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def _serve(args: argparse.Namespace) -> int:
    from labkit.llm.server import EmbeddedServer, ServerSettings

    settings = ServerSettings.from_env()
    if args.port is not None:
        settings = ServerSettings(**{**settings.__dict__, "port": args.port})
    server = EmbeddedServer(settings).start()
    print(f"serving {settings.model_alias} at {server.url}  (OpenAI-compatible; Ctrl-C to stop)")
    print(f"  export OPENAI_BASE_URL={server.url}\n  metrics: {server.root_url}/metrics\n  log: {server.log_path}",
          flush=True)
    try:
        while server.running():
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _models(args: argparse.Namespace) -> int:
    from labkit.llm import registry

    rows = registry.models().values()
    print(f"{'id':<24} {'provider':<8} {'kind':<10} {'context':>8} {'$/M in':>8} {'$/M out':>8}  price source")
    for m in rows:
        print(f"{m.id:<24} {m.provider:<8} {m.kind:<10} {m.context_length:>8} {m.input_usd_per_m:>8.3f} "
              f"{m.output_usd_per_m:>8.3f}  {m.price_note}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="labkit", description="Stage 13 — Production course toolkit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("doctor", help="check Python, packages, model files, and that the local model answers offline")
    p.add_argument("--no-server", action="store_true", help="skip starting the embedded server")
    p.set_defaults(handler=_doctor)

    p = sub.add_parser("serve", help="run the embedded OpenAI-compatible model server in the foreground")
    p.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default: LABKIT_PORT or a free one)")
    p.set_defaults(handler=_serve)

    p = sub.add_parser("models", help="list the model registry with prices")
    p.set_defaults(handler=_models)

    for register in _extensions():
        register(sub)
    return parser


def _extensions() -> list[Callable[[argparse._SubParsersAction], None]]:
    """Subcommands contributed by other labkit modules (each module adds its own)."""
    import importlib

    found = []
    for name in EXTENSION_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        found.append(module.register_cli)
    return found


# Modules that add subcommands through a `register_cli(subparsers)` function.
EXTENSION_MODULES: list[str] = [
    "labkit.rag_cli", "labkit.evals_cli", "labkit.guardrails_cli", "labkit.grounding_cli",
    "labkit.cache_cli", "labkit.tracing_cli", "labkit.enterprise_cli", "labkit.capstone_cli",
]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from labkit.errors import LabkitError

        if isinstance(exc, (LabkitError, ValueError, FileNotFoundError)):
            print(f"labkit {args.command}: error: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
