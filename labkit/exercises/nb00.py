"""Exercises of 00_start_here."""

from __future__ import annotations

from labkit.exercises import Exercise
from labkit.llm import registry


def _cost_solution(model: str, input_tokens: int, output_tokens: int) -> float:
    info = registry.get(model)
    return (input_tokens * info.input_usd_per_m + output_tokens * info.output_usd_per_m) / 1_000_000


def _cost_inputs() -> list[tuple[str, int, int]]:
    return [("gpt-4o-mini", 1200, 300), ("gpt-4o", 1_000_000, 0), ("smollm2-135m-instruct", 500, 250)]


EXERCISES = {
    "nb00.cost": Exercise(
        id="nb00.cost",
        task="Write call_cost(model, input_tokens, output_tokens) returning the USD cost of one call.",
        hint_text="registry.get(model) has input_usd_per_m and output_usd_per_m: prices per *million* tokens.",
        solution=_cost_solution,
        inputs=_cost_inputs,
    ),
}
