"""Evals for the reference RAG app: golden-set runs in SQLite, metrics, LLM-as-judge, statistics, gates.

The pieces, one module each:

* :mod:`~labkit.evals.runs` — ``run(app, rows) -> Run``: every question through an app variant, in
  parallel, each row (input, output, retrieved ids, latency, tokens, cost, scores) kept in SQLite
  (:class:`RunStore`); ``Run.metrics()`` gives each metric with a bootstrap interval;
  ``compare(baseline, candidate)`` is the regression gate.
* :mod:`~labkit.evals.metrics` — recall@k, MRR, exact match, token F1, numeric match, abstention,
  citation validity, per item.
* :mod:`~labkit.evals.judge` — a rubric of named, weighted criteria scored 1-5 by the model
  (``judge.score``), pairwise comparison with position swapping, position and verbosity bias, and
  agreement with human labels (Cohen's kappa).
* :mod:`~labkit.evals.criteria_judge` — a binary pass/fail judge per criterion, with written definitions
  and few-shot examples from the train split of ``datasets/judge_labels``.
* :mod:`~labkit.evals.judge_validation` — the judge's TPR and TNR on labelled items, and the pass rate
  corrected for them (Rogan–Gladen) with a bootstrap interval.
* :mod:`~labkit.evals.stats` — ``bootstrap_ci``, ``paired_test``, ``unpaired_test``, ``gate``, ``cohen_kappa``.
* :mod:`~labkit.evals.online` — stable request sampling and daily scores with intervals.
* :mod:`~labkit.evals.plots` — metrics with intervals, per question kind, per day.
* :mod:`~labkit.evals.variants` — named app variants (``VARIANTS``), a fixed stratified golden sample, and
  ``run_variant``: a run scored for the rubric (groundedness and the judge added per answer).
* :mod:`~labkit.evals.rubric` — the rubric on measured scores: per-answer criteria, weighted totals with
  bootstrap intervals and a paired margin (``weighted_totals``), and ``flip_weights``.
* :mod:`~labkit.evals.failures` — error analysis: the failure taxonomy of ``datasets/failure_codes``, the
  targeted checks ``invented_number`` and ``degenerate`` (per-row scores), their agreement with the hand
  codes, ``TracedScores`` (scores on spans) and ``NumberGuard`` (an app change for invented figures).
* :mod:`~labkit.evals.demo` — :class:`RubricDemo`, weight sliders over the variants' measured scores (the
  LLM-as-judge demo).

    >>> from labkit import data, evals
    >>> from labkit.rag import RagApp
    >>> dev = [r for r in data.records("golden") if r["split"] == "dev"]
    >>> base = evals.run(RagApp(), dev, name="baseline", store="runs.sqlite")
    >>> cand = evals.run(RagApp().with_config(k=1), dev, name="k1", store="runs.sqlite")
    >>> print(evals.compare(base, cand).report())
"""

from labkit.evals import criteria_judge, failures, judge, judge_validation, metrics, online, rubric, stats, variants
from labkit.evals.demo import DEMO_RUBRIC, JudgeDemo, RubricDemo
from labkit.evals.judge import DEFAULT_RUBRIC, Criterion, JudgeScore, Rubric
from labkit.evals.runs import Run, RunRow, RunStore, compare, run
from labkit.evals.stats import GateResult, Interval, bootstrap_ci, cohen_kappa, paired_test

__all__ = ["DEFAULT_RUBRIC", "DEMO_RUBRIC", "Criterion", "GateResult", "Interval", "JudgeDemo", "JudgeScore", "Rubric", "RubricDemo", "Run",
           "RunRow", "RunStore", "bootstrap_ci", "cohen_kappa", "compare", "criteria_judge", "failures", "judge", "judge_validation", "metrics", "online", "paired_test",
           "rubric", "run", "stats", "variants"]
