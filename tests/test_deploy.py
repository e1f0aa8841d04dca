"""labkit.deploy: the fallback chain against real failing local endpoints, the measurement helpers,
capacity planning and break-even. Model-behaviour tests use the real embedded server."""

from __future__ import annotations

import math
import socket
import time

import pytest

from labkit import deploy, llm
from labkit.deploy import (
    AllProvidersFailed,
    FallbackChain,
    LoadResult,
    Provider,
    RetryPolicy,
    StubEndpoint,
    capacity,
)

MSG = [{"role": "user", "content": "Say hello."}]


class FakeSleep:
    """Records the waits a chain asks for, without waiting (the endpoints stay real)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"  # nothing listens here once the socket is closed


def test_retry_policy_backoff_grows_caps_and_honours_retry_after() -> None:
    p = RetryPolicy(backoff_s=0.5, factor=2, max_backoff_s=3, jitter=0)
    assert [p.wait(i) for i in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 3.0]
    assert p.wait(1, retry_after=2.5) == 2.5 and p.wait(1, retry_after=60) == 3  # capped
    jittery = RetryPolicy(backoff_s=1, jitter=0.2)
    waits = [jittery.wait(1) for _ in range(50)]
    assert all(0.8 <= w <= 1.2 for w in waits) and len(set(waits)) > 1
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


def test_chain_retries_a_500_then_falls_over_to_the_next_provider() -> None:
    sleep = FakeSleep()
    with StubEndpoint("500") as bad, StubEndpoint("ok") as good:
        chain = FallbackChain([Provider("bad", bad.url, "m"), Provider("good", good.url, "m")],
                              RetryPolicy(max_attempts=3, backoff_s=0.1, jitter=0), sleep=sleep)
        result = chain.create(messages=MSG, max_tokens=4)
        assert result.provider == "good" and result.text
        assert [a.outcome for a in result.attempts] == ["http 500"] * 3 + ["ok"]
        assert bad.count == 3 and good.count == 1
        assert sleep.waits == [0.1, 0.2]  # exponential backoff between the three tries


def test_chain_honours_retry_after_on_429_and_recovers_on_the_same_provider() -> None:
    sleep = FakeSleep()
    with StubEndpoint(["429", "ok"], retry_after=1.5) as limited:
        chain = FallbackChain([Provider("limited", limited.url, "m")], RetryPolicy(backoff_s=0.1), sleep=sleep)
        result = chain.create(messages=MSG, max_tokens=4)
        assert result.provider == "limited" and [a.outcome for a in result.attempts] == ["http 429", "ok"]
        assert sleep.waits == [1.5]


def test_chain_times_out_a_hanging_endpoint_and_moves_on() -> None:
    with StubEndpoint("hang", hang_s=20) as hang, StubEndpoint("ok") as good:
        chain = FallbackChain([Provider("hang", hang.url, "m", timeout_s=0.5), Provider("good", good.url, "m")])
        t0 = time.perf_counter()
        result = chain.create(messages=MSG, max_tokens=4)
        elapsed = time.perf_counter() - t0
        assert result.provider == "good" and result.attempts[0].outcome == "timeout"
        assert elapsed < 5, f"the hang should cost about the 0.5 s timeout, took {elapsed:.1f} s"
        assert hang.count == 1  # timeouts are not retried on the same provider by default


def test_non_retryable_errors_and_refused_connections() -> None:
    sleep = FakeSleep()
    with StubEndpoint("400") as bad_request, StubEndpoint("ok") as good:
        chain = FallbackChain([Provider("down", closed_port_url(), "m", timeout_s=2),
                               Provider("bad-request", bad_request.url, "m"), Provider("good", good.url, "m")],
                              RetryPolicy(max_attempts=2, backoff_s=0.01), sleep=sleep)
        result = chain.create(messages=MSG, max_tokens=4)
        outcomes = [(a.provider, a.outcome) for a in result.attempts]
        assert outcomes == [("down", "connection"), ("down", "connection"), ("bad-request", "http 400"),
                            ("good", "ok")]
        assert bad_request.count == 1  # a 400 will not get better by asking again


def test_all_providers_failing_raises_with_every_attempt() -> None:
    with StubEndpoint("503") as a, StubEndpoint("close") as b:
        chain = FallbackChain([Provider("a", a.url, "m"), Provider("b", b.url, "m")],
                              RetryPolicy(max_attempts=2, backoff_s=0), sleep=FakeSleep())
        with pytest.raises(AllProvidersFailed, match="every provider failed") as info:
            chain.create(messages=MSG)
        assert [x.outcome for x in info.value.attempts] == ["http 503", "http 503", "connection", "connection"]


def test_circuit_breaker_skips_a_provider_after_repeated_failures() -> None:
    with StubEndpoint("500") as bad, StubEndpoint("ok") as good:
        chain = FallbackChain([Provider("bad", bad.url, "m"), Provider("good", good.url, "m")],
                              RetryPolicy(max_attempts=1, breaker_threshold=2, breaker_cooldown_s=60),
                              sleep=FakeSleep())
        for _ in range(2):
            chain.create(messages=MSG, max_tokens=2)
        assert chain.circuit_open("bad") and bad.count == 2
        result = chain.create(messages=MSG, max_tokens=2)
        assert result.attempts[0].outcome == "skipped (circuit open)" and bad.count == 2


def test_chain_arguments_are_validated() -> None:
    with pytest.raises(ValueError, match="at least one provider"):
        FallbackChain([])
    with pytest.raises(ValueError, match="unique"):
        FallbackChain([Provider("a", "http://x/v1", "m"), Provider("a", "http://y/v1", "m")])
    with pytest.raises(ValueError, match="http"):
        Provider("a", "ftp://x", "m")
    with StubEndpoint("ok") as s:
        with pytest.raises(TypeError, match="model"):
            FallbackChain([Provider("s", s.url, "m")]).create(model="x", messages=MSG)
    with pytest.raises(ValueError, match="unknown behaviour"):
        StubEndpoint("418")


def test_calls_through_the_chain_land_in_the_ledger() -> None:
    with StubEndpoint(["500", "ok"]) as s:
        mark = llm.ledger.mark()
        FallbackChain([Provider("flaky", s.url, "m")], RetryPolicy(backoff_s=0), sleep=FakeSleep()).create(
            messages=MSG, max_tokens=3)
        frame = llm.ledger.frame(since=mark)
        assert list(frame["status"]) == [500, 200] and set(frame["backend"]) == {"flaky"}


def test_stub_simulates_latency_and_rate_limits() -> None:
    with StubEndpoint("ok", ttft_s=0.2, tokens_per_s=100, output_tokens=11, rate_limit_rpm=3) as s:
        client = deploy.provider_client(Provider("sim", s.url, "m"))
        t = deploy.time_stream(client, "m", MSG, max_tokens=11)
        assert 0.18 <= t.ttft_s < 1.0 and t.output_tokens == 11
        assert 40 < t.tokens_per_s < 130  # 100 tokens/s requested, loose for a busy machine
        statuses = []
        for _ in range(3):
            try:
                client.chat.completions.create(model="m", messages=MSG, max_tokens=2)
                statuses.append(200)
            except Exception as exc:  # noqa: BLE001
                statuses.append(getattr(exc, "status_code", 0))
        assert statuses == [200, 200, 429]  # the 4th request in a minute is over a 3 rpm limit


def test_load_test_concurrency_overlaps_waiting_requests() -> None:
    with StubEndpoint("ok", ttft_s=0.3, output_tokens=4) as s:
        client = deploy.provider_client(Provider("sim", s.url, "m"))

        def call(i: int) -> int:
            r = client.chat.completions.create(model="m", messages=MSG, max_tokens=4)
            return r.usage.completion_tokens

        serial = deploy.load_test(call, concurrency=1, requests=4)
        parallel = deploy.load_test(call, concurrency=4, requests=4)
    assert serial.errors == parallel.errors == 0 and serial.output_tokens == 16
    assert parallel.throughput_rps > 2 * serial.throughput_rps  # a hosted API scales out; a queue would not
    assert serial.p50_s <= serial.p95_s
    assert set(serial.row()) >= {"p50_s", "p95_s", "throughput_rps"}


def test_percentile() -> None:
    assert deploy.percentile([1, 2, 3, 4, 5], 50) == 3
    assert deploy.percentile([1, 2, 3, 4, 5], 95) == pytest.approx(4.8)
    assert math.isnan(deploy.percentile([], 50))
    with pytest.raises(ValueError):
        deploy.percentile([1], 101)


def _curve(points: list[tuple[int, float, float]]) -> list[LoadResult]:
    """Load results with a given concurrency, throughput and p95 (latencies all equal to p95)."""
    return [LoadResult(c, [p95] * 20, 0, 0, 20 / rps) for c, rps, p95 in points]


def test_plan_capacity_picks_the_fastest_point_within_p95() -> None:
    curve = _curve([(1, 1.0, 1.0), (2, 1.6, 1.3), (4, 2.0, 2.5)])
    plan = deploy.plan_capacity(curve, target_rps=10, p95_target_s=1.5, headroom=0.8)
    assert plan.concurrency == 2 and plan.replicas == math.ceil(10 / (1.6 * 0.8))
    assert "replica" in plan.describe()
    relaxed = deploy.plan_capacity(curve, target_rps=10, p95_target_s=3, headroom=0.8)
    assert relaxed.concurrency == 4 and relaxed.replicas < plan.replicas
    with pytest.raises(ValueError, match="no measured concurrency"):
        deploy.plan_capacity(curve, target_rps=10, p95_target_s=0.5)


def test_costs_and_break_even() -> None:
    assert deploy.cost_per_1k_hosted(1000, 500, input_usd_per_m=0.15, output_usd_per_m=0.60) == pytest.approx(0.45)
    assert deploy.cost_per_1k_self_hosted(3.6, 1.0) == pytest.approx(1.0)
    assert deploy.cost_per_1k_self_hosted(3.6, 1.0, utilisation=0.5) == pytest.approx(2.0)
    be = deploy.break_even(1000, 500, input_usd_per_m=0.15, output_usd_per_m=0.60, usd_per_hour=2.0, replica_rps=5,
                           min_replicas=1, peak_to_mean=1)
    # One replica all month costs 2 * 730 = $1460; per token, $0.00045 a request: equal at 1460 / 0.00045.
    assert be.break_even_volume == pytest.approx(1460 / 0.00045)
    fig = deploy.plot_break_even({"a": be})
    assert fig.axes[0].get_xscale() == "log"
    never = deploy.break_even(100, 10, input_usd_per_m=0.1, output_usd_per_m=0.4, usd_per_hour=50, replica_rps=0.01,
                              volumes=[1e3, 1e6])
    assert never.break_even_volume is None


@pytest.mark.parametrize("per_hour, rps, min_replicas, peak", [(2.5, 62.5, 1, 2.0), (0.1, 0.6, 2, 1.5),
                                                              (4.0, 20.0, 1, 3.0), (1.0, 3.0, 3, 1.0)])
def test_break_even_is_exact_against_a_brute_force_scan(per_hour: float, rps: float, min_replicas: int,
                                                        peak: float) -> None:
    """The staircase can poke above the line just after each step; the break-even must be past all of them."""
    be = deploy.break_even(44, 32, input_usd_per_m=0.15, output_usd_per_m=0.60, usd_per_hour=per_hour, replica_rps=rps,
                           min_replicas=min_replicas, peak_to_mean=peak)
    carry = rps * 730 * 3600 / peak
    # Probe just after every step edge and between them, far past the break-even.
    probes = sorted({k * carry * f for k in range(1, 400) for f in (0.5, 1.0 + 1e-9, 1.001)})
    probes = [v for v in probes if v > 0]
    cost = deploy.cost_per_1k_hosted(44, 32, input_usd_per_m=0.15, output_usd_per_m=0.60) / 1000

    def above(v: float) -> bool:
        return capacity._replica_monthly(v, rps, per_hour, min_replicas, peak) > v * cost * (1 + 1e-12)

    if be.break_even_volume is None:
        assert any(above(v) for v in probes[-50:])
    else:
        assert not any(above(v) for v in probes if v >= be.break_even_volume)
        assert above(be.break_even_volume * 0.999) or be.break_even_volume == 0
    fig = deploy.plot_break_even({"a": be})
    assert fig.axes[0].get_xscale() == "log"


# ---------------------------------------------------------------- the real embedded server

@pytest.mark.server
def test_chain_falls_back_to_the_real_embedded_server(embedded) -> None:
    with StubEndpoint("500") as bad:
        chain = FallbackChain([Provider("bad", bad.url, "m"), Provider.current("local", timeout_s=300)],
                              RetryPolicy(max_attempts=2, backoff_s=0.01))
        result = chain.create(messages=MSG, max_tokens=8, temperature=0)
    assert result.provider == "local" and result.text.strip()
    assert [a.outcome for a in result.attempts] == ["http 500", "http 500", "ok"]


@pytest.mark.server
def test_measurements_on_the_embedded_server(embedded) -> None:
    client = llm.client()
    t = deploy.time_stream(client, llm.model_for("chat"), MSG, max_tokens=16, temperature=0)
    assert 0 < t.ttft_s < t.total_s and t.output_tokens > 1 and t.tokens_per_s > 0
    metrics = deploy.scrape_metrics(embedded.root_url)
    assert any(name.startswith("llamacpp:") for name in metrics)
    assert deploy.rss_mb(embedded.process.pid) > 50  # a loaded model, not an empty process


@pytest.mark.server
@pytest.mark.slow
def test_in_process_model_answers_without_a_server_hop() -> None:
    model = deploy.InProcessModel(n_ctx=512, n_threads=2)
    try:
        assert model.load_s > 0
        reply = model.chat(MSG, max_tokens=8, temperature=0)
        assert reply["choices"][0]["message"]["content"].strip()
        t = model.time_stream(MSG, max_tokens=8, temperature=0)
        assert 0 < t.ttft_s <= t.total_s and t.output_tokens >= 1
    finally:
        model.close()


def test_hosted_simulation_is_labelled_and_priced_from_the_registry() -> None:
    from labkit.llm import registry

    sim = deploy.hosted_simulation()
    info = registry.get(registry.role_model("openai", "chat"))
    assert "SIMULATED" in sim.name and "not measured" in sim.source
    assert (sim.input_usd_per_m, sim.output_usd_per_m) == (info.input_usd_per_m, info.output_usd_per_m)


def test_measure_deployment_against_a_simulated_hosted_api() -> None:
    sim = deploy.HostedSimulation("sim", ttft_s=0.1, tokens_per_s=200, input_usd_per_m=1, output_usd_per_m=2,
                                  source="test")
    with StubEndpoint.simulating(sim, output_tokens=8) as stub:
        client = deploy.provider_client(Provider("sim", stub.url, "m"))

        def call(i: int) -> int:
            return client.chat.completions.create(model="m", messages=MSG, max_tokens=8).usage.completion_tokens

        report = deploy.measure_deployment("sim", lambda: deploy.time_stream(client, "m", MSG, max_tokens=8), call,
                                           cold_start_s=0.0, memory_mb=0.0, levels=(1, 2), requests=2, streams=2)
    assert report.ttft_s >= 0.09 and report.tokens_per_s > 0
    assert [r.concurrency for r in report.curve] == [1, 2] and report.at(2).output_tokens == 16
    row = report.row(2, usd_per_1k=0.5)
    assert row["deployment"] == "sim" and row["$ / 1k requests"] == 0.5 and "p95 s @2" in row
    with pytest.raises(KeyError, match="not measured at concurrency 4"):
        report.at(4)


def test_measure_deployment_interleaves_rounds_and_pools_each_level() -> None:
    calls: list[int] = []

    def call(i: int) -> int:
        calls.append(i)  # list.append is atomic
        return 3

    def stream() -> deploy.StreamTiming:
        return deploy.StreamTiming(ttft_s=0.1, total_s=0.5, output_tokens=8)

    report = deploy.measure_deployment("fake", stream, call, cold_start_s=0.0, memory_mb=0.0,
                                       levels=(1, 2), requests=2, rounds=3)
    assert [len(r.latencies_s) for r in report.curve] == [6, 6] and report.at(2).output_tokens == 18
    assert report.tokens_per_decode == {}, "no metrics_url: nothing counted"
    assert len(calls) == 12
    with pytest.raises(ValueError, match="same concurrency"):
        deploy.measure.merge_loads([report.at(1), report.at(2)])
    with pytest.raises(ValueError, match="rounds >= 1"):
        deploy.measure_deployment("fake", stream, call, cold_start_s=0.0, memory_mb=0.0, rounds=0)


@pytest.mark.parametrize("exercise_id, wrong", [
    ("nb03.replicas", lambda target, per, headroom: int(target / per)),  # forgot headroom and rounding up
    ("nb03.break_even", lambda usd_h, replicas, usd_req: usd_h * 730 / usd_req),  # forgot the replicas
])
def test_nb03_exercises_check_the_reference_and_reject_a_wrong_answer(exercise_id: str, wrong) -> None:
    from labkit.exercises import get

    ex = get(exercise_id)
    assert ex.check(ex.solution)
    with pytest.raises(AssertionError, match="Hint"):
        ex.check(wrong)
