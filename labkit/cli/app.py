"""``labkit app serve``: the reference RAG service over HTTP; ``labkit app ask``: one question."""

from __future__ import annotations

import argparse
import json

from labkit.cli.common import Subparsers, count, port


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from labkit.rag import RagApp, RagConfig
    from labkit.rag.auth import load_keys
    from labkit.rag.limits import ServiceLimits
    from labkit.rag.service import create_app, uvicorn_config

    keys = load_keys(args.keys, require_key=args.require_key)
    limits = ServiceLimits(deadline_s=args.deadline, max_in_flight=args.max_in_flight)
    served = RagApp(config=RagConfig(k=args.k, prompt_version=args.prompt))
    api = create_app(served, keys=keys, limits=limits, guards=not args.no_guards)
    if not args.no_guards:
        print("loading the guard layers' models ...", flush=True)
        api.state.rag.warm_up()
    who = (f"{len(keys.keys)} API key(s) map to tenants" if keys.keys else "no API keys (LABKIT_APP_KEYS or --keys)")
    anonymous = "refused (401)" if args.require_key else "served shared documents only"
    print(f"RAG service on http://{args.host}:{args.port}/v1 (OpenAI-compatible; /health); {who}; "
          f"requests without a key are {anonymous}", flush=True)
    uvicorn.Server(uvicorn_config(api, args.host, args.port)).run()
    return 0


def _ask(args: argparse.Namespace) -> int:
    from labkit.rag import RagApp, RagConfig

    a = RagApp(config=RagConfig(k=args.k, prompt_version=args.prompt)).answer(args.question, tenant=args.tenant)
    print(json.dumps({"answer": a.text, "citations": a.citations, "retrieved_ids": a.retrieved_ids,
                      "abstained": a.abstained, "latency_s": round(a.latency_s, 3)}, indent=2))
    return 0


def register(sub: Subparsers) -> None:
    """Add ``labkit app serve`` and ``labkit app ask`` to the ``labkit`` command."""
    app = sub.add_parser("app", help="the reference RAG app: serve it over HTTP or ask it a question")
    app_sub = app.add_subparsers(dest="app_command", required=True, metavar="ACTION")
    p = app_sub.add_parser("serve", help="serve the RAG app as an OpenAI-compatible HTTP service")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port, default=8800)
    p.add_argument("--k", type=count, default=3)
    p.add_argument("--prompt", default="v1-grounded")
    p.add_argument("--keys", default=None, metavar="FILE",
                   help="JSON ({\"key\": \"tenant\"}) or TOML ([keys] table) file of API keys and their tenants "
                        "(default: LABKIT_APP_KEYS=key1:tenant1,key2:tenant2)")
    p.add_argument("--require-key", action="store_true",
                   help="refuse requests without an API key (401) instead of serving them shared documents only")
    p.add_argument("--no-guards", action="store_true", help="serve without the guardrails' input and output layers")
    p.add_argument("--deadline", type=float, default=60.0, metavar="SECONDS", help="per-request time limit (504 after)")
    p.add_argument("--max-in-flight", type=count, default=16, metavar="N",
                   help="requests answered or waiting at once; more get 429 with Retry-After")
    p.set_defaults(handler=_serve)
    p = app_sub.add_parser("ask", help="answer one question and print JSON")
    p.add_argument("question")
    p.add_argument("--tenant", default=None)
    p.add_argument("--k", type=count, default=3)
    p.add_argument("--prompt", default="v1-grounded")
    p.set_defaults(handler=_ask)
