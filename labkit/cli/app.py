"""``labkit app serve``: the reference RAG service over HTTP; ``labkit app ask``: one question."""

from __future__ import annotations

import argparse
import json

from labkit.cli.common import Subparsers, count, port


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from labkit.rag import RagApp, RagConfig
    from labkit.rag.service import create_app

    rag = RagApp(config=RagConfig(k=args.k, prompt_version=args.prompt))
    print(f"RAG service on http://{args.host}:{args.port}/v1 (OpenAI-compatible; /health)", flush=True)
    uvicorn.run(create_app(rag), host=args.host, port=args.port, log_level="warning")
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
    p.set_defaults(handler=_serve)
    p = app_sub.add_parser("ask", help="answer one question and print JSON")
    p.add_argument("question")
    p.add_argument("--tenant", default=None)
    p.add_argument("--k", type=count, default=3)
    p.add_argument("--prompt", default="v1-grounded")
    p.set_defaults(handler=_ask)
