"""Exercises of 07_hallucination_mitigation."""

from __future__ import annotations

from typing import Any

from labkit.exercises import Exercise
from labkit.grounding import claims, evaluate


def _numbers_solution(context: str, answer: str) -> list[str]:
    stated = claims.quantities(context)
    out = []
    for q in claims.quantities(answer):
        if not any(claims.same_value(q.value, c.value) for c in stated):
            out.append(q.text)
    return out


def _numbers_inputs() -> list[tuple[str, str]]:
    ctx = "The Team plan costs $19 per user per month, or $16 on annual billing. Files up to 100 MB."
    return [
        (ctx, "Team costs $19 per user per month."),
        (ctx, "Team costs $24 per user per month and allows 100 MB files."),
        (ctx, "Annual billing is $16, monthly is $21, and the file limit is 250 MB."),
        ("Support replies within 4 hours on Business.", "Business support replies within four hours."),
        ("Support replies within 4 hours on Business.", "Support answers in 2 business days."),
    ]


def _compare_lists(got: Any, want: list[str]) -> str | None:
    if not isinstance(got, list):
        return f"expected a list of the number texts, got {type(got).__name__}"
    norm = sorted(" ".join(str(g).split()) for g in got)
    return None if norm == sorted(want) else f"expected {sorted(want)}, got {norm}"


def _threshold_solution(scores: list[float], labels: list[bool], max_blocked_good: float) -> float:
    points = evaluate.threshold_curve(scores, labels)
    ok = [p for p in points if p.blocked_good <= max_blocked_good]
    best = max(ok, key=lambda p: (p.recall, -p.threshold))
    return best.threshold


def _threshold_inputs() -> list[tuple[list[float], list[bool], float]]:
    scores = [0.0, 0.1, 0.2, 0.35, 0.5, 0.55, 0.7, 0.8, 0.9, 1.0, 1.0, 0.3]
    labels = [False, False, True, False, False, True, True, False, True, True, True, True]
    return [(scores, labels, 0.0), (scores, labels, 0.15), (scores, labels, 0.35), (scores, labels, 1.0)]


EXERCISES = {
    "nb07.numbers": Exercise(
        id="nb07.numbers",
        task=("Write unsupported_numbers(context, answer) returning the texts of the numbers in the answer "
              "whose value the context never states (as claims.quantities writes them, e.g. '$24')."),
        hint_text=("claims.quantities(text) gives Quantity objects with .value and .text; keep an answer "
                   "quantity when no context quantity has the same value (claims.same_value)."),
        solution=_numbers_solution,
        inputs=_numbers_inputs,
        compare=_compare_lists,
    ),
    "nb07.threshold": Exercise(
        id="nb07.threshold",
        task=("Write pick_threshold(scores, labels, max_blocked_good) returning the threshold that blocks the "
              "most unsupported answers while wrongly blocking at most max_blocked_good of the supported "
              "ones (block when score < threshold; among equal recalls take the lowest threshold)."),
        hint_text=("evaluate.threshold_curve(scores, labels) lists every candidate threshold with .recall and "
                   ".blocked_good; filter, then take the best recall."),
        solution=_threshold_solution,
        inputs=_threshold_inputs,
    ),
}
