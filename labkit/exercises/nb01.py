"""Exercises of 01_cost_and_latency."""

from __future__ import annotations

from labkit.exercises import Exercise
from labkit.llm import registry


def _monthly_solution(model: str, requests_per_day: float, input_tokens: float, output_tokens: float,
                      cache_hit_rate: float) -> float:
    info = registry.get(model)
    per_call = (input_tokens * info.input_usd_per_m + output_tokens * info.output_usd_per_m) / 1_000_000
    return 30 * requests_per_day * (1 - cache_hit_rate) * per_call


def _monthly_inputs() -> list[tuple[str, float, float, float, float]]:
    return [
        ("gpt-4o-mini", 10_000, 1_500, 200, 0.0),
        ("gpt-4o-mini", 10_000, 1_500, 200, 0.35),
        ("gpt-4o", 2_000, 800, 400, 0.5),
        ("smollm2-135m-instruct", 50_000, 400, 60, 0.2),
    ]


EXERCISES = {
    "nb01.monthly": Exercise(
        id="nb01.monthly",
        task=("Write monthly_cost(model, requests_per_day, input_tokens, output_tokens, cache_hit_rate) returning "
              "the USD a 30-day month costs when cache hits cost nothing and every miss is one model call."),
        hint_text=("One call costs (input_tokens * input_usd_per_m + output_tokens * output_usd_per_m) / 1e6 "
                   "(registry.get(model)); a month makes 30 * requests_per_day requests, and only the share "
                   "(1 - cache_hit_rate) reaches the model."),
        solution=_monthly_solution,
        inputs=_monthly_inputs,
    ),
}
