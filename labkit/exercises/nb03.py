"""Exercises of 03_deployment_architectures."""

from __future__ import annotations

import math

from labkit.exercises import Exercise

HOURS_PER_MONTH = 730


def _replicas_solution(target_rps: float, per_replica_rps: float, headroom: float) -> int:
    return max(1, math.ceil(target_rps / (per_replica_rps * headroom)))


def _replicas_inputs() -> list[tuple[float, float, float]]:
    return [(10.0, 1.6, 0.7), (0.2, 1.6, 0.7), (50.0, 2.5, 1.0), (7.0, 1.0, 0.7), (12.0, 4.0, 0.75)]


def _break_even_solution(usd_per_hour: float, replicas: int, usd_per_request: float) -> float:
    return replicas * usd_per_hour * HOURS_PER_MONTH / usd_per_request


def _break_even_inputs() -> list[tuple[float, int, float]]:
    return [(2.5, 1, 0.00045), (0.10, 2, 0.0002), (4.0, 3, 0.002)]


EXERCISES = {
    "nb03.replicas": Exercise(
        id="nb03.replicas",
        task=("Write replicas_needed(target_rps, per_replica_rps, headroom) returning how many replicas carry "
              "target_rps when each is planned at `headroom` (e.g. 0.7) of its measured throughput; at least 1."),
        hint_text="Each replica is planned to carry per_replica_rps * headroom; divide and round *up* (math.ceil).",
        solution=_replicas_solution,
        inputs=_replicas_inputs,
    ),
    "nb03.break_even": Exercise(
        id="nb03.break_even",
        task=("Write break_even_requests(usd_per_hour, replicas, usd_per_request): the monthly request volume at "
              "which a fixed fleet (paid every hour of a 730-hour month) costs as much as paying per request."),
        hint_text="Fleet cost per month = replicas * usd_per_hour * 730. Set it equal to volume * usd_per_request.",
        solution=_break_even_solution,
        inputs=_break_even_inputs,
    ),
}
