"""Both HTTP services under hostile clients (loopback only, bounded): 64 half-open connections, a 10 MB
body and 50 concurrent requests. ``/health`` keeps answering within 1 s, memory returns within 50 MB of
its baseline, and no client mistake gets a 5xx. The same driver is ``bench/bench_abuse.py``."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from labkit.llm.server import EmbeddedServer, ServerSettings, free_port

pytestmark = [pytest.mark.server, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_abuse", ROOT / "bench" / "bench_abuse.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def model_server():
    with EmbeddedServer(ServerSettings.from_env()) as server:  # its own process: its RSS is its own
        yield server


def _assert_survived(result: dict) -> None:
    assert result["health_p99_s"] < 1.0 and result["health_timeouts"] == 0, result
    assert result["rss_delta_mb"] < 50, result
    assert result["server_errors"] == 0, result
    assert all(400 <= s < 500 for s in result["big_body_status"]), result


def test_model_server_survives_abuse(bench, model_server: EmbeddedServer) -> None:
    assert model_server.process is not None and model_server.port is not None
    r = bench.abuse(model_server.port, model_server.process.pid, {
        "model": model_server.settings.model_alias, "max_tokens": 1,
        "messages": [{"role": "user", "content": "Hi"}]}, chunked_body=False)
    _assert_survived(r)
    assert r["concurrent_statuses"].get(200, 0) == bench.CONCURRENT  # slots queue them; none is lost


def test_rag_service_survives_abuse(bench, model_server: EmbeddedServer) -> None:
    port = free_port()
    env = {**os.environ, "OPENAI_BASE_URL": model_server.url, "LABKIT_MODEL": model_server.settings.model_alias,
           "PYTHONPATH": str(ROOT)}
    env.pop("LABKIT_APP_KEYS", None)
    service = bench.start_rag_service(port, env, "--max-in-flight", "4", "--deadline", "20", "--no-guards")
    try:
        r = bench.abuse(port, service.pid, {"model": "labkit-rag", "max_tokens": 2,
                                            "messages": [{"role": "user", "content": "How much is the Team plan?"}]})
    finally:
        service.terminate()
        service.wait(timeout=10)
    _assert_survived(r)
    assert r["big_body_status"] == [413, 413]
    statuses = r["concurrent_statuses"]
    # a bounded queue sheds the excess at once (429) instead of queueing it; what is admitted is answered or
    # cut at the deadline (504), on a loaded machine possibly all of it. A request answered while the burst is
    # still arriving frees its slot for a later one, so a few more than 4 of the 50 may get in (CI saw 5);
    # without the bound none would be shed.
    assert set(statuses) <= {200, 429, 504} and statuses.get(429, 0) >= bench.CONCURRENT // 2, statuses
