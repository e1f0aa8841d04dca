"""Exercises of 02_data_systems."""

from __future__ import annotations

from typing import Any

import numpy as np

from labkit.exercises import Exercise


def _psi_solution(reference: list[float], current: list[float], bins: int) -> float:
    ref, cur = np.asarray(reference, dtype=float), np.asarray(current, dtype=float)
    edges = np.quantile(ref, np.linspace(0, 1, bins + 1))[1:-1]
    r = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=bins) / ref.size
    c = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=bins) / cur.size
    r, c = np.maximum(r, 1e-4), np.maximum(c, 1e-4)
    return float(np.sum((c - r) * np.log(c / r)))


def _psi_inputs() -> list[tuple[list[float], list[float], int]]:
    rng = np.random.default_rng(2)
    ref = rng.normal(0, 1, 2000).tolist()
    return [(ref, rng.normal(0, 1, 300).tolist(), 5), (ref, rng.normal(0.7, 1, 300).tolist(), 5),
            (ref, rng.normal(0, 2, 300).tolist(), 10), (ref, (rng.normal(0, 1, 300) + 5).tolist(), 4)]


def _psi_compare(got: Any, want: float) -> str | None:
    if not isinstance(got, (int, float, np.floating)):
        return f"expected a number, got {type(got).__name__}"
    return None if abs(float(got) - want) <= 1e-3 * max(1.0, abs(want)) else f"expected {want:.4f}, got {float(got):.4f}"


def _delay_solution(times: list[float], alerts: list[bool], onset: float, patience: int) -> float | None:
    run = 0
    for t, a in zip(times, alerts, strict=True):
        run = run + 1 if a else 0
        if run >= patience and t >= onset:
            return float(t - onset)
    return None


def _delay_inputs() -> list[tuple[list[float], list[bool], float, int]]:
    times = [float(t) for t in range(50, 70)]
    a = [False] * 20
    b = [False] * 20
    for i in (3, 9, 10, 11, 15):
        b[i] = True
    c = [False] * 20
    for i in (12, 14, 16, 17):
        c[i] = True
    return [(times, a, 55.0, 1), (times, b, 55.0, 1), (times, b, 55.0, 2), (times, b, 61.0, 1), (times, c, 60.0, 2),
            (times, c, 60.0, 3)]


EXERCISES = {
    "nb02.psi": Exercise(
        id="nb02.psi",
        task=("Write psi(reference, current, bins): cut points at the reference's quantiles 1/bins, 2/bins, ...; "
              "the share of each sample in each bin, floored at 1e-4; PSI = sum of (c - r) * ln(c / r)."),
        hint_text=("np.quantile(ref, np.linspace(0, 1, bins + 1))[1:-1] gives the inner cut points; "
                   "np.searchsorted(edges, x, side='right') gives each value's bin; np.bincount(..., minlength=bins) "
                   "counts them; divide by the sample size."),
        solution=_psi_solution,
        inputs=_psi_inputs,
        compare=_psi_compare,
    ),
    "nb02.delay": Exercise(
        id="nb02.delay",
        task=("Write detection_delay(times, alerts, onset, patience): hours from the onset to the first window "
              "(at or after the onset) that ends a run of `patience` alerting windows in a row; None if none."),
        hint_text=("Walk the windows in order keeping a counter of consecutive alerts (reset it to 0 on a quiet "
                   "window); return t - onset at the first t >= onset where the counter reaches patience."),
        solution=_delay_solution,
        inputs=_delay_inputs,
    ),
}
