"""Arize Phoenix, the open-source trace UI, run locally beside the course: start it, send it spans, read
them back.

Phoenix lives in its own environment (``make phoenix-env`` builds ``.venv-phoenix`` from
``envs/phoenix/requirements.lock``): its ~140 dependencies stay out of the course's lock, and labkit
never imports it. :func:`local_phoenix` starts that environment's Phoenix as a subprocess, with its
SQLite storage in a throwaway working directory, offline (no telemetry pixels, web fonts or agent
assistant), and stops it at the end of the block. Spans go in over OTLP/HTTP, exactly as they would to
a Phoenix you run at work; :func:`read_trace` and :func:`cumulative_tokens` read them back through
Phoenix's REST and GraphQL APIs, so a test sees what the UI shows.

    >>> with local_phoenix() as phoenix:
    ...     t = tracing.setup(otlp_endpoint=phoenix.otlp_endpoint, sample_rate=1.0)
    ...     ...                                # traced work
    ...     t.shutdown()                       # flushes the OTLP batch
    ...     spans = read_trace(phoenix.url, trace_id, expected=5)

From a shell, ``python -m labkit.tracing.phoenix`` runs it until Ctrl-C (UI at http://127.0.0.1:6006).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labkit import child, config
from labkit.errors import LabkitError

ENV_DIR = Path(__file__).resolve().parents[2] / ".venv-phoenix"  # made by `make phoenix-env`
PYTHON_SETTING = "LABKIT_PHOENIX_PYTHON"
DEFAULT_PROJECT = "default"  # where Phoenix files spans that name no openinference.project.name
# Every kind Phoenix types a span with (phoenix.trace.schemas.SpanKind); UNKNOWN means it could not tell.
KNOWN_KINDS = frozenset({"TOOL", "CHAIN", "LLM", "PROMPT", "RETRIEVER", "EMBEDDING", "AGENT", "RERANKER",
                         "EVALUATOR", "GUARDRAIL", "DECISION"})
_TOKENS_QUERY = """query($id: ID!) { node(id: $id) { ... on Span {
  cumulativeTokenCountPrompt cumulativeTokenCountCompletion cumulativeTokenCountTotal } } }"""


class PhoenixUnavailable(LabkitError):
    """Phoenix's environment is missing, or its server did not start or answer."""


@dataclass(frozen=True)
class PhoenixServer:
    """A running Phoenix: where its UI/APIs and its OTLP receiver are, and where it keeps its data."""

    url: str  # UI, REST (/v1) and GraphQL (/graphql)
    otlp_endpoint: str  # OTLP over HTTP: pass to tracing.setup(otlp_endpoint=...)
    working_dir: Path  # its SQLite database (phoenix.db) and log
    log: Path


@dataclass(frozen=True)
class PhoenixSpan:
    """One span as Phoenix stored it."""

    name: str
    span_id: str
    parent_id: str | None
    kind: str  # Phoenix's span kind: LLM, CHAIN, ... or UNKNOWN
    node_id: str  # Phoenix's global id, for GraphQL
    attributes: dict[str, Any] = field(default_factory=dict)


def phoenix_python() -> Path | None:
    """The python of Phoenix's environment: ``$LABKIT_PHOENIX_PYTHON``, else ``.venv-phoenix``'s; None if absent."""
    configured = config.env_str(PYTHON_SETTING)
    if configured:
        return Path(configured) if Path(configured).exists() else None
    candidate = ENV_DIR / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    return candidate if candidate.exists() else None


def server_environment(working_dir: Path, port: int, grpc_port: int) -> dict[str, str]:
    """The environment Phoenix runs with: this process's, minus any PHOENIX_*/OTEL_* settings, plus ours.

    Args:
        working_dir: where Phoenix keeps its SQLite database.
        port: HTTP port (UI, APIs, OTLP/HTTP) on 127.0.0.1.
        grpc_port: OTLP/gRPC port on 127.0.0.1.

    Returns:
        Variable name -> value.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHOENIX_", "OTEL_"))}
    env.update({
        "PHOENIX_WORKING_DIR": str(working_dir), "PHOENIX_HOST": "127.0.0.1", "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(grpc_port),
        "PHOENIX_TELEMETRY_ENABLED": "false",  # no FullStory / Scarf pixels in the UI
        "PHOENIX_ALLOW_EXTERNAL_RESOURCES": "false",  # no web fonts or downloads of its own
        "PHOENIX_DISABLE_AGENT_ASSISTANT": "true", "PHOENIX_AGENTS_DISABLE_BASH": "true",
        "PHOENIX_ENABLE_MCP_SERVER": "false", "DO_NOT_TRACK": "1",
    })
    return env


def _get_json(url: str, body: dict[str, Any] | None = None, timeout_s: float = 10.0) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 - a loopback URL we started
        return json.loads(response.read())


def _healthy(url: str) -> bool:
    with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
        return bool(response.status == 200)


@contextmanager
def local_phoenix(*, port: int | None = None, working_dir: str | Path | None = None,
                  startup_timeout_s: float = 240.0) -> Iterator[PhoenixServer]:
    """Run Phoenix from its own environment on loopback ports for the block, then stop it.

    Args:
        port: its HTTP port; default a free one.
        working_dir: where it keeps its SQLite database; default a temporary directory, removed after.
        startup_timeout_s: how long to wait for ``/healthz`` (the first start runs its migrations).

    Yields:
        The running :class:`PhoenixServer`.

    Raises:
        PhoenixUnavailable: the environment is missing (run ``make phoenix-env``) or Phoenix did not start.
    """
    from labkit.llm.server import free_port

    python = phoenix_python()
    if python is None:
        raise PhoenixUnavailable(f"Phoenix's environment is missing. Fix: make phoenix-env (builds {ENV_DIR}), "
                                 f"or set {PYTHON_SETTING} to a python that has arize-phoenix")
    with tempfile.TemporaryDirectory(prefix="labkit-phoenix-") as scratch:
        workdir = Path(working_dir) if working_dir is not None else Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        port = port or free_port()
        url = f"http://127.0.0.1:{port}"
        log = workdir / "phoenix.log"
        env = server_environment(workdir, port, free_port())
        with log.open("wb") as out:
            proc = subprocess.Popen([str(python), "-m", "phoenix.server.main", "serve"], env=env, stdout=out,
                                    stderr=subprocess.STDOUT, cwd=workdir)
        try:
            child.wait_until_up(proc, lambda: _healthy(url), name="Phoenix", log=log, timeout_s=startup_timeout_s,
                                error=PhoenixUnavailable)
            yield PhoenixServer(url=url, otlp_endpoint=f"{url}/v1/traces", working_dir=workdir, log=log)
        finally:
            child.stop(proc, grace_s=20)


def _as_span(row: dict[str, Any]) -> PhoenixSpan:
    return PhoenixSpan(name=row["name"], span_id=row["context"]["span_id"], parent_id=row.get("parent_id"),
                       kind=str(row.get("span_kind") or "UNKNOWN").upper(), node_id=row["id"],
                       attributes=row.get("attributes") or {})


def read_trace(url: str, trace_id: str, *, expected: int = 1, project: str = DEFAULT_PROJECT,
               timeout_s: float = 60.0) -> list[PhoenixSpan]:
    """The spans of one trace as Phoenix's REST API returns them, once at least ``expected`` have arrived.

    Phoenix ingests spans through a queue, so a span sent a moment ago may not be readable yet.

    Args:
        url: the Phoenix base URL (``PhoenixServer.url``).
        trace_id: 32 hex digits.
        expected: how many spans to wait for.
        project: the Phoenix project.
        timeout_s: how long to wait for them.

    Returns:
        The trace's spans, in Phoenix's order.

    Raises:
        PhoenixUnavailable: fewer than ``expected`` arrived in time.
    """
    query = urllib.parse.urlencode({"trace_id": trace_id, "limit": 1000})
    endpoint = f"{url}/v1/projects/{urllib.parse.quote(project)}/spans?{query}"
    deadline = time.monotonic() + timeout_s
    while True:
        rows = _get_json(endpoint)["data"]
        if len(rows) >= expected:
            return [_as_span(row) for row in rows]
        if time.monotonic() > deadline:
            raise PhoenixUnavailable(f"Phoenix holds {len(rows)} of the {expected} spans of trace {trace_id} "
                                     f"after {timeout_s:.0f} s")
        time.sleep(0.5)


def cumulative_tokens(url: str, span: PhoenixSpan) -> dict[str, int]:
    """Phoenix's token counts for a span and everything under it (what its UI shows on a trace's root).

    Args:
        url: the Phoenix base URL.
        span: a span from :func:`read_trace`.

    Returns:
        ``{"prompt": ..., "completion": ..., "total": ...}``.
    """
    answer = _get_json(f"{url}/graphql", {"query": _TOKENS_QUERY, "variables": {"id": span.node_id}})
    if answer.get("errors"):
        raise PhoenixUnavailable(f"Phoenix's GraphQL API refused the token query: {answer['errors'][0]}")
    node = answer["data"]["node"]
    return {"prompt": int(node["cumulativeTokenCountPrompt"] or 0),
            "completion": int(node["cumulativeTokenCountCompletion"] or 0),
            "total": int(node["cumulativeTokenCountTotal"] or 0)}


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """``python -m labkit.tracing.phoenix``: run Phoenix until Ctrl-C and print where to send spans."""
    parser = argparse.ArgumentParser(prog="python -m labkit.tracing.phoenix", description=main.__doc__)
    parser.add_argument("--port", type=int, default=6006, help="HTTP port on 127.0.0.1 (default 6006)")
    parser.add_argument("--dir", type=Path, default=None, help="keep its SQLite data here (default: a temp dir)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)  # `kill` stops Phoenix too, as Ctrl-C does
    try:
        with local_phoenix(port=args.port, working_dir=args.dir) as phoenix:
            print(f"Phoenix UI: {phoenix.url}\nsend spans with tracing.setup(otlp_endpoint={phoenix.otlp_endpoint!r})"
                  f"\nlog: {phoenix.log}   (Ctrl-C stops it)", flush=True)
            while True:
                time.sleep(3600)
    except PhoenixUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
