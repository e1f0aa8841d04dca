"""Exercises of 05_evaluation_and_benchmarks."""

from __future__ import annotations

from labkit.exercises import Exercise


def _recall_solution(retrieved: list[str], relevant: list[str], k: int) -> float:
    top = list(dict.fromkeys(retrieved))[:k]
    return sum(1 for r in set(relevant) if r in top) / len(set(relevant))


def _recall_inputs() -> list[tuple[list[str], list[str], int]]:
    return [
        (["kb-1", "kb-2", "kb-3"], ["kb-2"], 1),
        (["kb-1", "kb-2", "kb-3"], ["kb-2"], 2),
        (["kb-7", "kb-7", "kb-4", "kb-9"], ["kb-9", "kb-4"], 2),  # repeats count once: kb-4 is 2nd, kb-9 3rd
        (["kb-5", "kb-6"], ["kb-1", "kb-5", "kb-6", "kb-8"], 5),
    ]


def _kappa_solution(human: list[bool], judge: list[bool]) -> float:
    n = len(human)
    observed = sum(h == j for h, j in zip(human, judge, strict=True)) / n
    p_h, p_j = sum(human) / n, sum(judge) / n
    chance = p_h * p_j + (1 - p_h) * (1 - p_j)
    return 0.0 if chance == 1 else (observed - chance) / (1 - chance)


def _kappa_inputs() -> list[tuple[list[bool], list[bool]]]:
    t, f = True, False
    return [
        ([t, t, f, f], [t, t, f, f]),  # perfect agreement: 1
        ([t, t, f, f], [t, t, t, t]),  # a judge that passes everything: 0, though it agrees half the time
        ([t, f, t, f, t, f], [f, t, f, t, f, t]),  # always opposite: -1
        ([t, t, t, f, f, t, f, t, t, f], [t, f, t, f, t, t, f, t, f, f]),
    ]


EXERCISES = {
    "nb05.recall": Exercise(
        id="nb05.recall",
        task="Write recall_at_k(retrieved, relevant, k): the share of the relevant document ids found among the "
             "first k distinct retrieved ids.",
        hint_text="Remove repeats first, keeping order (list(dict.fromkeys(retrieved))), take the first k, then "
                  "count how many relevant ids are in it and divide by the number of relevant ids.",
        solution=_recall_solution,
        inputs=_recall_inputs,
    ),
    "nb05.kappa": Exercise(
        id="nb05.kappa",
        task="Write kappa(human, judge) for two lists of pass/fail booleans: Cohen's kappa, "
             "(observed agreement - chance agreement) / (1 - chance agreement).",
        hint_text="Chance agreement is P(both pass) + P(both fail) if the two raters were independent: "
                  "p_h * p_j + (1 - p_h) * (1 - p_j), where p_h and p_j are each rater's pass rate.",
        solution=_kappa_solution,
        inputs=_kappa_inputs,
    ),
}
