"""Drift and training-serving skew: detectors on sliding windows of traffic, and a start-up check that
the query side embeds like the index side.

* :mod:`labkit.drift.detectors` — :class:`PSI` and :class:`KSTest` on scalar features, :class:`MMD`
  and :class:`DomainClassifier` on embeddings; each compares a window of traffic with a reference.
* :mod:`labkit.drift.windows` — :func:`monitor` slides a window over the traffic and applies a
  detector's alert rule; :class:`Trace` says when it first alerted, with what delay after a known
  onset, and how many false alarms it raised; :func:`run_all` applies the course's :data:`MONITOR` rule.
* :mod:`labkit.drift.features` — per-request :class:`Features` and the SQLite :class:`EmbeddingCache`.
* :mod:`labkit.drift.skew` — :func:`check_serving` raises :class:`SkewError` at start-up when the
  serving embedder differs from the index's (by version, or silently by its vectors);
  :func:`retrieval_recall` measures what skew costs on the golden set.
* :mod:`labkit.drift.plots` and :mod:`labkit.drift.demo` — :func:`plot_traces` and the widget :class:`DriftDemo`.
"""

from labkit.drift.demo import DEMO_KINDS, DriftDemo, demo_specs
from labkit.drift.detectors import (
    MMD,
    PSI,
    Detector,
    DomainClassifier,
    KSTest,
    Score,
    domain_classifier_auc,
    mmd_permutation_test,
    psi,
)
from labkit.drift.features import EmbeddingCache, Features, featurize
from labkit.drift.plots import plot_traces
from labkit.drift.skew import RecallResult, SkewError, SkewReport, check_serving, retrieval_recall
from labkit.drift.windows import MONITOR, Spec, Trace, default_specs, monitor, run_all, summary

__all__ = [
    "DEMO_KINDS", "MMD", "MONITOR", "PSI", "Detector", "DomainClassifier", "DriftDemo", "EmbeddingCache", "Features",
    "KSTest", "RecallResult", "Score", "SkewError", "SkewReport", "Spec", "Trace", "check_serving", "default_specs",
    "demo_specs", "domain_classifier_auc", "featurize", "mmd_permutation_test", "monitor", "plot_traces", "psi",
    "retrieval_recall", "run_all", "summary",
]
