"""labkit.perf: percentiles, the knee of a sweep, the monthly projection, and (server) a tiny
concurrency sweep and the prefix-cache trial on the real embedded server."""

from __future__ import annotations

import math
from typing import Any

import pytest

from labkit import perf
from labkit.perf import LatencyStats, Route, SweepPoint


def test_percentile_interpolates() -> None:
    assert perf.percentile([1, 2, 3, 4], 50) == 2.5
    assert perf.percentile([5], 95) == 5
    assert math.isnan(perf.percentile([], 50))
    with pytest.raises(ValueError, match="q must be"):
        perf.percentile([1], 101)


def _point(c: int, tps: float) -> SweepPoint:
    s = LatencyStats.of([1.0])
    return SweepPoint(c, 4, 1.0, int(tps), tps, tps / c, s, s)


def test_knee_is_the_lowest_concurrency_near_the_best_throughput() -> None:
    pts = [_point(1, 60), _point(2, 100), _point(4, 150), _point(8, 160), _point(16, 158)]
    assert perf.knee(pts).concurrency == 4  # 150 >= 0.9 * 160
    assert perf.knee(pts, fraction=1.0).concurrency == 8
    with pytest.raises(ValueError, match="no sweep"):
        perf.knee([])


def test_projection_cost_is_exact_and_latency_reflects_the_mix() -> None:
    cache = Route("cache", 0, 0, 0, 0, ttft_s=0.02, latency_cv=0.1)
    model = Route("model", 1000, 200, 0.15, 0.60, ttft_s=0.5, tokens_per_s=50, latency_cv=0.2)
    all_model = perf.project(1000, [cache, model], [0.0, 1.0])
    half = perf.project(1000, [cache, model], [0.5, 0.5])
    assert all_model.monthly_usd == pytest.approx(30_000 * (1000 * 0.15 + 200 * 0.60) / 1e6)
    assert half.monthly_usd == pytest.approx(all_model.monthly_usd / 2)
    assert half.latency_p50_s < all_model.latency_p50_s  # half the requests take 20 ms
    assert half.latency_p95_s == pytest.approx(all_model.latency_p95_s, rel=0.15)  # the tail is still the model
    assert perf.project(1000, [cache, model], [0.5, 0.5]) == half  # seeded: reproducible
    with pytest.raises(ValueError, match="sum to 1"):
        perf.project(1000, [cache, model], [0.5, 0.6])
    with pytest.raises(ValueError, match="tokens_per_s"):
        Route("x", 1, 1, 1, 1, 1, tokens_per_s=0)


@pytest.mark.server
def test_tiny_sweep_and_prefix_cache_on_the_embedded_server(embedded: Any) -> None:
    # 16 tokens, not 4: on a loaded machine a 4-token answer can end before its twin's prompt is read,
    # and then the two never stream at the same moment (CI saw a peak of 1).
    pts = perf.concurrency_sweep((1, 2), requests_per_level=2, max_tokens=16, rounds=2)  # rounds pooled per level
    assert [p.concurrency for p in pts] == [1, 2]
    assert all(p.requests == 4 and p.output_tokens == 64 and p.errors == 0 for p in pts)  # ignore_eos: exact length
    assert all(p.ttft.p50 <= p.latency.p50 for p in pts)
    assert pts[1].peak_generating == 2, "2 callers: both answers stream at once"
    prefix = "You are a careful assistant for the Quaywise product. Answer briefly. " * 12
    trial = perf.prefix_cache_trial(prefix, ["Hi?", "Hello?"], max_tokens=2)
    assert trial.prefix_tokens > 100
    assert trial.shared_cached[1] > 0.8 * trial.prefix_tokens  # the second call reused the slot's cache
    assert max(trial.cold_cached) < 0.2 * trial.prefix_tokens  # a unique prefix reuses (almost) nothing


@pytest.mark.server
def test_measure_deployment_counts_tokens_per_decode_from_the_servers_metrics(embedded: Any) -> None:
    from labkit import deploy, llm

    client, alias = llm.client(max_retries=0), embedded.settings.model_alias
    args = llm.capabilities(embedded.url).extra_body(ignore_eos=True)
    msgs = [{"role": "user", "content": "Say something."}]

    def call(i: int) -> int:
        return client.chat.completions.create(model=alias, messages=msgs, max_tokens=32, temperature=0,
                                              extra_body=args).usage.completion_tokens

    report = deploy.measure_deployment("local", lambda: deploy.time_stream(client, alias, msgs, max_tokens=4), call,
                                       cold_start_s=0.0, memory_mb=0.0, levels=(1, 4), requests=2, streams=1,
                                       metrics_url=embedded.root_url)
    alone, together = report.tokens_per_decode[1], report.tokens_per_decode[4]
    assert alone <= 1.01, "one caller: one token per forward pass"
    assert together > 1.5, "four callers share forward passes (continuous batching)"


def test_peak_overlap_counts_streams_generating_at_one_moment() -> None:
    from labkit.timing import StreamTiming

    def stream(start: float, first: float, end: float) -> StreamTiming:
        return StreamTiming(ttft_s=first - start, total_s=end - start, output_tokens=8, started_s=start)

    one_after_another = [stream(0, 0.1, 1.0), stream(0, 1.0, 2.0), stream(0, 2.0, 3.0)]  # queued: no overlap
    together = [stream(0, 0.2, 2.0), stream(0, 0.3, 2.1), stream(0.1, 0.4, 2.2)]
    assert perf.peak_overlap(one_after_another) == 1
    assert perf.peak_overlap(together) == 3
    assert perf.peak_overlap([]) == 0


def test_projection_breaks_cost_and_latency_down_by_route_and_charts_them() -> None:
    routes = [perf.Route("cache hit", 0, 0, 0, 0, ttft_s=0.01), perf.Route("small", 400, 50, 0.15, 0.6, ttft_s=0.3),
              perf.Route("large", 800, 50, 2.5, 10.0, ttft_s=0.6, tokens_per_s=40)]
    p = perf.project(1000, routes, [0.3, 0.5, 0.2])
    assert sum(i + o for i, o in p.usd_by_route.values()) == pytest.approx(p.monthly_usd)
    assert p.usd_by_route["cache hit"] == (0.0, 0.0) and p.usd_by_route["large"][0] > p.usd_by_route["small"][0]
    assert p.latency_by_route["large"] > p.latency_by_route["small"] > p.latency_by_route["cache hit"]
    from labkit.perf_chart import projection_figure

    fig = projection_figure(p)
    assert [ax.get_title() for ax in fig.axes][1] == "latency by route" and len(fig.axes[0].patches) == 6
    with pytest.raises(ValueError, match="no per-route breakdown"):
        projection_figure(perf.Projection(1, 1, 1, 1, 1, {}))
