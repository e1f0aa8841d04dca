"""``labkit serve``: run the embedded OpenAI-compatible model server in the foreground."""

from __future__ import annotations

import argparse
import time

from labkit.cli.common import Subparsers, port


def _serve(args: argparse.Namespace) -> int:
    from labkit.llm.server import EmbeddedServer, ServerSettings

    settings = ServerSettings.from_env()
    changes = {k: v for k, v in (("port", args.port), ("api_key", args.api_key)) if v is not None}
    if changes:
        settings = ServerSettings(**{**settings.__dict__, **changes})
    server = EmbeddedServer(settings).start()
    print(f"serving {settings.model_alias} at {server.url}  (OpenAI-compatible; Ctrl-C to stop)")
    if settings.api_key:
        print("  requests need Authorization: Bearer <the API key> (/health excepted); "
              "export LABKIT_SERVER_API_KEY=<the key> and labkit.llm.client() sends it")
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
    p.add_argument("--api-key", default=None, metavar="KEY",
                   help="require Authorization: Bearer KEY on every request but /health "
                        "(default: LABKIT_SERVER_API_KEY, else no key)")
    p.set_defaults(handler=_serve)
