"""Latency and throughput measurements against a live OpenAI-compatible server.

* :func:`concurrency_sweep` — throughput and latency at 1, 2, 4, ... concurrent requests: the
  server's continuous batching turns concurrency into throughput until the hardware (or the
  number of slots) runs out; :func:`knee` finds where adding callers stops paying.
* :func:`prefix_cache_trial` — time to first token with and without a shared prompt prefix, and
  the ``cached_tokens`` the server reports: llama.cpp keeps each slot's KV cache and reuses the
  longest common prefix of the next prompt that lands on that slot.
* :class:`LatencyStats` — p50/p95/mean/max (:func:`~labkit.timing.percentile` and the timing of one
  streamed call, :func:`~labkit.timing.time_stream`, are in :mod:`labkit.timing`).

Every request goes through ``labkit.llm`` clients, so it is also in the ledger.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labkit import llm
from labkit.timing import LoadResult, StreamTiming, load_test, percentile, time_stream


@dataclass(frozen=True)
class LatencyStats:
    """p50, p95, mean and max of a set of latencies (seconds)."""

    n: int
    p50: float
    p95: float
    mean: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> LatencyStats:
        vals = [float(v) for v in values]
        if not vals:
            return cls(0, math.nan, math.nan, math.nan, math.nan)
        return cls(len(vals), percentile(vals, 50), percentile(vals, 95), statistics.fmean(vals), max(vals))


@dataclass(frozen=True)
class SweepPoint:
    """One concurrency level of a sweep.

    Attributes:
        concurrency: requests in flight at once.
        requests: requests completed.
        wall_s: time from the first request sent to the last answer received.
        output_tokens: tokens generated in total.
        throughput_tps: generated tokens per second over the wall time (the server's throughput).
        per_request_tps: tokens per second one caller sees (its tokens over its own latency).
        latency: end-to-end latency of the requests.
        ttft: time to first token of the requests.
        peak_generating: the most requests that were streaming tokens at one moment (between their first and
            last token): 1 when the server answers one after another, up to ``concurrency`` when it batches.
    """

    concurrency: int
    requests: int
    wall_s: float
    output_tokens: int
    throughput_tps: float
    per_request_tps: float
    latency: LatencyStats
    ttft: LatencyStats
    errors: int = 0
    peak_generating: int = 0


def _streamed_call(client: Any, model: str, prompts: Sequence[str], max_tokens: int,
                   results: list[StreamTiming]) -> Callable[[int], int]:
    """A :func:`load_test` call: stream request ``i`` (``ignore_eos``, where the endpoint accepts it: every
    answer ``max_tokens`` long), keep its timing in ``results`` and return its token count."""
    fixed_length = _supported(client, model, ignore_eos=True)

    def call(i: int) -> int:
        msgs = [{"role": "user", "content": prompts[i % len(prompts)]}]
        t = time_stream(client, model, msgs, max_tokens=max_tokens, temperature=0, extra_body=fixed_length)
        results.append(t)  # list.append is atomic; load_test counts a raised call as an error
        return t.output_tokens

    return call


def _supported(client: Any, model: str, **fields: Any) -> dict[str, Any]:
    """The llama.cpp request ``fields`` that the endpoint behind ``client`` accepts (``llm.capabilities``)."""
    return llm.capabilities(str(client.base_url), model).extra_body(**fields)


def concurrency_sweep(levels: Sequence[int] = (1, 2, 4, 8, 16), requests_per_level: int | None = None,
                      max_tokens: int = 48, *, prompts: Sequence[str] | None = None, client: Any = None,
                      model: str | None = None, progress: Callable[[str], None] | None = None,
                      rounds: int = 1) -> list[SweepPoint]:
    """Throughput and latency at each concurrency level, on the live server.

    Each level sends ``requests_per_level`` streamed requests (default: twice the level, at least 4)
    from that many threads. With ``rounds`` > 1 the levels take turns (1, 2, 4, 1, 2, 4, ...) and each
    level's rounds are pooled, so a change in the machine's load falls on every level alike.
    ``ignore_eos`` makes every answer exactly ``max_tokens`` long on llama.cpp servers, so levels are comparable; it is sent only where ``llm.capabilities`` says the
    endpoint accepts it (elsewhere answers may stop early, and throughput counts the tokens generated).

    Args:
        levels: concurrency levels, each >= 1.
        requests_per_level: requests per level.
        max_tokens: tokens generated per request.
        prompts: user prompts to cycle through (distinct prompts avoid prefix-cache effects).
        client / model: ``llm.client()`` and ``llm.model_for("chat")`` by default.
        progress: called with a line per level (e.g. ``print``).
        rounds: passes over the levels, interleaved (requests per level and round as above).

    Returns:
        One :class:`SweepPoint` per level.
    """
    if not levels or any(not isinstance(c, int) or c < 1 for c in levels):
        raise ValueError(f"levels must be integers >= 1, got {levels!r}")
    if max_tokens < 1 or rounds < 1:
        raise ValueError(f"max_tokens and rounds must be >= 1, got {max_tokens}, {rounds}")

    client = client or llm.client(max_retries=0, timeout=600)
    model = model or llm.model_for("chat")
    prompts = list(prompts or [f"Write a short note about topic number {i}: shipping software." for i in range(64)])
    results: dict[int, list[StreamTiming]] = {level: [] for level in levels}
    runs: dict[int, list[LoadResult]] = {level: [] for level in levels}
    calls = {level: _streamed_call(client, model, prompts, max_tokens, results[level]) for level in levels}
    for _ in range(rounds):
        for level in levels:
            n = requests_per_level or max(4, 2 * level)
            runs[level].append(load_test(calls[level], concurrency=level, requests=n))
    points = []
    for level in levels:
        done = results[level]
        tokens, wall = sum(r.output_tokens for r in runs[level]), sum(r.wall_s for r in runs[level])
        point = SweepPoint(
            concurrency=level, requests=len(done), wall_s=wall, output_tokens=tokens,
            throughput_tps=tokens / wall if wall > 0 else 0.0,
            per_request_tps=statistics.fmean(r.output_tokens / r.total_s for r in done) if done else 0.0,
            latency=LatencyStats.of([r.total_s for r in done]), ttft=LatencyStats.of([r.ttft_s for r in done]),
            errors=sum(r.errors for r in runs[level]), peak_generating=peak_overlap(done))
        points.append(point)
        if progress:
            progress(f"concurrency {level:>2}: {point.throughput_tps:6.1f} tok/s total, "
                     f"p50 latency {point.latency.p50:5.2f} s, p95 {point.latency.p95:5.2f} s")
    return points


def peak_overlap(timings: Sequence[StreamTiming]) -> int:
    """The most streams that were generating at one moment (between first and last token; clock order only)."""
    events = sorted([(t.started_s + t.ttft_s, 1) for t in timings if t.total_s > t.ttft_s]
                    + [(t.started_s + t.total_s, -1) for t in timings if t.total_s > t.ttft_s])
    peak = now = 0
    for _, step in events:  # at equal times an end (-1) sorts first: touching intervals do not overlap
        now += step
        peak = max(peak, now)
    return peak


def knee(points: Sequence[SweepPoint], fraction: float = 0.9) -> SweepPoint:
    """The lowest concurrency that reaches ``fraction`` of the best throughput of the sweep.

    Beyond it, more callers add latency but little throughput: the sensible operating point.
    """
    if not points:
        raise ValueError("no sweep points")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    best = max(p.throughput_tps for p in points)
    return min((p for p in points if p.throughput_tps >= fraction * best), key=lambda p: p.concurrency)


@dataclass
class PrefixTrial:
    """TTFT with a shared prompt prefix against prompts that share nothing.

    Attributes:
        prefix_tokens: prompt tokens of the shared prefix (as the server counted the first call).
        shared_ttft / cold_ttft: TTFT of each call with the shared prefix / with a unique prefix.
        shared_cached / cold_cached: ``cached_tokens`` the server reported for each call.
        no_cache_ttft: TTFT of the shared-prefix prompts with ``cache_prompt`` switched off (empty when the
            endpoint does not accept ``cache_prompt``: there is no control run then).
        pinned: whether the calls were pinned to one slot (``id_slot`` sent).
    """

    prefix_tokens: int
    shared_ttft: list[float] = field(default_factory=list)
    shared_cached: list[int] = field(default_factory=list)
    cold_ttft: list[float] = field(default_factory=list)
    cold_cached: list[int] = field(default_factory=list)
    no_cache_ttft: list[float] = field(default_factory=list)
    pinned: bool = False

    @property
    def speedup(self) -> float:
        """Median cold TTFT over median shared-prefix TTFT (first shared call excluded: it fills the cache)."""
        warm = self.shared_ttft[1:] or self.shared_ttft
        return statistics.median(self.cold_ttft) / statistics.median(warm)


def prefix_cache_trial(prefix: str, questions: Sequence[str], client: Any = None, *, model: str | None = None,
                       max_tokens: int = 8, slot: int | None = 0) -> PrefixTrial:
    """Measure prompt (KV) caching: the same long system prompt before different questions.

    Three runs of the same questions, sequentially: (1) after the shared ``prefix``; (2) after a
    prefix of the same length made unique per call (a different first line), so nothing can be
    reused; (3) the shared prefix with ``cache_prompt: false`` (llama.cpp), the control, only where the
    endpoint accepts ``cache_prompt`` (``llm.capabilities``).

    llama.cpp keeps a KV cache per slot and reuses the longest common prefix with the slot's last
    prompt. Pinning every call to one slot (``id_slot``) makes the reuse deterministic; with several
    slots the server picks the slot whose cache is most similar, which usually works too.

    Args:
        prefix: a long shared system prompt (hundreds of tokens).
        questions: user questions (at least 2).
        client / model: ``llm.client()`` and ``llm.model_for("chat")`` by default.
        max_tokens: tokens to generate per call (small: this measures the prompt side).
        slot: llama.cpp slot to pin the calls to (where ``id_slot`` is accepted); None lets the server choose.

    Returns:
        A :class:`PrefixTrial`.
    """
    if len(questions) < 2:
        raise ValueError("give at least 2 questions")
    if len(prefix.split()) < 20:
        raise ValueError("the prefix should be long (hundreds of tokens) for caching to show")

    client = client or llm.client(max_retries=0, timeout=600)
    model = model or llm.model_for("chat")
    pin: dict[str, Any] = {} if slot is None else _supported(client, model, id_slot=slot)
    control = _supported(client, model, cache_prompt=False)
    trial = PrefixTrial(prefix_tokens=0, pinned=bool(pin))
    for i, q in enumerate(questions):
        msgs = [{"role": "system", "content": prefix}, {"role": "user", "content": q}]
        t = time_stream(client, model, msgs, max_tokens=max_tokens, temperature=0, extra_body=pin)
        trial.shared_ttft.append(t.ttft_s)
        trial.shared_cached.append(t.cached_tokens)
        if i == 0:
            trial.prefix_tokens = t.input_tokens
    for i, q in enumerate(questions):
        unique = f"Session {time.time_ns()}-{i}. " + prefix  # differs from the first token on
        msgs = [{"role": "system", "content": unique}, {"role": "user", "content": q}]
        t = time_stream(client, model, msgs, max_tokens=max_tokens, temperature=0, extra_body=pin)
        trial.cold_ttft.append(t.ttft_s)
        trial.cold_cached.append(t.cached_tokens)
    for q in questions if control else ():
        msgs = [{"role": "system", "content": prefix}, {"role": "user", "content": q}]
        t = time_stream(client, model, msgs, max_tokens=max_tokens, temperature=0, extra_body={**pin, **control})
        trial.no_cache_ttft.append(t.ttft_s)
    return trial


# --------------------------------------------------------------------------------------------
# Monthly cost and latency projection (the cost calculator)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    """One way a request can be served, with its per-request numbers.

    Attributes:
        name: "cache", "small", "large", ...
        input_tokens / output_tokens: tokens per request on this route (0 for a cache hit).
        usd_per_m_input / usd_per_m_output: prices per million tokens.
        ttft_s: time to first token (the whole latency for a cache hit).
        tokens_per_s: generation speed after the first token (ignored when output_tokens is 0).
        latency_cv: coefficient of variation of latency (spread), for the p95.
    """

    name: str
    input_tokens: float
    output_tokens: float
    usd_per_m_input: float
    usd_per_m_output: float
    ttft_s: float
    tokens_per_s: float = 90.0
    latency_cv: float = 0.3

    def __post_init__(self) -> None:
        for f in ("input_tokens", "output_tokens", "usd_per_m_input", "usd_per_m_output", "ttft_s", "latency_cv"):
            if getattr(self, f) < 0:
                raise ValueError(f"{f} must be >= 0, got {getattr(self, f)}")
        if self.tokens_per_s <= 0:
            raise ValueError(f"tokens_per_s must be > 0, got {self.tokens_per_s}")

    @property
    def usd_per_request(self) -> float:
        return (self.input_tokens * self.usd_per_m_input + self.output_tokens * self.usd_per_m_output) / 1e6

    @property
    def mean_latency_s(self) -> float:
        return self.ttft_s + self.output_tokens / self.tokens_per_s


@dataclass(frozen=True)
class Projection:
    """Monthly cost and latency percentiles of a traffic mix (latency by seeded simulation)."""

    requests_per_month: float
    monthly_usd: float
    usd_per_request: float
    latency_p50_s: float
    latency_p95_s: float
    share: dict[str, float]
    usd_by_route: dict[str, tuple[float, float]] = field(default_factory=dict)  # route -> (input, output) $/month
    latency_by_route: dict[str, float] = field(default_factory=dict)  # route -> mean seconds a request


def project(requests_per_day: float, routes: Sequence[Route], shares: Sequence[float], *, days: float = 30.0,
            samples: int = 20_000, seed: int = 0) -> Projection:
    """Project a month of traffic served by a mix of routes.

    Cost is exact arithmetic (requests x share x cost per request). Latency percentiles come from a
    *simulation*: each route's latency is drawn from a log-normal with the route's mean and spread,
    ``samples`` draws with a fixed seed, so the same inputs always give the same p95.

    Args:
        requests_per_day: traffic.
        routes: the routes (e.g. cache hit, small model, large model).
        shares: fraction of requests per route; must sum to 1.
        days: days in the month.
        samples / seed: the latency simulation.

    Returns:
        A :class:`Projection`.
    """
    if requests_per_day < 0 or days <= 0:
        raise ValueError(f"requests_per_day must be >= 0 and days > 0, got {requests_per_day}, {days}")
    if len(routes) != len(shares) or not routes:
        raise ValueError(f"give one share per route: {len(routes)} routes, {len(shares)} shares")
    if any(s < 0 for s in shares) or abs(sum(shares) - 1) > 1e-6:
        raise ValueError(f"shares must be >= 0 and sum to 1, got {list(shares)} (sum {sum(shares):.4f})")
    n = requests_per_day * days
    per_request = sum(r.usd_per_request * s for r, s in zip(routes, shares, strict=True))
    rng = np.random.default_rng(seed)
    which = rng.choice(len(routes), size=samples, p=np.asarray(shares, dtype=float) / sum(shares))
    lat = np.empty(samples)
    for i, r in enumerate(routes):
        mask = which == i
        mean, cv = max(r.mean_latency_s, 1e-6), r.latency_cv
        sigma = math.sqrt(math.log(1 + cv * cv))
        lat[mask] = rng.lognormal(math.log(mean) - sigma * sigma / 2, sigma, size=int(mask.sum()))
    usd = {r.name: (n * s * r.input_tokens * r.usd_per_m_input / 1e6, n * s * r.output_tokens * r.usd_per_m_output / 1e6)
           for r, s in zip(routes, shares, strict=True)}
    return Projection(n, n * per_request, per_request, float(np.percentile(lat, 50)), float(np.percentile(lat, 95)),
                      {r.name: float(s) for r, s in zip(routes, shares, strict=True)}, usd,
                      {r.name: r.mean_latency_s for r in routes})


SEED_KEYS = ("prompt_tokens", "answer_tokens", "prefill_tps", "decode_tps", "overhead_s", "cache_hit_s",
         "cache_hit_rate", "large_share", "small_prompt_ratio", "large_slowdown", "requests_per_day",
         "small_in_usd_per_m", "small_out_usd_per_m", "large_in_usd_per_m", "large_out_usd_per_m")


class CostLatencyDemo:
    """The cost and latency calculator behind the demo: sliders in, monthly cost and p95 out.

    Display ``demo.widget``; ``update()`` recomputes from the widgets' values (call it yourself to
    drive it headless), ``last`` holds the latest :class:`Projection`.

    Args:
        seed: ``prompt_tokens``, ``answer_tokens``, ``prefill_tps``, ``decode_tps``, ``overhead_s``,
            ``cache_hit_s``, ``cache_hit_rate``, ``large_share``, ``small_prompt_ratio``,
            ``large_slowdown``, ``requests_per_day`` and the four prices
            (``small_in_usd_per_m``, ``small_out_usd_per_m``, ``large_in_usd_per_m``, ``large_out_usd_per_m``).
    """

    def __init__(self, seed: dict[str, float]) -> None:
        missing = set(SEED_KEYS) - set(seed)
        if missing:
            raise ValueError(f"seed lacks {sorted(missing)}")
        self.seed = dict(seed)
        self.last: Projection | None = None
        self.widgets = _sliders(self.seed)
        import ipywidgets as w

        self.output = w.Output()
        self.widget = w.VBox([*self.widgets.values(), self.output])
        for slider in self.widgets.values():
            slider.observe(self.update, names="value")

    def values(self) -> dict[str, float]:
        return {k: float(w.value) for k, w in self.widgets.items() if hasattr(w, "value")}

    def projection(self, **overrides: float) -> Projection:
        """The projection for the current widget values (with some overridden)."""
        v = {**self.values(), **overrides}
        decode = self.seed["decode_tps"]
        small = Route("small model", v["prompt_tokens"] * self.seed["small_prompt_ratio"], v["answer_tokens"],
                      v["small_in_usd_per_m"], v["small_out_usd_per_m"],
                      ttft_s=self.seed["overhead_s"] + v["prompt_tokens"] * self.seed["small_prompt_ratio"]
                      / self.seed["prefill_tps"], tokens_per_s=decode)
        large = Route("large model", v["prompt_tokens"], v["answer_tokens"], v["large_in_usd_per_m"],
                      v["large_out_usd_per_m"], ttft_s=self.seed["overhead_s"] + v["prompt_tokens"]
                      / self.seed["prefill_tps"] * self.seed["large_slowdown"],
                      tokens_per_s=decode / self.seed["large_slowdown"])
        hit = Route("cache hit", 0, 0, 0, 0, ttft_s=self.seed["cache_hit_s"], latency_cv=0.2)
        h, share = v["cache_hit_rate"], v["large_share"]
        return project(v["requests_per_day"], [hit, small, large], [h, (1 - h) * (1 - share), (1 - h) * share])

    def update(self, *_: Any) -> Projection:
        """Recompute and redraw; returns the projection."""
        p = self.projection()
        self.last = p
        self.output.clear_output(wait=True)
        with self.output:
            print(f"{p.requests_per_month:,.0f} requests/month -> ${p.monthly_usd:,.2f}/month "
                  f"(${p.usd_per_request * 1000:.4f} per 1,000 requests)")
            print(f"latency p50 {p.latency_p50_s:.2f} s, p95 {p.latency_p95_s:.2f} s  "
                  f"(simulated from the routes' means, seeded)")
            print("share: " + ", ".join(f"{k} {s:.0%}" for k, s in p.share.items()))
            from labkit.perf_chart import show_projection

            show_projection(p)
        return p


def _sliders(seed: dict[str, float]) -> dict[str, Any]:
    """One slider per assumption the demo lets a learner move, starting at the seed's value."""
    import ipywidgets as w

    style = {"description_width": "170px"}
    layout = w.Layout(width="520px")

    def slider(key: str, lo: float, hi: float, step: float, desc: str, fmt: str = ".2f") -> Any:
        return w.FloatSlider(value=min(max(seed[key], lo), hi), min=lo, max=hi, step=step, description=desc,
                             readout_format=fmt, style=style, layout=layout, continuous_update=False)

    return {
        "requests_per_day": slider("requests_per_day", 100, 200_000, 100, "requests / day", ",.0f"),
        "prompt_tokens": slider("prompt_tokens", 50, 8000, 10, "prompt tokens (large)", ".0f"),
        "answer_tokens": slider("answer_tokens", 5, 1000, 5, "answer tokens", ".0f"),
        "cache_hit_rate": slider("cache_hit_rate", 0, 0.9, 0.01, "cache hit rate"),
        "large_share": slider("large_share", 0, 1, 0.01, "share routed to large"),
        "small_in_usd_per_m": slider("small_in_usd_per_m", 0, 5, 0.01, "small $/M input"),
        "small_out_usd_per_m": slider("small_out_usd_per_m", 0, 20, 0.01, "small $/M output"),
        "large_in_usd_per_m": slider("large_in_usd_per_m", 0, 20, 0.01, "large $/M input"),
        "large_out_usd_per_m": slider("large_out_usd_per_m", 0, 80, 0.01, "large $/M output"),
    }
