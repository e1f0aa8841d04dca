"""Measurements that compare deployments: cold start, TTFT, tokens/s, p50/p95 under concurrency, memory.

:func:`time_stream` and :func:`load_test` (from :mod:`labkit.timing`), :func:`rss_mb`, :func:`server_cold_start` and
:func:`scrape_metrics` (a Prometheus ``/metrics`` page, parsed by ``prometheus_client``) each measure one
thing; :func:`measure_deployment` runs them the same way for every deployment and returns a
:class:`DeploymentReport`.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psutil

from labkit.llm.server import EmbeddedServer, ServerSettings
from labkit.perf import percentile
from labkit.timing import LoadResult, StreamTiming, load_test

if TYPE_CHECKING:
    from labkit.llm.server import ServerSettings


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process in MB (this process by default), from /proc or psutil."""
    pid = os.getpid() if pid is None else pid
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass

    return float(psutil.Process(pid).memory_info().rss) / 2**20


@dataclass(frozen=True)
class ColdStart:
    """A fresh server: process start to /health, to the first streamed token, and its memory."""

    ready_s: float
    first_token_s: float
    rss_mb: float


def server_cold_start(settings: ServerSettings | None = None) -> ColdStart:
    """Start a fresh embedded server on a free port, time it to the first token, measure it, stop it."""
    base = settings or ServerSettings.from_env()
    s = ServerSettings(**{**base.__dict__, "port": 0})
    t0 = time.perf_counter()
    server = EmbeddedServer(s).start()
    try:
        ready = time.perf_counter() - t0
        assert server.port is not None
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        conn.request("POST", "/v1/chat/completions", json.dumps(
            {"model": s.model_alias, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4,
             "stream": True}), {"Content-Type": "application/json"})
        first = math.nan
        for line in conn.getresponse():
            if line.startswith(b"data:") and b'"content"' in line:
                first = time.perf_counter() - t0
                break
        conn.close()
        assert server.process is not None
        mem = rss_mb(server.process.pid)
    finally:
        server.stop()
    return ColdStart(ready, first, mem)


@dataclass(frozen=True)
class MetricSample:
    """One series of a Prometheus metric: its sample name (``..._total``, ``..._bucket``), labels and value."""

    name: str
    labels: dict[str, str]
    value: float

    @property
    def key(self) -> str:
        """The series in Prometheus notation: ``name`` or ``name{a="x",b="y"}`` (labels sorted)."""
        if not self.labels:
            return self.name
        return self.name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(self.labels.items())) + "}"


@dataclass(frozen=True)
class HistogramSeries:
    """One histogram series: cumulative counts per upper bound ``le`` (the last is +inf), count and sum."""

    buckets: tuple[tuple[float, float], ...]
    count: float
    sum: float


class ScrapedMetrics(Mapping[str, float]):
    """A Prometheus exposition, parsed with ``prometheus_client``: every series, labels and buckets kept.

    As a mapping it is ``{series key: value}``: an unlabelled series by its plain name
    (``m["llamacpp:tokens_predicted_total"]``), a labelled one as ``name{label="value",...}``.
    :meth:`value` finds one series by name and labels, :meth:`series` lists a name's series,
    :meth:`histogram` reads a histogram's buckets, and ``families`` holds each metric's type and help.

    Args:
        samples: the exposition's samples, in order.
        families: metric family name -> (type, help text).
    """

    def __init__(self, samples: Sequence[MetricSample], families: dict[str, tuple[str, str]]) -> None:
        self.samples = tuple(samples)
        self.families = dict(families)
        self._values = {s.key: s.value for s in self.samples}

    def __getitem__(self, key: str) -> float:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"ScrapedMetrics({len(self.families)} metrics, {len(self.samples)} series)"

    def series(self, name: str) -> list[MetricSample]:
        """Every series of the sample ``name`` (e.g. ``vllm:num_requests_running``), any labels."""
        return [s for s in self.samples if s.name == name]

    def value(self, name: str, **labels: str) -> float:
        """The value of the one series of ``name`` whose labels include ``labels``.

        Raises:
            KeyError: no series matches, or several do (the message lists their labels: add one).
        """
        found = [s for s in self.series(name) if all(s.labels.get(k) == v for k, v in labels.items())]
        if len(found) != 1:
            have = [s.labels for s in self.series(name)]
            raise KeyError(f"{len(found)} series of {name!r} match labels {labels}; its series have labels {have}")
        return found[0].value

    def histogram(self, name: str, **labels: str) -> HistogramSeries:
        """The buckets, count and sum of histogram ``name`` (without ``_bucket``) for these labels.

        Raises:
            KeyError: the histogram has no series with these labels (or several: pass more labels).
        """
        buckets = sorted((float(s.labels["le"]), s.value) for s in self.series(f"{name}_bucket")
                         if "le" in s.labels and all(s.labels.get(k) == v for k, v in labels.items()))
        if not buckets:
            raise KeyError(f"no histogram {name!r} with labels {labels}; histograms here: "
                           f"{sorted(n for n, (kind, _) in self.families.items() if kind == 'histogram')}")
        if len({le for le, _ in buckets}) != len(buckets):
            raise KeyError(f"several series of histogram {name!r} match labels {labels}; pass more labels")
        return HistogramSeries(tuple(buckets), self.value(f"{name}_count", **labels),
                               self.value(f"{name}_sum", **labels))


def parse_metrics(text: str) -> ScrapedMetrics:
    """Parse Prometheus text exposition format with ``prometheus_client``'s parser.

    Args:
        text: the body of a ``/metrics`` response.

    Returns:
        :class:`ScrapedMetrics` with every series (labels and histogram buckets kept).
    """
    from prometheus_client.parser import text_string_to_metric_families

    samples: list[MetricSample] = []
    families: dict[str, tuple[str, str]] = {}
    for family in text_string_to_metric_families(text):
        families[family.name] = (family.type, family.documentation)
        samples.extend(MetricSample(s.name, dict(s.labels), float(s.value)) for s in family.samples)
    return ScrapedMetrics(samples, families)


def scrape_metrics(root_url: str, timeout: float = 5.0) -> ScrapedMetrics:
    """Read a Prometheus ``/metrics`` endpoint (llama.cpp, vLLM, SGLang, ...), keeping labels and buckets.

    Args:
        root_url: the server root, e.g. ``llm.server().root_url`` (without ``/v1``).
        timeout: seconds to wait for the response.

    Returns:
        :class:`ScrapedMetrics`: a ``{series: value}`` mapping (``m["llamacpp:tokens_predicted_total"]``)
        with :meth:`~ScrapedMetrics.value` and :meth:`~ScrapedMetrics.histogram` for labelled series.
    """
    with urllib.request.urlopen(f"{root_url.rstrip('/')}/metrics", timeout=timeout) as r:
        text = r.read().decode()
    return parse_metrics(text)


@dataclass
class DeploymentReport:
    """One deployment measured the same way as the others."""

    name: str
    cold_start_s: float
    ttft_s: float
    tokens_per_s: float
    memory_mb: float
    curve: list[LoadResult]
    note: str = ""
    # generated tokens per llama_decode() call at each level, from the server's /metrics (when given)
    tokens_per_decode: dict[int, float] = field(default_factory=dict)

    def at(self, concurrency: int) -> LoadResult:
        """The load result measured at this concurrency."""
        for r in self.curve:
            if r.concurrency == concurrency:
                return r
        raise KeyError(f"{self.name} was not measured at concurrency {concurrency}; have "
                       f"{[r.concurrency for r in self.curve]}")

    def row(self, concurrency: int, usd_per_1k: float) -> dict[str, Any]:
        """A table row: the stream timings and the load results at ``concurrency``."""
        r = self.at(concurrency)
        return {"deployment": self.name, "cold start s": round(self.cold_start_s, 2), "TTFT s": round(self.ttft_s, 3),
                "tokens/s (1 stream)": round(self.tokens_per_s, 1), f"p50 s @{concurrency}": round(r.p50_s, 2),
                f"p95 s @{concurrency}": round(r.p95_s, 2), f"req/s @{concurrency}": round(r.throughput_rps, 2),
                "memory MB": round(self.memory_mb), "$ / 1k requests": round(usd_per_1k, 4), "note": self.note}


def merge_loads(results: Sequence[LoadResult]) -> LoadResult:
    """Several load tests at one concurrency as one: latencies pooled, tokens, errors and wall time summed."""
    if not results or len({r.concurrency for r in results}) != 1:
        raise ValueError("give one or more load results, all at the same concurrency")
    return LoadResult(results[0].concurrency, [x for r in results for x in r.latencies_s],
                      sum(r.output_tokens for r in results), sum(r.errors for r in results),
                      sum(r.wall_s for r in results), [m for r in results for m in r.error_messages][:5])


def _decode_counts(metrics_url: str | None) -> tuple[float, float]:
    """(tokens generated, llama_decode calls) so far, from a llama.cpp ``/metrics`` page; (0, 0) without one."""
    if metrics_url is None:
        return 0.0, 0.0
    m = scrape_metrics(metrics_url)
    return m.get("llamacpp:tokens_predicted_total", 0.0), m.get("llamacpp:n_decode_total", 0.0)


def measure_deployment(name: str, stream: Callable[[], StreamTiming], call: Callable[[int], int],
                       *, cold_start_s: float, memory_mb: float, levels: Sequence[int] = (1, 4), requests: int = 4,
                       streams: int = 2, rounds: int = 1, metrics_url: str | None = None,
                       note: str = "") -> DeploymentReport:
    """Measure one deployment: ``streams`` timed streams (median TTFT and tokens/s), then a load test per level.

    With ``rounds`` > 1 the levels are measured in turn, ``rounds`` times over (1, 4, 1, 4, ...), and each
    level's rounds are pooled: a change in the machine's load during the run then falls on every level
    alike instead of on whichever level ran while it lasted.

    Args:
        name: label.
        stream: makes one streamed request and returns its :class:`StreamTiming`.
        call: makes request ``i`` (not streamed) and returns its generated tokens.
        cold_start_s: measured separately (process start or model load to ready).
        memory_mb: measured separately (resident memory the deployment adds on this machine).
        levels: concurrency levels for the load test.
        requests: requests per level and round (at least the level's concurrency).
        streams: timed streams for TTFT and tokens/s.
        rounds: passes over the levels, interleaved.
        metrics_url: a llama.cpp server root (``/metrics``): the report then counts the generated tokens per
            ``llama_decode`` call at each level, which batching raises whatever the machine's load.

    Returns:
        :class:`DeploymentReport`.
    """
    if streams < 1 or not levels or rounds < 1:
        raise ValueError("need streams >= 1, rounds >= 1 and at least one concurrency level")
    timings = [stream() for _ in range(streams)]
    ttft = percentile([t.ttft_s for t in timings], 50)
    tps = percentile([t.tokens_per_s for t in timings if not math.isnan(t.tokens_per_s)], 50)
    runs: dict[int, list[LoadResult]] = {c: [] for c in levels}
    counts = dict.fromkeys(levels, (0.0, 0.0))
    for _ in range(rounds):
        for c in levels:
            before = _decode_counts(metrics_url)
            runs[c].append(load_test(call, c, max(requests, c)))
            after = _decode_counts(metrics_url)
            counts[c] = (counts[c][0] + after[0] - before[0], counts[c][1] + after[1] - before[1])
    per_decode = {c: tokens / decodes for c, (tokens, decodes) in counts.items() if decodes > 0}
    return DeploymentReport(name, cold_start_s, ttft, tps, memory_mb, [merge_loads(runs[c]) for c in levels], note,
                            per_decode)
