"""Deployment: fallback chains across providers, a local stub endpoint that fails on purpose, the
measurements that compare deployments, capacity planning and the per-token vs per-hour break-even.

* :mod:`labkit.deploy.fallback` — :class:`FallbackChain`: the first healthy provider of a list, with
  timeouts, retries with backoff, a circuit breaker and the egress policy per provider.
* :mod:`labkit.deploy.stub` — :class:`StubEndpoint`: a real OpenAI-compatible HTTP server on 127.0.0.1
  that fails as told, or simulates a hosted API (clearly labelled) with :func:`hosted_simulation`.
* :mod:`labkit.deploy.in_process` — :class:`InProcessModel`: the model loaded into this process (the
  "edge" deployment); the embedded server is the self-hosted one (:class:`labkit.llm.EmbeddedServer`).
* :mod:`labkit.deploy.measure` — :func:`time_stream`, :func:`load_test`, :func:`rss_mb`,
  :func:`server_cold_start`, :func:`scrape_metrics` and :func:`measure_deployment`.
* :mod:`labkit.deploy.quantize` — :func:`requantize` (the shipped GGUF in another format) and
  :func:`serve_weights` (one weights file served and sent fixed prompts: speed, memory, answers).
* :mod:`labkit.deploy.capacity` — :func:`plan_capacity` (replicas for a target load and p95) and
  :func:`break_even` (paying per token vs per machine-hour, by volume).
"""

from labkit.deploy.capacity import (
    BreakEven,
    CapacityPlan,
    break_even,
    cost_per_1k_hosted,
    cost_per_1k_self_hosted,
    plan_capacity,
    plot_break_even,
)
from labkit.deploy.fallback import (
    AllProvidersFailed,
    Attempt,
    ChainResult,
    FallbackChain,
    Provider,
    RetryPolicy,
    provider_client,
)
from labkit.deploy.in_process import InProcessModel
from labkit.deploy.measure import (
    ColdStart,
    DeploymentReport,
    measure_deployment,
    rss_mb,
    scrape_metrics,
    server_cold_start,
)
from labkit.deploy.quantize import WeightsRun, requantize, serve_weights
from labkit.deploy.stub import HostedSimulation, StubEndpoint, hosted_simulation
from labkit.timing import LoadResult, StreamTiming, load_test, percentile, time_stream

__all__ = [
    "AllProvidersFailed", "Attempt", "BreakEven", "CapacityPlan", "ChainResult", "ColdStart", "FallbackChain",
    "DeploymentReport", "HostedSimulation", "InProcessModel", "LoadResult", "Provider", "RetryPolicy", "StreamTiming",
    "StubEndpoint", "WeightsRun", "break_even", "cost_per_1k_hosted", "cost_per_1k_self_hosted", "hosted_simulation", "load_test",
    "measure_deployment", "percentile", "plan_capacity",
    "plot_break_even", "provider_client", "requantize", "rss_mb", "scrape_metrics", "serve_weights", "server_cold_start",
    "time_stream",
]
