"""The rubric on measured scores: per-answer criteria, weighted totals with intervals, and where the winner flips.

Every criterion is a number in [0, 1] per answer, higher is better, from a measured scorer — never a
hand-written score:

* ``correctness``: token F1 against the reference (answerable questions);
* ``groundedness``: the grounding detectors' support score against the answer's own sources;
* ``citations``: every [n] points to a real source, and there is at least one (answers only);
* ``refusal``: refused exactly when it should (says "I don't know" on unanswerable questions only);
* ``cost``: ``1 - tokens / TOKEN_BUDGET`` (input + output tokens, floored at 0);
* ``latency``: ``1 - latency_s / LATENCY_BUDGET_S`` (floored at 0);
* ``judge``: the validated binary judge's verdict on ``correct`` (1 pass, 0 fail; its measured TPR and
  TNR are :func:`judge_rates`).

An answer's total is the weighted mean of the criteria that apply to it. Runs are compared on the
questions they share, item by item, so the bootstrap interval of the winner's margin is a paired one.

    >>> from labkit.evals import rubric
    >>> ranking = rubric.weighted_totals([run_a, run_b], {"correctness": 3, "cost": 1})
    >>> print(ranking.report())
    >>> rubric.flip_weights([run_a, run_b], {"correctness": 1}, {"cost": 1})
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labkit.evals.judge_validation import JudgeAccuracy, Rate
from labkit.evals.runs import Run, RunRow
from labkit.evals.stats import Interval, bootstrap_ci, paired_test

TOKEN_BUDGET = 1000  # tokens per answer that score 0 on cost
LATENCY_BUDGET_S = 30.0  # seconds per answer that score 0 on latency
JUDGE_CRITERION = "correct"  # the labkit.evals.criteria_judge criterion behind the ``judge`` column


def _score(metric: str) -> Callable[[RunRow], float | None]:
    return lambda r: r.scores.get(metric)


CRITERIA: dict[str, tuple[str, Callable[[RunRow], float | None]]] = {
    "correctness": ("token F1 against the reference answer", _score("token_f1")),
    "groundedness": ("grounding detectors' support score against the answer's sources", _score("groundedness")),
    "citations": ("cites at least one source, and every [n] is a real source", _score("citation_valid")),
    "refusal": ("says it does not know exactly on the unanswerable questions", _score("abstention_correct")),
    "cost": (f"1 - tokens / {TOKEN_BUDGET}", lambda r: max(0.0, 1 - (r.input_tokens + r.output_tokens) / TOKEN_BUDGET)),
    "latency": (f"1 - seconds / {LATENCY_BUDGET_S:g}", lambda r: max(0.0, 1 - r.latency_s / LATENCY_BUDGET_S)),
    "judge": ("the binary LLM judge's verdict on 'correct' (1 pass, 0 fail)", _score("judge")),
}
DEFAULT_WEIGHTS: dict[str, float] = {name: 1.0 for name in CRITERIA}


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Every criterion's weight: ``weights`` over :data:`DEFAULT_WEIGHTS`, checked.

    Raises:
        ValueError: an unknown criterion, a negative or non-finite weight, or every weight 0.
    """
    unknown = [n for n in weights if n not in CRITERIA]
    if unknown:
        raise ValueError(f"unknown criterion {unknown[0]!r}; choose from {', '.join(CRITERIA)}")
    out = {**DEFAULT_WEIGHTS, **{n: float(w) for n, w in weights.items()}}
    bad = {n: w for n, w in out.items() if not math.isfinite(w) or w < 0}
    if bad:
        raise ValueError(f"weights must be finite numbers >= 0; got {bad}")
    if sum(out.values()) <= 0:
        raise ValueError("every weight is 0: give at least one criterion a weight above 0")
    return out


def parse_weights(pairs: Sequence[str]) -> dict[str, float]:
    """``["correctness=3", "cost=0.5"]`` -> ``{"correctness": 3.0, "cost": 0.5}``, checked (the CLI's ``--weight``)."""
    out: dict[str, float] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"--weight takes CRITERION=NUMBER, e.g. correctness=3; got {pair!r}") from None
    check_weights(out)
    return out


def criterion_scores(result: Run) -> dict[str, dict[str, float]]:
    """criterion -> {item id: score in [0, 1]} for one run (items a criterion does not apply to are absent)."""
    out: dict[str, dict[str, float]] = {name: {} for name in CRITERIA}
    for r in result.rows:
        if r.error or r.output is None:
            continue
        for name, (_, scorer) in CRITERIA.items():
            v = scorer(r)
            if v is not None:
                out[name][r.item_id] = float(v)
    return out


def criterion_means(result: Run, confidence: float = 0.95, *, seed: int = 0) -> dict[str, Interval]:
    """Each criterion's mean over the run's answers with a bootstrap interval (criteria with no value left out)."""
    return {name: bootstrap_ci(list(by_item.values()), confidence=confidence, seed=seed)
            for name, by_item in criterion_scores(result).items() if by_item}


def _common_items(runs: Sequence[Run]) -> list[str]:
    answered = [{r.item_id for r in run.rows if not r.error and r.output is not None} for run in runs]
    common = [r.item_id for r in runs[0].rows if all(r.item_id in a for a in answered)]
    if len(common) < 2:
        raise ValueError("the runs share fewer than 2 answered questions; run the variants on the same sample "
                         "(`labkit eval run --variant NAME --sample N`)")
    return common


def item_totals(result: Run, weights: Mapping[str, float], items: Sequence[str]) -> np.ndarray:
    """Each item's weighted mean over the criteria that apply to it (weights already checked)."""
    scores = criterion_scores(result)
    for name, w in weights.items():
        if w > 0 and not scores[name]:
            raise ValueError(f"run {result.name!r} ({result.id}) has no {name!r} scores; run it with "
                             f"`labkit eval run --variant ...` (with the judge) or give --weight {name}=0")
    return _totals(scores, weights, items)


def _totals(scores: Mapping[str, Mapping[str, float]], weights: Mapping[str, float], items: Sequence[str]) -> np.ndarray:
    totals = []
    for item in items:
        parts = [(w, scores[n][item]) for n, w in weights.items() if w > 0 and item in scores[n]]
        totals.append(sum(w * s for w, s in parts) / sum(w for w, _ in parts) if parts else 0.0)
    return np.asarray(totals)


@dataclass(frozen=True)
class Ranking:
    """The runs ranked under one weighting.

    Attributes:
        weights: criterion -> weight used.
        totals: run name -> its mean total with a bootstrap interval, best first.
        winner: the run with the highest mean total.
        runner_up: the second best.
        margin: winner minus runner-up, item by item, with its paired bootstrap interval.
        items: how many shared questions the totals are over.
    """

    weights: dict[str, float]
    totals: dict[str, Interval]
    winner: str
    runner_up: str
    margin: Interval
    items: int

    @property
    def decisive(self) -> bool:
        """Whether the winner is ahead outside the margin's interval (its low end above 0)."""
        return self.margin.low > 0

    def report(self) -> str:
        """Plain text: the weights, one line per run, and the winner."""
        w = ", ".join(f"{n}={v:g}" for n, v in self.weights.items())
        lines = [f"weights: {w}", f"{'run':<24} {'total':>6}  95% interval     (n={self.items} shared questions)"]
        lines += [f"{name:<24} {ci.estimate:>6.3f}  [{ci.low:.3f}, {ci.high:.3f}]" for name, ci in self.totals.items()]
        verdict = "ahead outside the interval" if self.decisive else "NOT decisive: the interval includes 0"
        lines.append(f"winner: {self.winner} by {self.margin.estimate:+.3f} [{self.margin.low:+.3f}, "
                     f"{self.margin.high:+.3f}] over {self.runner_up} ({verdict})")
        return "\n".join(lines)


def run_labels(runs: Sequence[Run]) -> list[str]:
    """How runs are named in a ranking: their names, or "name (id)" when names repeat."""
    names = [r.name for r in runs]
    return names if len(set(names)) == len(names) else [f"{r.name} ({r.id})" for r in runs]


def weighted_totals(runs: Sequence[Run], weights: Mapping[str, float] | None = None, *, confidence: float = 0.95,
                    seed: int = 0) -> Ranking:
    """Rank runs by their weighted total on the questions they share.

    Args:
        runs: two or more runs of the same questions (e.g. variants on one ``golden_sample``).
        weights: criterion -> weight; unnamed criteria keep weight 1 (see :data:`DEFAULT_WEIGHTS`).
        confidence: interval coverage.
        seed: bootstrap seed (the same resamples for every run).

    Returns:
        A :class:`Ranking`.
    """
    if len(runs) < 2:
        raise ValueError("give at least two runs to rank")
    w = check_weights(weights or {})
    items = _common_items(runs)
    per_run = dict(zip(run_labels(runs), (item_totals(r, w, items) for r in runs), strict=True))
    totals = {n: bootstrap_ci(t, confidence=confidence, seed=seed) for n, t in per_run.items()}
    ranked = sorted(totals, key=lambda n: -totals[n].estimate)
    diff = paired_test(per_run[ranked[1]].tolist(), per_run[ranked[0]].tolist(), confidence, seed=seed)
    margin = Interval(diff.diff, diff.low, diff.high, diff.n, confidence)
    return Ranking(w, {n: totals[n] for n in ranked}, ranked[0], ranked[1], margin, len(items))


@dataclass(frozen=True)
class Flip:
    """A point on a path between two weightings where the winner changes.

    Attributes:
        t: where on the path, 0 = ``start`` weights, 1 = ``end`` weights.
        weights: the weights there.
        before / after: the winner just before and just after.
    """

    t: float
    weights: dict[str, float]
    before: str
    after: str


def _blend(start: Mapping[str, float], end: Mapping[str, float], t: float) -> dict[str, float]:
    return {n: round((1 - t) * start[n] + t * end[n], 6) for n in CRITERIA}


def flip_weights(runs: Sequence[Run], start: Mapping[str, float], end: Mapping[str, float], *,
                 steps: int = 200) -> list[Flip]:
    """The weights at which the winner changes, along the straight path from ``start`` to ``end``.

    Criteria left out of a weighting get weight 0 here (not 1): ``{"correctness": 1}`` means
    correctness alone. The path is scanned in ``steps`` steps and each change located by bisection.

    Args:
        runs: two or more runs of the same questions.
        start / end: the two weightings.
        steps: scan resolution.

    Returns:
        Every :class:`Flip` found, in order of ``t`` (empty when one run wins everywhere on the path).
    """
    zero = dict.fromkeys(CRITERIA, 0.0)
    a, b = (check_weights({**zero, **dict(w)}) for w in (start, end))
    items, names = _common_items(runs), run_labels(runs)
    tables = {n: criterion_scores(r) for n, r in zip(names, runs, strict=True)}

    def winner(t: float) -> str:
        w = _blend(a, b, t)
        means = {name: float(_totals(scores, w, items).mean()) for name, scores in tables.items()}
        return max(means, key=lambda n: means[n])

    flips, grid = [], np.linspace(0.0, 1.0, steps + 1)
    last = winner(0.0)
    for lo, hi in zip(grid[:-1], grid[1:], strict=True):
        now = winner(float(hi))
        if now != last:
            left, right = float(lo), float(hi)
            for _ in range(30):
                mid = (left + right) / 2
                left, right = (mid, right) if winner(mid) == last else (left, mid)
            flips.append(Flip(round(right, 4), _blend(a, b, right), last, now))
            last = now
    return flips


@dataclass(frozen=True)
class JudgeRates:
    """How far the rubric's judge criterion can be trusted: its accuracy on the labelled test split.

    Attributes:
        criterion: the judge criterion behind the rubric's ``judge`` column.
        accuracy: its TPR and TNR, each with a Wilson interval.
        model / backend: the judge those rates were measured on.
    """

    criterion: str
    accuracy: JudgeAccuracy
    model: str
    backend: str

    @property
    def youden(self) -> float:
        """TPR + TNR - 1 (see :attr:`JudgeAccuracy.youden`)."""
        return self.accuracy.youden

    def __str__(self) -> str:
        return f"{self.accuracy} for {self.model} on '{self.criterion}'"


def judge_rates(results: str | Path | None = None) -> JudgeRates | None:
    """The rubric judge's measured TPR and TNR on labelled test items, from ``bench/results/judge.json``.

    Args:
        results: the bench results file (default: the repository's ``bench/results/judge.json``,
            written by ``bench/run.py judge``).

    Returns:
        The rates of the ``correct`` criterion, or None if the file is absent or has no such entry.
    """
    path = Path(results) if results else Path(__file__).resolve().parents[2] / "bench" / "results" / "judge.json"
    try:
        data = json.loads(path.read_text())
        rates = data["criteria"][JUDGE_CRITERION]
        tpr, tnr = (Rate(int(r["k"]), int(r["n"]), float(r["low"]), float(r["high"]))
                    for r in (rates["tpr_test"], rates["tnr_test"]))
        return JudgeRates(JUDGE_CRITERION, JudgeAccuracy(tpr, tnr), str(data["judge_model"]), str(data["backend"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
