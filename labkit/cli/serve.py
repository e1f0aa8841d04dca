"""``labkit serve``: run the embedded OpenAI-compatible model server in the foreground."""

from __future__ import annotations

import argparse
import time

from labkit.cli.common import Subparsers, port


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


def register(sub: Subparsers) -> None:
    """Add ``labkit serve`` to the ``labkit`` command."""
    p = sub.add_parser("serve", help="run the embedded OpenAI-compatible model server in the foreground")
    p.add_argument("--port", type=port, default=None, help="port on 127.0.0.1 (default: LABKIT_PORT or a free one)")
    p.set_defaults(handler=_serve)
