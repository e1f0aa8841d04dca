"""Exercises of 08_observability_and_tracing, and the incident the notebook introduces.

* ``nb08.cost``: cost per request from LLM spans alone (tokens x the registry's prices).
* ``nb08.incident``: name a regression from the spans of a window before and a window after a
  deploy: ``"tokens"`` (prompts grew), ``"slow_retrieval"`` or ``"retries"`` (a failing upstream).

The check inputs are *simulated* traces (stated parameters in ``SIM``, seeded), written by a real
tracer on a virtual clock into a temporary span store, so the learner's function reads exactly
what ``SpanStore.spans_frame()`` returns; :func:`simulate_traffic` makes the notebook's sampling
traffic the same way. :func:`introduce` injects one of the same regressions into a real, running
RAG app for the notebook's guided incident; :func:`signals_table` shows what changed.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from opentelemetry.trace import SpanKind, Status, StatusCode

from labkit import tracing
from labkit.exercises import Exercise
from labkit.llm import registry
from labkit.llm.ledger import CallRecord

KINDS = ("tokens", "slow_retrieval", "retries")
MODEL = "smollm2-135m-instruct"

# Simulated request (per trace): retrieval ~ lognormal around 25 ms; the model call's prompt ~ 420
# tokens (+-15%), answer ~ 30 tokens, latency = prompt/280 + answer/90 seconds (the measured CPU
# speeds) with 10% noise. Failures (``error_rate``) are upstream timeouts after ~4 s. Regressions:
# "tokens" doubles the prompt; "slow_retrieval" adds 500 ms (+-20%) to retrieval; "retries" makes the
# first 2 attempts fail with 503 after ~10 ms, 50 ms apart. Requests arrive ~20 s apart.
SIM: dict[str, float] = {"retrieval_ms": 25.0, "prompt_tokens": 420, "answer_tokens": 30, "prefill_tps": 280.0,
                         "decode_tps": 90.0, "timeout_s": 4.0, "slow_retrieval_extra_ms": 500.0,
                         "failed_attempts": 2, "retry_gap_ms": 50.0, "mean_gap_s": 20.0}


def _simulate_request(t: Any, clock: Any, rng: random.Random, kind: str | None, fail: bool) -> float:
    """Record one simulated RAG request at the clock's time; returns its duration in ms."""
    now = clock()
    server = t.start_span("POST /v1/chat/completions", category="http", kind=SpanKind.SERVER, start_time=now,
                          attributes={"http.route": "/v1/chat/completions"})
    answer = t.start_span("rag.answer", parent=server, category="internal", start_time=now + 200_000)
    cursor = now + 300_000
    retrieval_ms = rng.lognormvariate(0, 0.25) * SIM["retrieval_ms"]
    if kind == "slow_retrieval":
        retrieval_ms += SIM["slow_retrieval_extra_ms"] * rng.uniform(0.8, 1.2)
    t.record_span("rag.retrieve", cursor, cursor + int(retrieval_ms * 1e6), parent=answer, category="retrieval")
    cursor += int(retrieval_ms * 1e6) + 100_000
    if kind == "retries":
        for attempt in range(int(SIM["failed_attempts"])):
            fail_ms = rng.uniform(5, 15)
            rec = CallRecord("chat", MODEL, "embedded", False, status=503, error="HTTP 503",
                             latency_s=fail_ms / 1000, cost_usd=0.0, tags={"attempt": str(attempt)})
            t.record_llm_call(rec, parent=answer, start_time=cursor)
            cursor += int((fail_ms + SIM["retry_gap_ms"]) * 1e6)
    prompt = int(SIM["prompt_tokens"] * rng.uniform(0.85, 1.15) * (2 if kind == "tokens" else 1))
    if fail:
        latency = SIM["timeout_s"] * rng.uniform(0.95, 1.05)
        rec = CallRecord("chat", MODEL, "embedded", False, status=0, latency_s=latency, cost_usd=0.0,
                         error="ReadTimeout: upstream did not answer")
    else:
        out = max(1, int(rng.gauss(SIM["answer_tokens"], 6)))
        latency = (prompt / SIM["prefill_tps"] + out / SIM["decode_tps"]) * rng.uniform(0.9, 1.1)
        rec = CallRecord("chat", MODEL, "embedded", False, status=200, input_tokens=prompt, output_tokens=out,
                         latency_s=latency, cost_usd=registry.get(MODEL).cost(prompt, out), finish_reason="stop",
                         response_model=MODEL)
    t.record_llm_call(rec, parent=answer, start_time=cursor)
    cursor += int(latency * 1e9) + 200_000
    if fail:
        server.set_status(Status(StatusCode.ERROR, "HTTP 504"))
        server.set_attribute("http.response.status_code", 504)
    answer.end(end_time=cursor)
    server.end(end_time=cursor + 300_000)
    clock.set(cursor + 300_000)
    return (cursor + 300_000 - now) / 1e6


def simulate_traffic(t: Any, clock: Any, n: int, *, error_rate: float = 0.0, kind: str | None = None,
                     seed: int = 0) -> dict[str, float]:
    """Record ``n`` simulated RAG requests (parameters in ``SIM``) with a tracer on a virtual clock.

    Args:
        t: a ``labkit.tracing.Tracing`` whose ``clock`` is ``clock``.
        clock: a ``labkit.tracing.VirtualClock``; it is advanced through the requests.
        n: requests.
        error_rate: share of requests whose model call times out.
        kind: a regression from ``KINDS`` applied to every request, or None.
        seed: random seed.

    Returns:
        The truth to compare estimates with: requests, errors, p50_ms and p95_ms of request latency.
    """
    if n < 1 or not 0 <= error_rate <= 1:
        raise ValueError(f"need n >= 1 and error_rate in [0, 1], got {n}, {error_rate}")
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} or None, got {kind!r}")
    rng = random.Random(seed)
    durations, errors = [], 0
    for _ in range(n):
        fail = rng.random() < error_rate
        errors += fail
        durations.append(_simulate_request(t, clock, rng, kind, fail))
        clock.advance(rng.expovariate(1 / SIM["mean_gap_s"]))
    series = pd.Series(durations)
    return {"requests": n, "errors": errors, "p50_ms": float(series.quantile(0.5)),
            "p95_ms": float(series.quantile(0.95))}


def _simulate(kind: str | None, n: int, seed: int, start: datetime) -> pd.DataFrame:
    """Spans of ``n`` simulated requests as ``SpanStore.spans_frame()`` returns them (a temporary store)."""
    clock = tracing.VirtualClock(start)
    with tempfile.TemporaryDirectory() as tmp:
        t = tracing.Tracing(Path(tmp) / "sim.sqlite", sample_rate=1.0, instrument_llm=False, clock=clock,
                            service_name="rag-sim")
        simulate_traffic(t, clock, n, kind=kind, seed=seed)
        t.flush()
        frame = t.store.spans_frame()
        t.shutdown()
        t.store.close()
    return frame


# ------------------------------------------------------------------ nb08.cost
def _cost_solution(spans: pd.DataFrame) -> dict[str, float]:
    llm = spans[spans["operation"].isin(["chat", "text_completion", "embeddings"])]
    out: dict[str, float] = {}
    for row in llm.itertuples(index=False):
        info = registry.get(row.model)
        cost = (row.input_tokens * info.input_usd_per_m + row.output_tokens * info.output_usd_per_m) / 1e6
        out[row.trace_id] = out.get(row.trace_id, 0.0) + cost
    return out


def _cost_inputs() -> list[tuple[pd.DataFrame]]:
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    healthy = _simulate(None, 4, seed=11, start=start)
    retries = _simulate("retries", 3, seed=12, start=start)
    hosted = healthy.copy()
    hosted["model"] = hosted["model"].where(hosted["model"].isna(), "gpt-4o-mini")  # as if served by OpenAI
    return [(f.drop(columns=["cost_usd"]),) for f in (healthy, retries, hosted)]


def _compare_costs(got: Any, want: dict[str, float]) -> str | None:
    if not isinstance(got, dict):
        return f"return a dict {{trace_id: cost in USD}}, got {type(got).__name__}"
    if set(got) != set(want):
        missing, extra = set(want) - set(got), set(got) - set(want)
        return (f"trace ids differ: {len(missing)} missing, {len(extra)} unexpected "
                f"(every trace with an LLM span needs a cost; other traces none)")
    for tid, cost in want.items():
        if not isinstance(got[tid], (int, float)) or abs(got[tid] - cost) > 1e-12 + 1e-6 * abs(cost):
            return f"trace {tid[:8]}: expected ${cost:.6g}, got {got[tid]!r}"
    return None


# -------------------------------------------------------------- nb08.incident
_SUSPECTS = {"LLM calls per request": "retries", "median input tokens per successful call": "tokens",
             "median retrieval ms": "slow_retrieval"}


def signals_table(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Per-request signals of two windows of spans, side by side, with their ratio.

    Rows: LLM calls per request, median input tokens of successful LLM calls, median retrieval span
    (ms), median request (root span, ms), error spans per request. Column ``suspect`` names the
    regression a row points to ("" for the symptoms).
    """
    def signals(spans: pd.DataFrame) -> dict[str, float]:
        requests = max(spans["trace_id"].nunique(), 1)
        llm = spans[spans["category"] == "llm"]
        ok = llm[~llm["error"].astype(bool)]
        roots = spans[spans["parent_id"].isna()]
        return {"LLM calls per request": len(llm) / requests,
                "median input tokens per successful call": float(ok["input_tokens"].median()),
                "median retrieval ms": float(spans[spans["category"] == "retrieval"]["duration_ms"].median()),
                "median request ms": float(roots["duration_ms"].median()),
                "error spans per request": float(spans["error"].astype(bool).sum()) / requests}

    table = pd.DataFrame({"before": signals(before), "after": signals(after)})
    table["after / before"] = table["after"] / table["before"].where(table["before"] > 0)
    table["suspect"] = [_SUSPECTS.get(row, "") for row in table.index]
    return table


def _incident_solution(before: pd.DataFrame, after: pd.DataFrame) -> str:
    s = signals_table(before, after)
    ratios = {kind: float(s.loc[row, "after / before"]) for row, kind in _SUSPECTS.items()}
    # A retrieval span of 20 ms that doubles is scheduler noise; one that gains 100+ ms is a regression.
    if s.loc["median retrieval ms", "after"] - s.loc["median retrieval ms", "before"] < 100:
        ratios["slow_retrieval"] = 1.0
    return max(ratios, key=lambda k: ratios[k])


def _incident_inputs() -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    cases = []
    for i, kind in enumerate(KINDS * 2):
        before = _simulate(None, 8, seed=100 + i, start=datetime(2026, 3, 2, 9, tzinfo=UTC))
        after = _simulate(kind, 8, seed=200 + i, start=datetime(2026, 3, 2, 15, tzinfo=UTC))
        cases.append((before, after))
    return cases


# ---------------------------------------------------- the notebook's incident
@dataclass
class Incident:
    """A regression injected into a running RAG app; ``kind`` stays hidden until :meth:`reveal`.

    Attributes:
        description: what was deployed, as the release note would say it (no hint of the effect).
    """

    description: str
    _kind: str = field(repr=False)
    _undo: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def reveal(self) -> str:
        """The regression's kind: "tokens", "slow_retrieval" or "retries"."""
        return self._kind

    def revert(self) -> None:
        """Roll the deploy back."""
        while self._undo:
            self._undo.pop()()


def introduce(app: Any, seed: int) -> Incident:
    """Deploy a hidden regression into a RAG app (in place), chosen by ``seed``.

    * "tokens": the retrieval depth ``k`` is doubled (a recall "improvement"): prompts about double;
    * "slow_retrieval": the index search waits 500 ms first (simulated: a vector store under load);
    * "retries": the app's model client goes through a proxy whose first 2 attempts per request fail
      with 503 (a real proxy in front of the real model; the openai client retries).

    Args:
        app: a ``labkit.rag.RagApp`` (instrumented or not).
        seed: picks the regression.

    Returns:
        The :class:`Incident` (``revert()`` undoes it).
    """
    kind = KINDS[random.Random(seed).randrange(len(KINDS))]
    incident = Incident("release 2026.03.2: retrieval and client settings updated", kind)
    if kind == "tokens":
        old_config = app.config
        app.config = old_config.variant(k=old_config.k * 2)
        incident._undo.append(lambda: setattr(app, "config", old_config))
    elif kind == "slow_retrieval":
        index = app.index
        search = index.search

        def slow_search(*args: Any, **kwargs: Any) -> Any:
            time.sleep(SIM["slow_retrieval_extra_ms"] / 1000)
            return search(*args, **kwargs)

        index.search = slow_search
        incident._undo.append(lambda: delattr(index, "search"))
    else:
        proxy = tracing.FlakyProxy(fail_attempts=int(SIM["failed_attempts"]), status=503,
                                   retry_after_ms=int(SIM["retry_gap_ms"])).start()
        old_client = app._client  # RagApp builds its model client lazily into _client
        app._client = tracing.traced_client(proxy.url, max_retries=3)
        incident._undo.extend([proxy.stop, lambda: setattr(app, "_client", old_client)])
    return incident


EXERCISES = {
    "nb08.cost": Exercise(
        id="nb08.cost",
        task=("Write cost_per_request(spans) that takes a spans DataFrame (without the cost column) and returns "
              "{trace_id: USD} summed over each trace's LLM spans, from their tokens and the registry's prices."),
        hint_text=("LLM spans have operation 'chat' (or 'text_completion'/'embeddings'). For each, "
                   "registry.get(model) gives input_usd_per_m and output_usd_per_m: prices per *million* tokens. "
                   "Failed attempts have 0 tokens but still belong to the request."),
        solution=_cost_solution,
        inputs=_cost_inputs,
        compare=_compare_costs,
    ),
    "nb08.incident": Exercise(
        id="nb08.incident",
        task=("Write find_regression(before, after) that compares the spans of two windows and returns "
              "'tokens', 'slow_retrieval' or 'retries'."),
        hint_text=("Compute one number per suspect in each window and compare after/before: LLM spans per "
                   "request (retries repeat the call), median input tokens of successful LLM spans (bigger "
                   "prompts), median duration of retrieval spans (count it only if it grew by 100+ ms: tiny "
                   "spans are noisy). The largest ratio names the regression. Total latency alone cannot tell "
                   "them apart."),
        solution=_incident_solution,
        inputs=_incident_inputs,
    ),
}
